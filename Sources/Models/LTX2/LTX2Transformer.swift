import Foundation
import Tensor

/// The inputs of one joint forward (batch 1): both streams as tokens, the captions, the timesteps.
public struct LTX2TransformerInputs: Sendable {
    /// Video tokens `[F·H·W, inChannels]` in (f, h, w) order (`LTX2Transformer.packVideo`).
    public var video: Tensor
    /// Latent grid of the video tokens.
    public var frames: Int, height: Int, width: Int
    /// Frames per second of the video (its RoPE time axis is in seconds).
    public var fps: Float
    /// Audio tokens `[La, audioInChannels]` (`packAudio`).
    public var audio: Tensor
    /// Caption rows for the video and the audio stream, `[Lt, captionChannels]` each (the text
    /// connectors' outputs).
    public var text: Tensor
    public var audioText: Tensor
    /// Which caption rows are real (nil = all); other rows are never attended to.
    public var textMask: [Bool]?
    /// Timesteps in the model's units (σ · `timestepScaleMultiplier`).
    public var videoTimestep: Float
    public var audioTimestep: Float

    public init(
        video: Tensor, frames: Int, height: Int, width: Int, fps: Float, audio: Tensor, text: Tensor,
        audioText: Tensor, textMask: [Bool]? = nil, videoTimestep: Float, audioTimestep: Float
    ) {
        self.video = video
        self.frames = frames
        self.height = height
        self.width = width
        self.fps = fps
        self.audio = audio
        self.text = text
        self.audioText = audioText
        self.textMask = textMask
        self.videoTimestep = videoTimestep
        self.audioTimestep = audioTimestep
    }
}

/// The LTX-2 dual-stream audio-video DiT: one call returns the velocity of both streams.
///
/// Steps: `proj_in` per stream; AdaLN-single embeddings of each stream's timestep (6 rows) and the
/// cross-modal ones (4 scale/shift rows + 1 gate row per side, from the *other* stream's
/// timestep, as ltx-core does); caption projections (Linear·GELU(tanh)·Linear) per stream; the
/// blocks (`LTX2Block`); output `proj_out(LN(h)·(1 + (T₁ + e)) + (T₀ + e))` per stream with e the
/// stream's timestep embedding.
///
/// Follows: diffusers `LTX2VideoTransformer3DModel.forward` (with `use_cross_timestep=True`);
/// ltx-core `model/transformer/model.py` `LTXModel` (AudioVideo).
public struct LTX2Transformer: Sendable {
    public let config: LTX2TransformerConfig
    public let projIn, audioProjIn: Linear
    public let caption1, caption2, audioCaption1, audioCaption2: Linear
    public let timeEmbed, audioTimeEmbed: LTX2AdaLayerNormSingle
    public let videoCrossScaleShift, audioCrossScaleShift, videoCrossGate, audioCrossGate: LTX2AdaLayerNormSingle
    public let blocks: [LTX2Block]
    /// `[2, dim]`, `[2, audioDim]`: output shift and scale.
    public let outTable, audioOutTable: Tensor
    public let projOut, audioProjOut: Linear

    /// Reads every weight (diffusers names; `KeyRules.ltx2Transformer` maps LTX-2's own) and throws
    /// one error listing every missing or mis-shaped one.
    public init(config c: LTX2TransformerConfig, reader r: inout WeightReader) throws {
        try c.validate()
        config = c
        let (d, ad) = (c.innerDim, c.audioInnerDim)
        projIn = try Linear(&r, "proj_in", in: c.inChannels, out: d)
        audioProjIn = try Linear(&r, "audio_proj_in", in: c.audioInChannels, out: ad)
        caption1 = try Linear(&r, "caption_projection.linear_1", in: c.captionChannels, out: d)
        caption2 = try Linear(&r, "caption_projection.linear_2", in: d, out: d)
        audioCaption1 = try Linear(&r, "audio_caption_projection.linear_1", in: c.captionChannels, out: ad)
        audioCaption2 = try Linear(&r, "audio_caption_projection.linear_2", in: ad, out: ad)
        timeEmbed = try LTX2AdaLayerNormSingle(&r, "time_embed", dim: d, count: 6)
        audioTimeEmbed = try LTX2AdaLayerNormSingle(&r, "audio_time_embed", dim: ad, count: 6)
        videoCrossScaleShift = try LTX2AdaLayerNormSingle(&r, "av_cross_attn_video_scale_shift", dim: d, count: 4)
        audioCrossScaleShift = try LTX2AdaLayerNormSingle(&r, "av_cross_attn_audio_scale_shift", dim: ad, count: 4)
        videoCrossGate = try LTX2AdaLayerNormSingle(&r, "av_cross_attn_video_a2v_gate", dim: d, count: 1)
        audioCrossGate = try LTX2AdaLayerNormSingle(&r, "av_cross_attn_audio_v2a_gate", dim: ad, count: 1)
        blocks = try (0..<c.numLayers).map { try LTX2Block(&r, index: $0, config: c) }
        outTable = try r.take("scale_shift_table", shape: [2, d])
        audioOutTable = try r.take("audio_scale_shift_table", shape: [2, ad])
        projOut = try Linear(&r, "proj_out", in: d, out: c.outChannels)
        audioProjOut = try Linear(&r, "audio_proj_out", in: ad, out: c.audioOutChannels)
        try r.finish()
    }

