// The Whisper encoder and HuMo's grouping/resampling/windows against whisper_frontend.safetensors
// (transformers' WhisperEncoder and HuMo's audio_processor_whisper; goldens README §3).
import Foundation
import Models
import Tensor
import XCTest

final class WhisperGoldenTests: XCTestCase {
    /// The golden's `config.encoder` block (its own names, not transformers').
    struct GoldenConfig: Decodable {
        struct Encoder: Decodable {
            let dModel: Int
            let layers: Int
            let heads: Int
            let ffn: Int
            let melBins: Int
            let maxSourcePositions: Int

            enum CodingKeys: String, CodingKey {
                case dModel = "d_model"
                case layers, heads, ffn
                case melBins = "num_mel_bins"
                case maxSourcePositions = "max_source_positions"
            }
        }
        let encoder: Encoder

        var whisper: WhisperEncoderConfig {
            WhisperEncoderConfig(
                dModel: encoder.dModel, layers: encoder.layers, heads: encoder.heads, ffnDim: encoder.ffn,
                melBins: encoder.melBins, maxSourcePositions: encoder.maxSourcePositions)
        }
    }

    static let rules = KeyRules(GoldenFixture.weightRules.rules + KeyRules.whisperEncoder.rules)

    static func encoder(_ file: Checkpoint, on backend: any Backend) throws -> WhisperEncoder {
        let config = try GoldenFixture.config(file, as: GoldenConfig.self).whisper
        var reader = try WeightReader(checkpoint: file, rules: rules, backend: backend)
        return try WhisperEncoder.load(config: config, from: &reader)
    }

    func checkHiddenStates(on backend: any Backend, tolerance: Float) throws {
        let file = try GoldenFixture.open("whisper_frontend")
        let encoder = try Self.encoder(file, on: backend)
        let states = try encoder.hiddenStates(try file.tensor("outputs/log_mel", on: backend), on: backend)
        XCTAssertEqual(states.count, 3)
        XCTAssertEqual(states.map(\.shape), Array(repeating: [1500, 64], count: 3))
        let expected = try file.floats("outputs/hidden_states")
        for (i, s) in states.enumerated() {
            assertMatchesGolden(
                try backend.download(s), Array(expected[(i * 1500 * 64)..<((i + 1) * 1500 * 64)]),
                tolerance: tolerance, "hidden state \(i)")
        }
    }

    func testEncoderHiddenStatesMatchGoldenOnCPU() throws {
        try checkHiddenStates(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4)
    }

