// LTX-2 checkpoints as users have them: the registry row finds a diffusers folder's transformer/ and
// connectors/ (the layout tools/train_av exports); bad input gets a message naming the file, the
// tensor or the field: fp8 storage, another family, a missing layer, LTX-2.3 switches, a truncated file.
import Foundation
import Models
import Tensor
import XCTest

final class LTX2LoadingTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ltx2-loading-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func copy(_ fixture: String, to name: String) throws -> URL {
        let to = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: LTX2Golden.folder.appendingPathComponent(fixture), to: to)
        return to
    }

    func testRegistryFindsTheDiffusersLayoutAndTheConfigsBesideEachComponent() throws {
        let model = scratch.appendingPathComponent("model")
        _ = try copy("transformer_tiny", to: "model/transformer")
        _ = try copy("connectors_tiny", to: "model/connectors")
        let folder = try LTX2Folder(folder: model)
        XCTAssertEqual(folder.transformer.kind, .ltx2Transformer)
        XCTAssertEqual(folder.connectors.kind, .ltx2Connectors)
        XCTAssertEqual(folder.transformer.configFile?.lastPathComponent, "config.json")
        let backend = try GoldenBackends.cpuBackend()
        let (dit, _) = try LTX2Checkpoint.loadTransformer(folder.transformer.url, on: backend)
        XCTAssertEqual(dit.config.ropeType, .split)
        XCTAssertEqual(LTX2Checkpoint.describe(dit.config).family, "LTX-2")
        _ = try LTX2Checkpoint.loadConnectors(folder.connectors.url, on: backend)
    }

    func testAFolderWithoutConnectorsOrOfAnotherFamilyIsNamed() throws {
        _ = try copy("transformer_tiny_single.safetensors", to: "single/ltx-2.safetensors")
        XCTAssertThrowsError(try LTX2Folder(folder: scratch.appendingPathComponent("single"))) {
            XCTAssertTrue("\($0)".contains("no LTX-2 text connectors"), "\($0)")
        }
        let wan = scratch.appendingPathComponent("wan")
        try FileManager.default.copyItem(
            at: DiTGolden.folder.appendingPathComponent("wan_dit_diffusers_tiny"), to: wan)
        XCTAssertThrowsError(try LTX2Folder(folder: wan)) {
            XCTAssertTrue("\($0)".contains("another family"), "\($0)")
        }
        XCTAssertThrowsError(try LTX2Checkpoint.loadTransformer(wan, on: try GoldenBackends.cpuBackend())) {
            XCTAssertTrue("\($0)".contains("no LTX-2 transformer tensors") && "\($0)".contains(wan.path), "\($0)")
        }
    }

    func testFP8CheckpointsAreRefusedNamingTheFormat() throws {
        var w = SafetensorsWriter()
        w.metadata["config"] = #"{"transformer": {"rope_type": "split"}}"#
        for name in ["audio_patchify_proj.weight", "av_ca_a2v_gate_adaln_single.linear.weight"] {
            try w.add("model.diffusion_model.\(name)", dtype: .f8e4m3, shape: [2, 2], bytes: [1, 2, 3, 4])
        }
        let file = scratch.appendingPathComponent("ltx-2-19b-dev-fp8.safetensors")
        try w.write(to: file)
        XCTAssertThrowsError(try LTX2Checkpoint.loadTransformer(file, on: try GoldenBackends.cpuBackend())) {
            let m = "\($0)"
            XCTAssertTrue(m.contains("F8_E4M3") && m.contains("fp8") && m.contains(file.lastPathComponent), m)
        }
    }

    func testAMissingLayerIsNamedWithTheFile() throws {
        let file = LTX2Golden.folder.appendingPathComponent("transformer_tiny_single.safetensors")
        var config = try LTX2Checkpoint.transformerConfig(try Checkpoint.open(file))
        config.numLayers = 4
        XCTAssertThrowsError(
            try LTX2Checkpoint.loadTransformer(file, on: try GoldenBackends.cpuBackend(), config: config)
        ) {
            let m = "\($0)"
            XCTAssertTrue(m.contains("transformer_blocks.3.attn1.to_q.weight") && m.contains(file.path), m)
        }
    }

    func testLTX23SwitchesAndUnknownFieldsAreRefusedByName() throws {
        let base = try String(
            contentsOf: LTX2Golden.folder.appendingPathComponent("transformer_tiny/config.json"), encoding: .utf8)
        let gated = base.replacingOccurrences(of: #""gated_attn": false"#, with: #""gated_attn": true"#)
        XCTAssertThrowsError(try JSONDecoder().decode(LTX2TransformerConfig.self, from: Data(gated.utf8))) {
            XCTAssertTrue("\($0)".contains("LTX-2.3") && "\($0)".contains("gated_attn"), "\($0)")
        }
        let unknown = base.replacingOccurrences(
            of: #""gated_attn": false"#, with: #""gated_attn": false, "use_magic": 1"#)
        XCTAssertThrowsError(try JSONDecoder().decode(LTX2TransformerConfig.self, from: Data(unknown.utf8))) {
            XCTAssertTrue("\($0)".contains("use_magic"), "\($0)")
        }
        let core =
            #"{"num_attention_heads": 4, "attention_head_dim": 10, "cross_attention_dim": 40, "positional_embedding_theta": 10000.0, "apply_gated_attention": true}"#
        XCTAssertThrowsError(try JSONDecoder().decode(LTX2TransformerConfig.self, from: Data(core.utf8))) {
            XCTAssertTrue("\($0)".contains("LTX-2.3 (gated attention"), "\($0)")
        }
    }

    func testATruncatedCheckpointIsRefusedWithItsName() throws {
        let file = try copy("transformer_tiny_single.safetensors", to: "cut.safetensors")
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        XCTAssertThrowsError(try LTX2Checkpoint.loadTransformer(file, on: try GoldenBackends.cpuBackend())) {
            XCTAssertTrue("\($0)".contains(file.path), "\($0)")
        }
    }

    func testWrongInputShapesAreNamed() throws {
        let backend = try GoldenBackends.cpuBackend()
        let (dit, _) = try LTX2Checkpoint.loadTransformer(
            LTX2Golden.folder.appendingPathComponent("transformer_tiny"), on: backend)
        let io = try LTX2Golden.io("transformer_tiny_io.safetensors")
        var x = try LTX2Golden.inputs(io, masked: true, on: backend)
        x.width = 4
        XCTAssertThrowsError(try dit(x, on: backend)) { XCTAssertTrue("\($0)".contains("video tokens"), "\($0)") }
        x = try LTX2Golden.inputs(io, masked: true, on: backend)
        x.textMask = Array(repeating: false, count: 9)
        XCTAssertThrowsError(try dit(x, on: backend)) {
            XCTAssertTrue("\($0)".contains("keeps no caption row"), "\($0)")
        }
    }

    func testPackingRoundTripsBothLatentLayouts() throws {
        let backend = try GoldenBackends.cpuBackend()
        let values = (0..<(7 * 3 * 2 * 5)).map(Float.init)
        let video = try backend.upload(values, shape: [7, 3, 2, 5], dtype: .f32)
        let tokens = try LTX2Transformer.packVideo(video, on: backend)
        XCTAssertEqual(tokens.shape, [30, 7])
        XCTAssertEqual(try backend.download(tokens)[7 * 11 + 2], values[2 * 30 + 11], "token 11, channel 2")
        let back = try LTX2Transformer.unpackVideo(tokens, frames: 3, height: 2, width: 5, on: backend)
        XCTAssertEqual(try backend.download(back), values)
        let audio = try backend.upload(Array(values.prefix(8 * 3 * 2)), shape: [8, 3, 2], dtype: .f32)
        let audioTokens = try LTX2Transformer.packAudio(audio, on: backend)
        XCTAssertEqual(audioTokens.shape, [3, 16])
        XCTAssertEqual(try backend.download(audioTokens)[1 * 16 + 5 * 2 + 1], values[5 * 6 + 1 * 2 + 1], "(c 5, m 1)")
        XCTAssertEqual(
            try backend.download(try LTX2Transformer.unpackAudio(audioTokens, channels: 8, on: backend)),
            Array(values.prefix(48)))
    }
}
