import ArgumentParser
import CommandLineMain
import UserMessages
import Foundation
import Models
import Tensor

/// The VAE and audio components of `omniedit forward` (names with or without `inputs/`):
/// - `vae-encode`: `video` [B, 3, 1+4k, H, W] in [−1, 1] → `mu` (raw posterior mean) and `latent`
///   (normalised, the DiT's space), tiled with `VAETiling.standard` when a frame exceeds one tile;
/// - `vae-decode`: `latent` [B, 16, T, h, w] (normalised) → `video` [B, 3, 1+4(T−1), 8h, 8w] in [−1, 1];
/// - `whisper`: `log_mel` [mel, frames] → `hidden_states` [n+1, frames/2, d];
/// - `audio-windows`: HuMo's audio input `windows` [F + refs, 8, 5, C] and the 25 fps `grouped`
///   [T25, 5, C], from `hidden_states` [33, T50, C] (or `hidden33`), or from `log_mel` [chunks?, 128,
///   3000] through the Whisper encoder at `--model`; `num_samples` [1] (else T50 = all given
///   frames), optional `frame_num` [1] (4m+1 video frames) and `ref_frames` [1] (default 1).
extension Forward {
    func runVAE(encode: Bool, _ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter)
        throws
    {
        let vae = try WanVAE.load(
            checkpoint: URL(fileURLWithPath: model), config: try explicitConfig(WanVAEConfig.self), backend: compute)
        if encode {
            let video = try input.tensor("video", on: compute)
            let mu = try vae.encodeMeanTiled(video, on: compute)
            try writer.add("mu", mu, from: compute)
            try writer.add("latent", try vae.normalize(mu, on: compute), from: compute)
        } else {
            let latent = try input.tensor("latent", on: compute)
            try writer.add("video", try vae.decodeTiled(latent, on: compute), from: compute)
        }
    }

    func runWhisper(_ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter) throws {
        let encoder = try loadWhisper(on: compute)
        let states = try encoder.hiddenStates(try input.tensor("log_mel", on: compute), on: compute)
        try writer.add("hidden_states", try compute.concat(states.map { try $0.unsqueezed(0) }, axis: 0), from: compute)
    }

    func runAudioWindows(_ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter) throws {
        var chunks: [[Tensor]] = []
        if let name = ["hidden_states", "hidden33"].first(where: { input.resolve($0) != nil }) {
            let all = try input.tensor(name, on: compute)
            guard all.rank == 3 else {
                throw CommandFailure("\(inputs): '\(name)' must be [33, T50, C], is \(all.shape)", status: .dataError)
            }
            chunks = [try (0..<all.shape[0]).map { try all.selected(axis: 0, index: $0) }]
        } else {
            let encoder = try loadWhisper(on: compute)
            let mel = try input.tensor("log_mel", on: compute)
            let pieces = mel.rank == 3 ? try (0..<mel.shape[0]).map { try mel.selected(axis: 0, index: $0) } : [mel]
            chunks = try pieces.map { try encoder.hiddenStates($0, on: compute) }
        }
        let frames50 = chunks.reduce(0) { $0 + ($1.first?.shape[0] ?? 0) }
        let samples =
            try count(input, "num_samples") ?? frames50 / 2 * HuMoAudioFeatures.samplesPerVideoFrame
        let grouped = try HuMoAudioFeatures.videoRateFeatures(chunks: chunks, sampleCount: samples, on: compute)
        let frameNum = try count(input, "frame_num")
        let refs = try count(input, "ref_frames") ?? 1
        try writer.add("grouped", grouped, from: compute)
        try writer.add(
            "windows",
            try HuMoAudioFeatures.windows(grouped, videoFrames: frameNum, referenceFrames: refs, on: compute),
            from: compute)
    }

    /// An optional one-element input holding a whole number ≥ 0 (stored as f32, as in the goldens).
    private func count(_ input: ForwardInputs, _ name: String) throws -> Int? {
        guard input.resolve(name) != nil else { return nil }
        let v = try input.floats(name)
        guard v.count == 1, v[0].isFinite, v[0] >= 0, v[0] <= 1e9, v[0] == v[0].rounded() else {
            throw CommandFailure("\(inputs): '\(name)' must be one whole number ≥ 0, is \(v.prefix(4))", status: .dataError)
        }
        return Int(v[0])
    }

    /// `--config` decoded as `T`, or nil when not given; a missing file exits 66, a wrong one 65.
    func explicitConfig<T: Decodable>(_ type: T.Type) throws -> T? {
        try config.map { path in
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw CommandFailure("--config \(UserMessage.text(error, file: path))", status: .noInput)
            }
            do { return try JSONDecoder().decode(T.self, from: data) } catch {
                throw CommandFailure("--config \(UserMessage.text(error, file: path))", status: .dataError)
            }
        }
    }

    /// The Whisper encoder at `--model`; without `--config` or a config.json beside it the head
    /// count is assumed d_model/64 (true of every released Whisper), which a tiny test model may break.
    private func loadWhisper(on compute: any Backend) throws -> WhisperEncoder {
        try WhisperEncoder.load(
            checkpoint: URL(fileURLWithPath: model), config: try explicitConfig(WhisperEncoderConfig.self),
            backend: compute)
    }
}
