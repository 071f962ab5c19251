// HuMo's whole audio chain (log-mel → 32-layer encoder → 33 states → truncate → group → 25 fps →
// windows) against humo_audio_chain_tiny.safetensors (goldens README §3.5).
import Foundation
import Models
import Tensor
import XCTest

final class AudioChainTests: XCTestCase {
    struct ChainConfig: Decodable {
        let encoder: WhisperGoldenTests.GoldenConfig.Encoder
    }

    func checkChain(on backend: any Backend, tolerance: Float) throws {
        let file = try GoldenFixture.open("humo_audio_chain_tiny")
        let e = try GoldenFixture.config(file, as: ChainConfig.self).encoder
        let config = WhisperEncoderConfig(
            dModel: e.dModel, layers: e.layers, heads: e.heads, ffnDim: e.ffn, melBins: e.melBins,
            maxSourcePositions: e.maxSourcePositions)
        var reader = try WeightReader(checkpoint: file, rules: WhisperGoldenTests.rules, backend: backend)
        let encoder = try WhisperEncoder.load(config: config, from: &reader)
        let samples = Int(try file.floats("inputs/num_samples")[0])
        let states = try encoder.hiddenStates(try file.tensor("inputs/log_mel", on: backend), on: backend)
        XCTAssertEqual(states.count, 33)
        let expectedStates = try file.floats("outputs/hidden_states_truncated")
        let t50 = 100
        for (i, s) in states.enumerated() {
            assertMatchesGolden(
                try backend.download(s.narrowed(axis: 0, start: 0, length: t50)),
                Array(expectedStates[(i * t50 * 16)..<((i + 1) * t50 * 16)]), tolerance: tolerance, "state \(i)")
        }
        let a = try HuMoAudioFeatures.videoRateFeatures(chunks: [states], sampleCount: samples, on: backend)
        XCTAssertEqual(a.shape, [50, 5, 16])
        assertMatchesGolden(
            try backend.download(a), try file.floats("outputs/grouped"), tolerance: tolerance, "grouped")
        let windows = try HuMoAudioFeatures.windows(a, on: backend)
        XCTAssertEqual(windows.shape, [13, 8, 5, 16])
        assertMatchesGolden(
            try backend.download(windows), try file.floats("outputs/windows"), tolerance: tolerance, "windows")
        let padded = try HuMoAudioFeatures.windows(a, referenceFrames: 1, on: backend)
        assertMatchesGolden(
            try backend.download(padded), try file.floats("outputs/windows_with_ref_pad"), tolerance: tolerance,
            "windows with reference pad")
    }

    func testChainMatchesGoldenOnCPU() throws {
        try checkChain(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4)
    }

    func testChainMatchesGoldenOnVulkan() throws {
        try checkChain(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }

    /// Two 30 s chunks are joined in time before the cut: features of [A, B] equal the first rows
    /// of A's and then B's, and a clip shorter than one chunk only uses the first chunk.
    func testChunksAreJoinedInTimeBeforeTheCut() throws {
        let backend = try GoldenBackends.cpuBackend()
        let rowsA = (0..<(33 * 6 * 2)).map { Float($0 % 7) }
        let rowsB = (0..<(33 * 6 * 2)).map { Float(10 + $0 % 5) }
        let a = try (0..<33).map { i in
            try backend.upload(Array(rowsA[(i * 12)..<((i + 1) * 12)]), shape: [6, 2], dtype: .f32)
        }
        let b = try (0..<33).map { i in
            try backend.upload(Array(rowsB[(i * 12)..<((i + 1) * 12)]), shape: [6, 2], dtype: .f32)
        }
        // 8 video frames (5120 samples) need 16 encoder frames: 6 + 6 is too few.
        XCTAssertThrowsError(try HuMoAudioFeatures.videoRateFeatures(chunks: [a, b], sampleCount: 5120, on: backend))
        // 5 video frames need 10 frames: all of A, 4 of B.
        let joined = try HuMoAudioFeatures.videoRateFeatures(chunks: [a, b], sampleCount: 3200, on: backend)
        let manual = try HuMoAudioFeatures.resample(
            HuMoAudioFeatures.group(
                zip(a, b).map { try backend.concat([$0, $1.narrowed(axis: 0, start: 0, length: 4)], axis: 0) },
                on: backend), to: 5, on: backend)
        XCTAssertEqual(try backend.download(joined), try backend.download(manual))
    }
}