    /// The RoPE tables of a call (depend only on the grid, the audio length and fps).
    public func ropeTables(
        frames: Int, height: Int, width: Int, fps: Float, audioFrames: Int, on backend: any Backend
    ) throws -> LTX2RoPETables {
        let c = config
        let video = LTX2RoPE.videoPositions(frames: frames, height: height, width: width, fps: fps, config: c)
        let audio = [LTX2RoPE.audioPositions(frames: audioFrames, config: c)]
        let crossMax = [max(c.maxPositions[0], c.audioMaxPosition)]
        func table(_ p: [[Float]], _ maxPos: [Int], _ width: Int, _ groups: Int) throws -> LTX2RoPE {
            try LTX2RoPE(
                positions: p, maxPositions: maxPos, width: width, groups: groups, type: c.ropeType,
                theta: c.ropeTheta, doublePrecision: c.ropeDoublePrecision, on: backend)
        }
        return LTX2RoPETables(
            video: try table(video, c.maxPositions, c.innerDim, c.numHeads),
            audio: try table(audio, [c.audioMaxPosition], c.audioInnerDim, c.audioNumHeads),
            videoCross: try table([video[0]], crossMax, c.audioCrossAttentionDim, c.numHeads),
            audioCross: try table(audio, crossMax, c.audioCrossAttentionDim, c.audioNumHeads))
    }

    /// (video velocity `[Lv, outChannels]`, audio velocity `[La, audioOutChannels]`).
    public func callAsFunction(_ x: LTX2TransformerInputs, on backend: any Backend) throws -> (
        video: Tensor, audio: Tensor
    ) {
        let c = config
        let lv = x.frames * x.height * x.width
        guard x.frames > 0, x.height > 0, x.width > 0, x.video.shape == [lv, c.inChannels] else {
            throw LTX2Error.invalidInput(
                "video tokens \(x.video.shape), expected [\(x.frames)·\(x.height)·\(x.width), \(c.inChannels)]")
        }
        guard x.audio.rank == 2, x.audio.shape[0] > 0, x.audio.shape[1] == c.audioInChannels else {
            throw LTX2Error.invalidInput("audio tokens \(x.audio.shape), expected [La ≥ 1, \(c.audioInChannels)]")
        }
        guard x.text.rank == 2, x.text.shape[1] == c.captionChannels, x.audioText.rank == 2,
            x.audioText.shape[1] == c.captionChannels, x.text.shape[0] > 0, x.audioText.shape[0] > 0
        else {
            throw LTX2Error.invalidInput(
                "captions \(x.text.shape) / \(x.audioText.shape), expected [Lt, \(c.captionChannels)] each")
        }
        guard x.fps.isFinite, x.fps > 0, x.videoTimestep.isFinite, x.audioTimestep.isFinite else {
            throw LTX2Error.invalidInput("fps \(x.fps) must be positive; timesteps must be finite")
        }
        let rope = try ropeTables(
            frames: x.frames, height: x.height, width: x.width, fps: x.fps, audioFrames: x.audio.shape[0],
            on: backend)
        let gateFactor = Float(c.crossAttnTimestepScaleMultiplier) / Float(c.timestepScaleMultiplier)
        let (tv, ta) = (x.videoTimestep, x.audioTimestep)
        let video = try timeEmbed(tv, on: backend)
        let audio = try audioTimeEmbed(ta, on: backend)
        let modulation = LTX2BlockModulation(
            video: video.modulation, audio: audio.modulation,
            videoCross: try videoCrossScaleShift(ta, on: backend).modulation,
            videoCrossGate: try videoCrossGate(ta * gateFactor, on: backend).modulation,
            audioCross: try audioCrossScaleShift(tv, on: backend).modulation,
            audioCrossGate: try audioCrossGate(tv * gateFactor, on: backend).modulation)

        let text = try captions(x.text, mask: x.textMask, caption1, caption2, on: backend)
        let audioText = try captions(x.audioText, mask: x.textMask, audioCaption1, audioCaption2, on: backend)
        var h = try projIn(x.video, on: backend)
        var a = try audioProjIn(x.audio, on: backend)
        for block in blocks {
            (h, a) = try block(
                video: h, audio: a, text: text, audioText: audioText, modulation: modulation, rope: rope, on: backend)
        }
        return (
            try output(h, table: outTable, embedded: video.embedded, projOut, on: backend),
            try output(a, table: audioOutTable, embedded: audio.embedded, audioProjOut, on: backend)
        )
    }

