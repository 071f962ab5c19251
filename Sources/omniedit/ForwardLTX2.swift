import ArgumentParser
import Foundation
import Models
import Tensor
import CommandLineMain

/// The LTX-2 components of `omniedit forward` (names with or without `inputs/`):
/// - `ltx2-dit`: `video` latent [C, F, H, W] (or tokens [F·H·W, C] with `grid` [3] = F, H, W), `audio`
///   latent [C, L, M] (or tokens [L, C·M]), `text` and `audio_text` [Lt, caption], optional `text_mask`
///   [Lt] (1 = real row), `timestep` [1] or `video_timestep` / `audio_timestep` [1] (σ·1000), optional
///   `fps` [1] (default 24) → `video` and `audio` velocities in the layout of the inputs;
/// - `ltx2-connectors`: `hidden_states` [L, D, layers], optional `mask` [L] (default all real) →
///   `video` and `audio` caption rows [L, D];
/// - `ltx2-vocoder`: `mel` [channels, frames, mels] (stereo 2 × 64) → `waveform` [2, frames·240];
/// - `ltx2-audio-encode` / `ltx2-audio-decode`: see `runLTX2AudioVAE`;
/// - `ltx2-vae-encode` / `ltx2-vae-decode`: see `runLTX2VideoVAE`.
extension Forward {
    func runLTX2DiT(_ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter) throws {
        let (dit, unused) = try LTX2Checkpoint.loadTransformer(
            URL(fileURLWithPath: model), on: compute, storeAs: f32Weights ? .f32 : nil,
            config: try explicitConfig(LTX2TransformerConfig.self))
        if !unused.isEmpty { print("ignored \(unused.count) checkpoint tensor(s) the transformer does not use") }
        let video = try input.tensor("video", on: compute)
        let audio = try input.tensor("audio", on: compute)
        let grid: [Int]
        switch video.rank {
        case 4: grid = Array(video.shape[1...])
        case 2: grid = try input.floats("grid").map { Int($0) }
        default: throw CommandFailure("\(inputs): 'video' must be a latent [C, F, H, W] or tokens [F·H·W, C]", status: .dataError)
        }
        guard grid.count == 3, audio.rank == 2 || audio.rank == 3 else {
            throw CommandFailure("\(inputs): 'grid' must hold F, H, W; 'audio' must be [C, L, M] or [L, C·M]", status: .dataError)
        }
        func scalar(_ name: String) throws -> Float? {
            guard input.resolve(name) != nil else { return nil }
            let v = try input.floats(name)
            guard v.count == 1 else {
                throw CommandFailure("\(inputs): '\(name)' must hold one value, has \(v.count)", status: .dataError)
            }
            return v[0]
        }
        guard let tv = try scalar("video_timestep") ?? scalar("timestep"),
            let ta = try scalar("audio_timestep") ?? scalar("timestep")
        else { throw CommandFailure("\(inputs): no 'timestep' (or 'video_timestep' and 'audio_timestep')", status: .dataError) }
        let mask = try input.resolve("text_mask").map { _ in try input.floats("text_mask").map { $0 > 0.5 } }
        let out = try dit(
            LTX2TransformerInputs(
                video: video.rank == 4 ? try LTX2Transformer.packVideo(video, on: compute) : video,
                frames: grid[0], height: grid[1], width: grid[2], fps: try scalar("fps") ?? 24,
                audio: audio.rank == 3 ? try LTX2Transformer.packAudio(audio, on: compute) : audio,
                text: try input.tensor("text", on: compute), audioText: try input.tensor("audio_text", on: compute),
                textMask: mask, videoTimestep: tv, audioTimestep: ta), on: compute)
        try writer.add(
            "video",
            video.rank == 4
                ? try LTX2Transformer.unpackVideo(
                    out.video, frames: grid[0], height: grid[1], width: grid[2], on: compute)
                : out.video, from: compute)
        try writer.add(
            "audio",
            audio.rank == 3
                ? try LTX2Transformer.unpackAudio(out.audio, channels: audio.shape[0], on: compute) : out.audio,
            from: compute)
    }

    func runLTX2Connectors(_ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter) throws
    {
        let (connectors, _) = try LTX2Checkpoint.loadConnectors(
            URL(fileURLWithPath: model), on: compute, storeAs: f32Weights ? .f32 : nil,
            config: try explicitConfig(LTX2ConnectorsConfig.self))
        let states = try input.tensor("hidden_states", on: compute)
        let mask =
            try input.resolve("mask").map { _ in try input.floats("mask").map { $0 > 0.5 } }
            ?? Array(repeating: true, count: states.shape.first ?? 0)
        let out = try connectors(hiddenStates: states, mask: mask, on: compute)
        try writer.add("video", out.video, from: compute)
        try writer.add("audio", out.audio, from: compute)
    }

    func runLTX2Vocoder(_ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter) throws {
        let vocoder = try LTX2Checkpoint.loadVocoder(
            URL(fileURLWithPath: model), on: compute, config: try explicitConfig(LTX2VocoderConfig.self))
        try writer.add("waveform", try vocoder(try input.tensor("mel", on: compute), on: compute), from: compute)
    }

    /// `ltx2-audio-encode`: `mel` [2, T, 64] → `mean` [8, T', 16] (the raw posterior mean);
    /// `ltx2-audio-decode`: `latent` [8, T', 16] → `mel` [2, 4T'−3, 64].
    func runLTX2AudioVAE(
        encode: Bool, _ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter
    )
        throws
    {
        let vae = try LTX2Checkpoint.loadAudioVAE(
            URL(fileURLWithPath: model), on: compute, config: try explicitConfig(LTX2AudioVAEConfig.self))
        if encode {
            try writer.add("mean", try vae.encodeMean(try input.tensor("mel", on: compute), on: compute), from: compute)
        } else {
            try writer.add("mel", try vae.decode(try input.tensor("latent", on: compute), on: compute), from: compute)
        }
    }

    /// `ltx2-vae-encode`: `video` [3, 1 + 8k, H, W] in [−1, 1] → `mean` [C, 1 + k, H/32, W/32] (the raw
    /// posterior mean, not normalised); `ltx2-vae-decode`: `latent` [C, T, h, w] → `video`
    /// [3, 1 + 8(T−1), 32h, 32w] (not clamped). Sizes are the real LTX-2's; a model's own compression rules.
    func runLTX2VideoVAE(
        encode: Bool, _ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter
    ) throws {
        let vae = try LTX2Checkpoint.loadVideoVAE(
            URL(fileURLWithPath: model), on: compute, config: try explicitConfig(LTX2VideoVAEConfig.self),
            storeAs: f32Weights ? .f32 : nil
        ).model
        if encode {
            try writer.add("mean", try vae.encodeMean(try input.tensor("video", on: compute), on: compute), from: compute)
        } else {
            try writer.add("video", try vae.decode(try input.tensor("latent", on: compute), on: compute), from: compute)
        }
    }
}
