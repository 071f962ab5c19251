// Gemma-3's text model against transformers (tools/fixtures/make_text_gemma3.py): every hidden state.
import Foundation
import Models
import Tensor
import Text
import XCTest

final class Gemma3TextModelTests: XCTestCase {
    static let folder = TextFixture.folder.appendingPathComponent("gemma3")

    func io() throws -> Checkpoint { try Checkpoint.open(Self.folder.appendingPathComponent("io.safetensors")) }

    func check(
        _ model: Gemma3TextModel, ids: [Int], expected: [Float], on backend: any Backend, tolerance: Float,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let states = try model.hiddenStates(ids, on: backend)
        XCTAssertEqual(states.count, model.config.layers + 1, file: file, line: line)
        let n = ids.count * model.config.hiddenSize
        for (i, s) in states.enumerated() {
            XCTAssertEqual(s.shape, [ids.count, model.config.hiddenSize], file: file, line: line)
            assertClose(
                try backend.download(s), Array(expected[(i * n)..<((i + 1) * n)]), tolerance: tolerance, "state \(i)",
                file: file, line: line)
        }
    }

    func testCausalLMFolderMatchesTransformersOnCPU() throws {
        let backend = try TextBackends.cpuBackend()
        let model = try Gemma3TextModel.load(checkpoint: Self.folder.appendingPathComponent("causal_lm"), backend: backend)
        XCTAssertEqual(model.config.layerTypes.filter { $0 == .full }.count, 1)
        XCTAssertEqual(model.config.globalRoPE.factor, 8)
        XCTAssertEqual(model.config.slidingWindow, 5)
        let io = try io()
        try check(model, ids: try io.ids("ids"), expected: try io.floats("states"), on: backend, tolerance: 1e-4)
    }

    func testCausalLMFolderMatchesTransformersOnVulkan() throws {
        let backend = try TextBackends.vulkanBackend()
        let model = try Gemma3TextModel.load(checkpoint: Self.folder.appendingPathComponent("causal_lm"), backend: backend)
        let io = try io()
        try check(model, ids: try io.ids("ids"), expected: try io.floats("states"), on: backend, tolerance: 1e-3)
    }

    /// The Hub's 4.x `Gemma3ForConditionalGeneration` files: `language_model.model.*` in shards with an
    /// index, 4.x RoPE fields in `text_config`, vision tensors ignored — the same model as above.
    func testHub4xShardedConditionalLayoutGivesTheSameModel() throws {
        let backend = try TextBackends.cpuBackend()
        let model = try Gemma3TextModel.load(checkpoint: Self.folder.appendingPathComponent("hub4x"), backend: backend)
        let reference = try Gemma3TextModel.load(
            checkpoint: Self.folder.appendingPathComponent("causal_lm"), backend: backend)
        XCTAssertEqual(model.config, reference.config)
        let io = try io()
        try check(model, ids: try io.ids("ids"), expected: try io.floats("states"), on: backend, tolerance: 1e-4)
    }

    /// transformers 5's `Gemma3ForConditionalGeneration` (`model.language_model.*`, 7 shards).
    func testConditionalGenerationTextPartMatchesTransformers() throws {
        let backend = try TextBackends.cpuBackend()
        let model = try Gemma3TextModel.load(checkpoint: Self.folder.appendingPathComponent("conditional"), backend: backend)
        XCTAssertEqual(model.config.layerTypes, [.sliding, .full])
        let io = try io()
        try check(model, ids: try io.ids("ids_cond"), expected: try io.floats("states_cond"), on: backend, tolerance: 1e-4)
    }

    /// Real head size 256 on 256 tokens with a 64-token window (one global, one sliding layer).
    func testRealHeadSizeAndLongerThanTheWindow() throws {
        let backend = try TextBackends.cpuBackend()
        let file = try Checkpoint.open(Self.folder.appendingPathComponent("real_head.safetensors"))
        let config = try Gemma3Config(json: Data(file.metadata["config"]!.utf8), path: "real_head")
        XCTAssertEqual(config.headDim, 256)
        var rules = KeyRules.gemma3Text
        rules.rules.insert(.dropPrefix("weights/"), at: 0)
        var reader = try WeightReader(checkpoint: file, rules: rules, backend: backend)
        let model = try Gemma3TextModel.load(config: config, from: &reader, backend: backend)
        XCTAssertEqual(model.embedding.dtype, .bf16)
        // transformers ran these bf16 values in f32, so its embedding scale was not rounded to bf16.
        XCTAssertEqual(model.embeddingScale, HalfConversion.roundTrip([Float(128).squareRoot()], through: .bf16)[0])
        let ids = try file.ids("ids")
        let states = try model.hiddenStates(ids, on: backend)
        let expected = try file.floats("states")
        let n = 256 * 128
        let ratio = Float(128).squareRoot() / model.embeddingScale
        assertClose(
            try backend.download(states[0]).map { $0 * ratio }, Array(expected[0..<n]), tolerance: 1e-5, "embedding")
        // Later states carry the bf16 rounding of the embedding scale (0.03 %) through two layers.
        for i in 1...2 {
            assertClose(try backend.download(states[i]), Array(expected[(i * n)..<((i + 1) * n)]), tolerance: 2e-3, "state \(i)")
        }
    }

    func testBadConfigsAndIdsAreNamed() throws {
        let backend = try TextBackends.cpuBackend()
        let model = try Gemma3TextModel.load(checkpoint: Self.folder.appendingPathComponent("causal_lm"), backend: backend)
        XCTAssertThrowsError(try model.hiddenStates([1, 211], on: backend)) { XCTAssertTrue("\($0)".contains("vocabulary")) }
        for (json, what) in [
            (#"{"hidden_size": 48, "num_hidden_layers": 2, "layer_types": ["full_attention"]}"#, "layer types"),
            (#"{"rope_parameters": {"full_attention": {"rope_type": "yarn"}}}"#, "yarn"),
            (#"{"hidden_activation": "relu"}"#, "relu"),
            (#"{"num_attention_heads": 3, "num_key_value_heads": 2}"#, "heads"),
            ("[1, 2]", "JSON object"),
        ] {
            XCTAssertThrowsError(try Gemma3Config(json: Data(json.utf8), path: "c.json")) { e in
                XCTAssertTrue("\(e)".contains(what) && "\(e)".contains("c.json"), "\(e)")
            }
        }
    }
}
