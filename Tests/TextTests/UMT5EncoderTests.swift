// The umT5 encoder against transformers' UMT5EncoderModel (tools/fixtures/make_text_umt5.py).
import Foundation
import Models
import Tensor
import Text
import XCTest

final class UMT5EncoderTests: XCTestCase {
    static let folder = TextFixture.folder.appendingPathComponent("umt5")
    static let tiny = UMT5Config(vocabSize: 301, dModel: 72, headDim: 16, ffnDim: 100, layers: 3, heads: 5)

    func io() throws -> Checkpoint { try Checkpoint.open(Self.folder.appendingPathComponent("io.safetensors")) }

    func testBucketsMatchTorchEverywhere() throws {
        let table = try io().floats("buckets")
        let n = table.count / 2
        for i in 0..<n {
            let r = Int(table[i])
            XCTAssertEqual(t5RelativeBucket(r, buckets: 32, maxDistance: 128), Int(table[n + i]), "offset \(r)")
        }
    }

    func testTransformersFolderMatchesOnCPU() throws {
        let backend = try TextBackends.cpuBackend()
        let encoder = try UMT5Encoder.load(checkpoint: Self.folder.appendingPathComponent("hf_tiny"), backend: backend)
        XCTAssertEqual(encoder.config, Self.tiny)
        let io = try io()
        let out = try encoder(try io.ids("ids"), on: backend)
        XCTAssertEqual(out.shape, [150, 72])
        assertClose(try backend.download(out), try io.floats("hidden"), tolerance: 1e-4, "hidden")
    }

    func testTransformersFolderMatchesOnVulkan() throws {
        let backend = try TextBackends.vulkanBackend()
        let encoder = try UMT5Encoder.load(checkpoint: Self.folder.appendingPathComponent("hf_tiny"), backend: backend)
        let io = try io()
        assertClose(
            try backend.download(try encoder(try io.ids("ids"), on: backend)), try io.floats("hidden"), tolerance: 1e-3,
            "hidden")
    }

    /// Wan's `.pth` repack in bf16 (original key names, no config: sizes from the shapes).
    func testWanBF16CheckpointMatchesTheBF16RoundedReference() throws {
        let backend = try TextBackends.cpuBackend()
        let encoder = try UMT5Encoder.load(checkpoint: Self.folder.appendingPathComponent("wan_tiny_bf16.pth"), backend: backend)
        XCTAssertEqual(encoder.config, Self.tiny)
        XCTAssertEqual(encoder.layers[1].gate.weight.dtype, .bf16)
        let io = try io()
        let out = try backend.download(try encoder(try io.ids("ids"), on: backend))
        assertClose(out, try io.floats("hidden_bf16"), tolerance: 1e-4, "bf16 weights")
        // and within bf16 rounding of the f32 model
        assertClose(out, try io.floats("hidden"), tolerance: 5e-2, "bf16 vs f32")
    }

    /// Wan pads to 512 with a mask and cuts the output to the real length; encoding only the real
    /// tokens gives the same states.
    func testUnpaddedEncodingEqualsPaddedAndCut() throws {
        let backend = try TextBackends.cpuBackend()
        let encoder = try UMT5Encoder.load(checkpoint: Self.folder.appendingPathComponent("hf_tiny"), backend: backend)
        let io = try io()
        assertClose(
            try backend.download(try encoder(try io.ids("short_ids"), on: backend)), try io.floats("short_padded_cut"),
            tolerance: 1e-4, "padded and cut")
    }

    /// 512 tokens at the real head size (64): every bucket, including those past max distance 128.
    func testRealLengthAndHeadSize() throws {
        let backend = try TextBackends.cpuBackend()
        let file = try Checkpoint.open(Self.folder.appendingPathComponent("real_len.safetensors"))
        let config = try JSONDecoder().decode(
            UMT5Config.self, from: Data(contentsOf: Self.folder.appendingPathComponent("real_len_config.json")))
        XCTAssertEqual(config.headDim, 64)
        var rules = KeyRules.umT5Encoder
        rules.rules.insert(.dropPrefix("weights/"), at: 0)
        var reader = try WeightReader(checkpoint: file, rules: rules, backend: backend)
        let encoder = try UMT5Encoder.load(config: config, from: &reader)
        let out = try encoder(try file.ids("ids"), on: backend)
        XCTAssertEqual(out.shape, [512, 128])
        assertClose(try backend.download(out), try file.floats("hidden"), tolerance: 1e-4, "512 tokens")
    }

    func testBadIdsAndMissingWeightsAreNamed() throws {
        let backend = try TextBackends.cpuBackend()
        let encoder = try UMT5Encoder.load(checkpoint: Self.folder.appendingPathComponent("hf_tiny"), backend: backend)
        XCTAssertThrowsError(try encoder([5, 301], on: backend)) { XCTAssertTrue("\($0)".contains("vocabulary"), "\($0)") }
        XCTAssertThrowsError(try encoder([], on: backend))
        var wrong = Self.tiny
        wrong.layers = 4
        XCTAssertThrowsError(
            try UMT5Encoder.load(checkpoint: Self.folder.appendingPathComponent("hf_tiny"), config: wrong, backend: backend)
        ) { XCTAssertTrue("\($0)".contains("blocks.3.attn.q.weight"), "\($0)") }
    }

    /// Text encoders are the second-largest files a user loads (umT5-XXL ≈ 11 GB, Gemma-3-12B ≈ 24 GB):
    /// both are refused before a weight is read when they would not fit, naming the file.
    func testEncodersThatDoNotFitInMemoryAreRefusedNamingTheFile() throws {
        let cpu = try TextBackends.cpuBackend()
        let umT5 = Self.folder.appendingPathComponent("hf_tiny")
        let gemma = TextFixture.folder.appendingPathComponent("gemma3/causal_lm")
        for (url, load) in [
            (umT5, { _ = try UMT5Encoder.load(checkpoint: umT5, backend: cpu, memoryLimit: 10_000) }),
            (gemma, { _ = try Gemma3TextModel.load(checkpoint: gemma, backend: cpu, memoryLimit: 10_000) }),
        ] as [(URL, () throws -> Void)] {
            XCTAssertThrowsError(try load()) { error in
                guard case WeightsError.tooLarge = error else { return XCTFail("\(error)") }
                XCTAssertTrue("\(error)".contains(url.path), "\(error)")
                XCTAssertTrue("\(error)".contains("this machine has 0.01 MB"), "\(error)")
            }
        }
    }
}
