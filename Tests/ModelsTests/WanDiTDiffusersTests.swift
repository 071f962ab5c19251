// The Wan2.1 DiT loaded from a diffusers `save_pretrained` folder (diffusers names, 5 shards with an
// index, config.json) reproduces diffusers' WanTransformer3DModel (tools/fixtures/make_wan_dit.py).
import Foundation
import Models
import Tensor
import XCTest

final class WanDiTDiffusersTests: XCTestCase {
    private func io() throws -> Checkpoint {
        try Checkpoint.open(DiTGolden.folder.appendingPathComponent("wan_dit_diffusers_tiny_io.safetensors"))
    }

    /// `fromConfigJSON`: the config comes from the folder's diffusers config.json alone, as for a user's folder.
    private func velocity(on backend: any Backend, storeAs: DType? = nil, fromConfigJSON: Bool = false) throws -> (
        [Float], [Float]
    ) {
        let io = try io()
        let config = try JSONDecoder().decode(WanConfig.self, from: Data(try XCTUnwrap(io.metadata["config"]).utf8))
        let (model, unused) = try WanCheckpoint.load(
            DiTGolden.folder.appendingPathComponent("wan_dit_diffusers_tiny"), on: backend, storeAs: storeAs,
            config: fromConfigJSON ? nil : config)
        XCTAssertEqual(unused, [])
        let v = try model.velocity(
            WanDiTInputs(
                x: try io.tensor("inputs/x", on: backend), timestep: Double(try io.floats("inputs/t")[0]),
                context: try io.tensor("inputs/context", on: backend)), on: backend)
        XCTAssertEqual(v.shape, [16, 3, 6, 10])
        return (try backend.download(v), try io.floats("outputs/velocity"))
    }

    func testShardedDiffusersCheckpointMatchesDiffusersOnCPU() throws {
        let (v, expected) = try velocity(on: try GoldenBackends.cpuBackend())
        assertMatchesGolden(v, expected, tolerance: 1e-5, "diffusers velocity")
    }

    func testShardedDiffusersCheckpointMatchesDiffusersOnVulkan() throws {
        let (v, expected) = try velocity(on: try GoldenBackends.vulkanBackend())
        assertMatchesGolden(v, expected, tolerance: 1e-3, "diffusers velocity (vulkan)")
    }

    func testTheFoldersConfigJSONAloneReproducesDiffusers() throws {
        // diffusers' model embeds the context rows it is given (no padding to 512): read from config.json.
        let (v, expected) = try velocity(on: try GoldenBackends.cpuBackend(), fromConfigJSON: true)
        assertMatchesGolden(v, expected, tolerance: 1e-5, "diffusers velocity, config from config.json")
    }

    func testADiffusersConfigFieldWeDoNotImplementIsRefusedByName() throws {
        let json = #"{"_class_name": "WanTransformer3DModel", "num_attention_heads": 2, "attention_head_dim": 16, "num_layers": 2, "ffn_dim": 64, "image_dim": 1280}"#
        XCTAssertThrowsError(try JSONDecoder().decode(WanConfig.self, from: Data(json.utf8))) {
            XCTAssertTrue("\($0)".contains("image_dim"), "\($0)")
        }
        let unknown = #"{"num_attention_heads": 2, "attention_head_dim": 16, "num_layers": 2, "ffn_dim": 64, "use_magic": true}"#
        XCTAssertThrowsError(try JSONDecoder().decode(WanConfig.self, from: Data(unknown.utf8))) {
            XCTAssertTrue("\($0)".contains("use_magic"), "\($0)")
        }
        let huge = #"{"dim": 64, "num_heads": 2, "num_layers": 1000000000, "ffn_dim": 64}"#
        XCTAssertThrowsError(try JSONDecoder().decode(WanConfig.self, from: Data(huge.utf8)).validate()) {
            XCTAssertTrue("\($0)".contains("num_layers 1000000000 is outside"), "\($0)")
        }
    }

    func testConfigIsInferredFromShapesAndConfigJSON() throws {
        let checkpoint = try Checkpoint.open(DiTGolden.folder.appendingPathComponent("wan_dit_diffusers_tiny"))
        let reader = try WeightReader(checkpoint: checkpoint, rules: .wanDiT, backend: try GoldenBackends.cpuBackend())
        let c = try WanCheckpoint.config(reader)
        var expected = WanConfig(dim: 32, numHeads: 2, numLayers: 2, ffnDim: 64, inDim: 16, outDim: 16, textDim: 32)
        expected.padsContext = false
        XCTAssertEqual(c, expected)
        XCTAssertEqual(WanCheckpoint.describe(c).family, "Wan2.1")
    }

    func testRepackedPrefixLoadsTheSameModel() throws {
        // The golden's weights rewritten under ComfyUI's `model.diffusion_model.` prefix.
        let source = try DiTGolden.checkpoint("humo_dit_tiny_1p7b")
        var w = SafetensorsWriter()
        w.metadata = source.metadata
        for name in source.names where name.hasPrefix("weights/") {
            let (file, entry) = try source.locate(name)
            let bytes = try file.withBytes(name) { [UInt8]($0) }
            try w.add(
                "model.diffusion_model." + name.dropFirst(8), dtype: entry.dtype, shape: entry.shape, bytes: bytes)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "repacked-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try w.write(to: url)
        let cpu = try GoldenBackends.cpuBackend()
        let (model, unused) = try WanCheckpoint.load(url, on: cpu)
        XCTAssertEqual(unused, [])
        XCTAssertEqual(WanCheckpoint.describe(model.config).family, "HuMo")
        let v = try model.velocity(
            WanDiTInputs(
                x: try source.tensor("inputs/x", on: cpu), timestep: 937,
                context: try source.tensor("inputs/context", on: cpu),
                audio: try source.tensor("inputs/audio", on: cpu)), on: cpu)
        assertMatchesGolden(try cpu.download(v), try source.floats("outputs/velocity"), tolerance: 1e-4, "repacked")
    }

    func testAMissingBlockIsReportedWithEveryKey() throws {
        let source = try DiTGolden.checkpoint("humo_dit_tiny_1p7b")
        var w = SafetensorsWriter()
        w.metadata = source.metadata
        for name in source.names where name.hasPrefix("weights/") && !name.contains("blocks.1.ffn") {
            let (file, entry) = try source.locate(name)
            try w.add(
                String(name.dropFirst(8)), dtype: entry.dtype, shape: entry.shape,
                bytes: try file.withBytes(name) { [UInt8]($0) })
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "holed-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try w.write(to: url)
        XCTAssertThrowsError(try WanCheckpoint.load(url, on: try GoldenBackends.cpuBackend())) { error in
            guard case WeightsError.incompatible(_, let missing, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(
                missing,
                ["blocks.1.ffn.0.bias", "blocks.1.ffn.0.weight", "blocks.1.ffn.2.bias", "blocks.1.ffn.2.weight"])
        }
    }
}