    func testEncoderHiddenStatesMatchGoldenOnVulkan() throws {
        try checkHiddenStates(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }

    func checkGroupingAndWindows(on backend: any Backend, groupedTolerance: Float) throws {
        let file = try GoldenFixture.open("whisper_frontend")
        let hidden = try file.tensor("inputs/hidden33", on: backend)
        let states = try (0..<33).map { try hidden.selected(axis: 0, index: $0) }
        let grouped = try HuMoAudioFeatures.resample(
            HuMoAudioFeatures.group(states, on: backend), to: 97, on: backend)
        XCTAssertEqual(grouped.shape, [97, 5, 16])
        assertMatchesGolden(
            try backend.download(grouped), try file.floats("outputs/grouped"), tolerance: groupedTolerance, "grouped")
        // Windows are copies: exact, from the golden's own grouped features.
        let a = try file.tensor("outputs/grouped", on: backend)
        let windows = try HuMoAudioFeatures.windows(a, videoFrames: 97, on: backend)
        XCTAssertEqual(windows.shape, [25, 8, 5, 16])
        XCTAssertEqual(try backend.download(windows), try file.floats("outputs/windows"))
        let padded = try HuMoAudioFeatures.windows(a, referenceFrames: 1, on: backend)
        XCTAssertEqual(padded.shape, [26, 8, 5, 16])
        XCTAssertEqual(try backend.download(padded), try file.floats("outputs/windows_with_ref_pad"))
    }

    /// f32 source positions as torch: 1e-5 (the README measures 3.6e-7; f64 positions give 4e-5).
    func testGroupingResamplingAndWindowsMatchGoldenOnCPU() throws {
        try checkGroupingAndWindows(on: try GoldenBackends.cpuBackend(), groupedTolerance: 1e-5)
    }

    func testGroupingResamplingAndWindowsMatchGoldenOnVulkan() throws {
        try checkGroupingAndWindows(on: try GoldenBackends.vulkanBackend(), groupedTolerance: 1e-3)
    }

    /// Window k holds video-rate rows 4k−5 … 4k+2; rows outside the clip and reference windows are zero.
    func testWindowRowsFollowTheLatentFrameLayout() throws {
        let backend = try GoldenBackends.cpuBackend()
        // Feature row i is the constant i + 1 (so zero means "outside").
        let t25 = 13
        let values = (0..<t25).flatMap { i in Array(repeating: Float(i + 1), count: 5 * 2) }
        let a = try backend.upload(values, shape: [t25, 5, 2], dtype: .f32)
        let w = try backend.download(HuMoAudioFeatures.windows(a, videoFrames: 13, referenceFrames: 2, on: backend))
        XCTAssertEqual(w.count, (4 + 2) * 8 * 10)
        func row(_ k: Int, _ r: Int) -> Float { w[(k * 8 + r) * 10] }
        XCTAssertEqual((0..<8).map { row(0, $0) }, [0, 0, 0, 0, 0, 1, 2, 3])
        XCTAssertEqual((0..<8).map { row(1, $0) }, [0, 1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual((0..<8).map { row(3, $0) }, [8, 9, 10, 11, 12, 13, 0, 0])
        XCTAssertEqual((0..<8).map { row(4, $0) }, Array(repeating: 0, count: 8))
        XCTAssertEqual((0..<8).map { row(5, $0) }, Array(repeating: 0, count: 8))
    }

    /// The resampling is a linear interpolation with align_corners: end rows are kept, a ramp stays a ramp.
    func testResamplingInterpolatesWithAlignedCorners() throws {
        let backend = try GoldenBackends.cpuBackend()
        let ramp = try backend.upload((0..<11).map(Float.init), shape: [11], dtype: .f32)
        let out = try backend.download(HuMoAudioFeatures.resample(ramp, to: 5, on: backend))
        XCTAssertEqual(out, [0, 2.5, 5, 7.5, 10])
        let one = try backend.download(HuMoAudioFeatures.resample(ramp, to: 1, on: backend))
        XCTAssertEqual(one, [0])
    }

    func testBadInputsAreRejectedWithMessages() throws {
        let backend = try GoldenBackends.cpuBackend()
        let file = try GoldenFixture.open("whisper_frontend")
        let encoder = try Self.encoder(file, on: backend)
        for shape in [[80, 3000], [128, 3001], [128, 3002 + 2 * 1500], [128]] {
            XCTAssertThrowsError(try encoder.hiddenStates(try backend.zeros(shape), on: backend), "\(shape)") {
                XCTAssertTrue("\($0)".contains("log-mel"), "\($0)")
            }
        }
        let state = try backend.zeros([10, 4])
        XCTAssertThrowsError(try HuMoAudioFeatures.group(Array(repeating: state, count: 32), on: backend))
        let a = try backend.zeros([20, 5, 4])
        XCTAssertThrowsError(try HuMoAudioFeatures.windows(a, videoFrames: 20, on: backend))
        XCTAssertThrowsError(try HuMoAudioFeatures.windows(try backend.zeros([20, 4, 4]), on: backend))
        XCTAssertThrowsError(
            try HuMoAudioFeatures.videoRateFeatures(
                chunks: [Array(repeating: state, count: 33)], sampleCount: 100_000, on: backend))
        XCTAssertThrowsError(try WhisperEncoderConfig(dModel: 64, layers: 2, heads: 5, ffnDim: 8).validate())
    }

    func testConfigInferredFromWeightsMatchesTheGolden() throws {
        let backend = try GoldenBackends.cpuBackend()
        let file = try GoldenFixture.open("whisper_frontend")
        let reader = try WeightReader(checkpoint: file, rules: Self.rules, backend: backend)
        let inferred = try WhisperEncoder.inferConfig(from: reader, heads: 4)
        XCTAssertEqual(inferred, try GoldenFixture.config(file, as: GoldenConfig.self).whisper)
    }
}