    /// Projected caption rows `[Lt', dim]`, masked rows removed (they would get weight exp(−10⁴) ≈ 0
    /// in the references' additive mask).
    func captions(_ t: Tensor, mask: [Bool]?, _ l1: Linear, _ l2: Linear, on backend: any Backend) throws -> Tensor {
        var rows = t
        if let mask {
            guard mask.count == t.shape[0] else {
                throw LTX2Error.invalidInput("text mask has \(mask.count) entries for \(t.shape[0]) caption rows")
            }
            let keep = mask.indices.filter { mask[$0] }.map { Int32($0) }
            guard !keep.isEmpty else { throw LTX2Error.invalidInput("the text mask keeps no caption row") }
            if keep.count < mask.count { rows = try backend.embedding(t, indices: keep) }
        }
        return try l2(try backend.unary(.geluTanh, try l1(rows, on: backend)), on: backend)
    }

    func output(_ h: Tensor, table: Tensor, embedded e: Tensor, _ proj: Linear, on backend: any Backend) throws
        -> Tensor
    {
        let m = try backend.add(table, e)
        let n = try backend.layerNorm(h, weight: nil, bias: nil, eps: 1e-6)
        let y = try backend.modulate(
            n, scale: try m.narrowed(axis: 0, start: 1, length: 1), shift: try m.narrowed(axis: 0, start: 0, length: 1))
        return try proj(y, on: backend)
    }

    // MARK: Latent layouts

    /// Video latent `[C, F, H, W]` → tokens `[F·H·W, C]` (patch size 1).
    public static func packVideo(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        guard latent.rank == 4 else {
            throw LTX2Error.invalidInput("video latent \(latent.shape) must be [C, F, H, W]")
        }
        let (ch, f, h, w) = (latent.shape[0], latent.shape[1], latent.shape[2], latent.shape[3])
        return try backend.contiguous(try latent.reshaped([ch, f * h * w]).transposed(0, 1))
    }

    /// Tokens `[F·H·W, C]` → video latent `[C, F, H, W]`.
    public static func unpackVideo(_ tokens: Tensor, frames: Int, height: Int, width: Int, on backend: any Backend)
        throws -> Tensor
    {
        guard tokens.rank == 2, tokens.shape[0] == frames * height * width else {
            throw LTX2Error.invalidInput("video tokens \(tokens.shape) for a \(frames)×\(height)×\(width) grid")
        }
        return try backend.contiguous(try tokens.transposed(0, 1)).reshaped([tokens.shape[1], frames, height, width])
    }

    /// Audio latent `[C, L, M]` (channels, frames, mel bins) → tokens `[L, C·M]`, features (c, m) c-major.
    public static func packAudio(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        guard latent.rank == 3 else { throw LTX2Error.invalidInput("audio latent \(latent.shape) must be [C, L, M]") }
        let (ch, l, m) = (latent.shape[0], latent.shape[1], latent.shape[2])
        return try backend.contiguous(try latent.transposed(0, 1)).reshaped([l, ch * m])
    }

    /// Tokens `[L, C·M]` → audio latent `[C, L, M]`.
    public static func unpackAudio(_ tokens: Tensor, channels: Int, on backend: any Backend) throws -> Tensor {
        guard tokens.rank == 2, channels > 0, tokens.shape[1] % channels == 0 else {
            throw LTX2Error.invalidInput("audio tokens \(tokens.shape) do not split into \(channels) channels")
        }
        let (l, m) = (tokens.shape[0], tokens.shape[1] / channels)
        return try backend.contiguous(try tokens.reshaped([l, channels, m]).transposed(0, 1))
    }
}
