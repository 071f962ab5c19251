// A Whisper encoder loaded from a whole transformers checkpoint (encoder + decoder, config.json)
// against transformers' own hidden states (tools/fixtures/make_whisper.py).
import Foundation
import Models
import Tensor
import XCTest

final class WhisperCheckpointTests: XCTestCase {
    static let folder = GoldenFixture.folder.appendingPathComponent("whisper_hf_tiny")

    func check(_ encoder: WhisperEncoder, on backend: any Backend, tolerance: Float) throws {
        let io = try GoldenFixture.open("whisper_hf_tiny_io")
        let states = try encoder.hiddenStates(try io.tensor("inputs/log_mel", on: backend), on: backend)
        XCTAssertEqual(states.count, 4)
        let expected = try io.floats("outputs/hidden_states")
        let n = 100 * 128
        for (i, s) in states.enumerated() {
            XCTAssertEqual(s.shape, [100, 128])
            assertMatchesGolden(
                try backend.download(s), Array(expected[(i * n)..<((i + 1) * n)]), tolerance: tolerance, "state \(i)")
        }
        // The last state is transformers' last_hidden_state (layer_norm of the last layer).
        XCTAssertEqual(Array(expected[(3 * n)...]), try io.floats("outputs/last_hidden_state"))
    }

    func testHubCheckpointWithConfigMatchesTransformersOnCPU() throws {
        let backend = try GoldenBackends.cpuBackend()
        let encoder = try WhisperEncoder.load(checkpoint: Self.folder, backend: backend)
        XCTAssertEqual(
            encoder.config, WhisperEncoderConfig(dModel: 128, layers: 3, heads: 2, ffnDim: 256, maxSourcePositions: 100)
        )
        try check(encoder, on: backend, tolerance: 1e-5)
    }

    func testHubCheckpointMatchesTransformersOnVulkan() throws {
        let backend = try GoldenBackends.vulkanBackend()
        try check(try WhisperEncoder.load(checkpoint: Self.folder, backend: backend), on: backend, tolerance: 1e-3)
    }

    /// Without config.json the sizes come from the shapes and the heads from d_model/64.
    func testSingleFileWithoutConfigInfersTheSizes() throws {
        let backend = try GoldenBackends.cpuBackend()
        let file = Self.folder.appendingPathComponent("model.safetensors")
        let encoder = try WhisperEncoder.load(checkpoint: file, backend: backend)
        XCTAssertEqual(encoder.config.heads, 2)
        XCTAssertEqual(encoder.config.layers, 3)
        try check(encoder, on: backend, tolerance: 1e-5)
    }

    /// bf16-stored weights stay within bf16 rounding of the f32 result.
    func testBF16WeightsStayCloseToF32() throws {
        let backend = try GoldenBackends.cpuBackend()
        let encoder = try WhisperEncoder.load(checkpoint: Self.folder, backend: backend, storeAs: .bf16)
        XCTAssertEqual(encoder.layers[0].fc1.weight.dtype, .bf16)
        try check(encoder, on: backend, tolerance: 3e-2)
    }

    /// The decoder's tensors are ignored; a missing encoder tensor is named.
    func testDecoderKeysAreIgnoredAndMissingEncoderKeysNamed() throws {
        let backend = try GoldenBackends.cpuBackend()
        let checkpoint = try Checkpoint.open(Self.folder)
        var reader = try WeightReader(checkpoint: checkpoint, rules: .whisperEncoder, backend: backend)
        _ = try WhisperEncoder.load(
            config: WhisperEncoderConfig(dModel: 128, layers: 3, heads: 2, ffnDim: 256, maxSourcePositions: 100),
            from: &reader)
        XCTAssertTrue(reader.unusedKeys.allSatisfy { $0.hasPrefix("model.decoder.") }, "\(reader.unusedKeys)")
        XCTAssertFalse(reader.unusedKeys.isEmpty)
        var four = try WeightReader(checkpoint: checkpoint, rules: .whisperEncoder, backend: backend)
        XCTAssertThrowsError(
            try WhisperEncoder.load(
                config: WhisperEncoderConfig(dModel: 128, layers: 4, heads: 2, ffnDim: 256, maxSourcePositions: 100),
                from: &four)
        ) { XCTAssertTrue("\($0)".contains("layers.3.fc1.weight"), "\($0)") }
    }
}
