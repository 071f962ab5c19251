// Pipeline — the LTX-2 transformer as the sampler's velocity field: one joint forward per request on a
// two-part latent, "video" `[C, F, H, W]` and "audio" `[C, L, M]`; c_src and c_tgt differ in their caption
// rows (the text connectors' outputs for the source and the target prompt).
import Models
import Sampler
import Tensor

/// The caption rows of one condition, for the video and the audio stream (`[Lt, captionChannels]` each,
/// every row real: the connectors replace padding by registers).
public struct LTX2Captions: Sendable {
    public var video: Tensor
    public var audio: Tensor

    public init(video: Tensor, audio: Tensor) {
        self.video = video
        self.audio = audio
    }
}

/// A multi-part `VelocityModel` over `LTX2Transformer`: both velocities of a request come from one call,
/// with σ mapped to the model's timestep (σ · `timestepScaleMultiplier`, in f32 as the references) for
/// both streams.
public struct LTX2VelocityModel: VelocityModel {
    public let transformer: LTX2Transformer
    public let backend: any Backend
    public let fps: Float
    public let source: LTX2Captions
    public let target: LTX2Captions

    public init(
        transformer: LTX2Transformer, backend: any Backend, fps: Float, source: LTX2Captions, target: LTX2Captions
    ) {
        self.transformer = transformer
        self.backend = backend
        self.fps = fps
        self.source = source
        self.target = target
    }

    public func velocities(for batch: [VelocityRequest]) throws -> [Latent] {
        try batch.map { request in
            let parts = request.latent.parts
            guard parts.count == 2, parts[0].name == "video", parts[1].name == "audio", parts[0].shape.count == 4,
                parts[1].shape.count == 3
            else {
                throw PipelineError.model(
                    "an LTX-2 latent has the parts video [C, F, H, W] and audio [C, L, M], got \(request.latent.layout)"
                )
            }
            let (video, audio) = (parts[0], parts[1])
            let captions = request.role == .source ? source : target
            let t = Float(request.sigma) * Float(transformer.config.timestepScaleMultiplier)
            let out = try transformer(
                LTX2TransformerInputs(
                    video: try LTX2Transformer.packVideo(
                        try backend.upload(video.values, shape: video.shape, dtype: .f32), on: backend),
                    frames: video.shape[1], height: video.shape[2], width: video.shape[3], fps: fps,
                    audio: try LTX2Transformer.packAudio(
                        try backend.upload(audio.values, shape: audio.shape, dtype: .f32), on: backend),
                    text: captions.video, audioText: captions.audio, videoTimestep: t, audioTimestep: t),
                on: backend)
            let v = try LTX2Transformer.unpackVideo(
                out.video, frames: video.shape[1], height: video.shape[2], width: video.shape[3], on: backend)
            let a = try LTX2Transformer.unpackAudio(out.audio, channels: audio.shape[0], on: backend)
            return try Latent(parts: [
                try LatentPart(name: "video", shape: video.shape, values: backend.download(v)),
                try LatentPart(name: "audio", shape: audio.shape, values: backend.download(a)),
            ])
        }
    }
}
