// Checkpoints made of several files (shard index, folder), key rules, and the weight reader's
// bookkeeping: every missing or mis-shaped weight listed, unknown tensors ignored and reported.
import Foundation
import Models
import Tensor
import XCTest

final class WeightsCheckpointTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func write(_ tensors: [(String, [Int])], to name: String) throws {
        var w = SafetensorsWriter()
        for (n, shape) in tensors {
            try w.add(n, shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0) + Float(n.count) })
        }
        try w.write(to: folder.appendingPathComponent(name))
    }

    private func writeIndex(_ map: [String: String], name: String = "model.safetensors.index.json") throws {
        let json = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 0], "weight_map": map])
        try json.write(to: folder.appendingPathComponent(name))
    }

    func testShardIndexAndFolderGiveTheSameTensors() throws {
        try write([("a.weight", [2, 3]), ("a.bias", [2])], to: "m-00001-of-00002.safetensors")
        try write([("b.weight", [4])], to: "m-00002-of-00002.safetensors")
        try writeIndex([
            "a.weight": "m-00001-of-00002.safetensors", "a.bias": "m-00001-of-00002.safetensors",
            "b.weight": "m-00002-of-00002.safetensors",
        ])
        let viaIndex = try Checkpoint.open(folder.appendingPathComponent("model.safetensors.index.json"))
        let viaFolder = try Checkpoint.open(folder)
        XCTAssertEqual(viaIndex.names, ["a.bias", "a.weight", "b.weight"])
        XCTAssertEqual(viaFolder.names, viaIndex.names)
        XCTAssertEqual(viaIndex.files.count, 2)
        XCTAssertEqual(try viaFolder.floats("b.weight"), [8, 9, 10, 11])
        XCTAssertEqual(try viaIndex.floats("a.bias"), [6, 7])
    }

    func testBadIndexesAreRejected() throws {
        try write([("a", [2])], to: "one.safetensors")
        let cases: [([String: String], String)] = [
            (["a": "two.safetensors"], "two.safetensors"),
            (["a": "../one.safetensors"], "inside the folder"),
            (["ghost": "one.safetensors"], "'ghost'"),
        ]
        for (i, (map, word)) in cases.enumerated() {
            try writeIndex(map, name: "bad\(i).index.json")
            XCTAssertThrowsError(try Checkpoint.open(folder.appendingPathComponent("bad\(i).index.json"))) {
                XCTAssertTrue("\($0)".contains(word), "'\($0)' should mention \(word)")
            }
        }
        // A folder with several index files is ambiguous.
        XCTAssertThrowsError(try Checkpoint.open(folder)) { XCTAssertTrue("\($0)".contains("several index files")) }
        // The same tensor in two loose files.
        let dup = folder.appendingPathComponent("dup")
        try FileManager.default.createDirectory(at: dup, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("one.safetensors"), to: dup.appendingPathComponent("x.safetensors"))
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("one.safetensors"), to: dup.appendingPathComponent("y.safetensors"))
        XCTAssertThrowsError(try Checkpoint.open(dup)) { XCTAssertTrue("\($0)".contains("'a'"), "\($0)") }
    }

    func testWanKeyRulesMapRepackedAndDiffusersNamesToTheOriginalOnes() {
        let rules = KeyRules.wanDiT
        let expected: [String: String] = [
            "model.diffusion_model.blocks.3.self_attn.q.weight": "blocks.3.self_attn.q.weight",
            "blocks.3.self_attn.q.weight": "blocks.3.self_attn.q.weight",
            "blocks.12.attn1.to_q.weight": "blocks.12.self_attn.q.weight",
            "blocks.0.attn1.to_out.0.bias": "blocks.0.self_attn.o.bias",
            "blocks.0.attn2.to_v.weight": "blocks.0.cross_attn.v.weight",
            "blocks.0.attn2.norm_k.weight": "blocks.0.cross_attn.norm_k.weight",
            "blocks.0.norm2.weight": "blocks.0.norm3.weight",
            "blocks.0.ffn.net.0.proj.weight": "blocks.0.ffn.0.weight",
            "blocks.0.ffn.net.2.bias": "blocks.0.ffn.2.bias",
            "blocks.0.scale_shift_table": "blocks.0.modulation",
            "scale_shift_table": "head.modulation",
            "proj_out.weight": "head.head.weight",
            "condition_embedder.time_proj.bias": "time_projection.1.bias",
            "condition_embedder.time_embedder.linear_2.weight": "time_embedding.2.weight",
            "condition_embedder.text_embedder.linear_1.bias": "text_embedding.0.bias",
            "audio_proj.audio_proj_glob_1.layer.bias": "audio_proj.audio_proj_glob_1.layer.bias",
            "blocks.1.audio_cross_attn_wrapper.norm1_audio.weight":
                "blocks.1.audio_cross_attn_wrapper.norm1_audio.weight",
        ]
        for (from, to) in expected { XCTAssertEqual(rules.apply(from), to, from) }
    }

    func testReaderListsEveryMissingAndMisshapedWeightAndIgnoresUnknownOnes() throws {
        try write(
            [("model.diffusion_model.x.weight", [2, 3]), ("model.diffusion_model.y", [5]), ("extra", [1])],
            to: "m.safetensors")
        let checkpoint = try Checkpoint.open(folder.appendingPathComponent("m.safetensors"))
        var reader = try WeightReader(checkpoint: checkpoint, rules: .wanDiT, backend: try GoldenBackends.cpuBackend())
        let x = try reader.take("x.weight", shape: [2, 3])
        XCTAssertEqual(x.shape, [2, 3])
        _ = try reader.take("y", shape: [4])
        _ = try reader.take("z.weight", shape: [7])
        _ = try reader.take("a.bias", shape: [7])
        XCTAssertEqual(reader.unusedKeys, ["extra"])
        XCTAssertThrowsError(try reader.finish()) { error in
            guard case WeightsError.incompatible(_, let missing, let misshaped) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(missing, ["a.bias", "z.weight"])
            XCTAssertEqual(misshaped, ["y: expected [4], found [5]"])
            XCTAssertTrue("\(error)".contains("m.safetensors"))
        }
    }

    func testTwoNamesForOneWeightAreAmbiguous() throws {
        try write([("model.diffusion_model.x", [1]), ("x", [1])], to: "m.safetensors")
        let checkpoint = try Checkpoint.open(folder.appendingPathComponent("m.safetensors"))
        XCTAssertThrowsError(try WeightReader(checkpoint: checkpoint, rules: .wanDiT, backend: try GoldenBackends.cpuBackend())) {
            XCTAssertTrue("\($0)".contains("'x'"), "\($0)")
        }
    }

    func testHalfWeightsCanBeStoredAsF32() throws {
        var w = SafetensorsWriter()
        try w.add("w", dtype: .bf16, shape: [2], bytes: [0x80, 0x3F, 0x40, 0xC0])
        try w.write(to: folder.appendingPathComponent("h.safetensors"))
        let checkpoint = try Checkpoint.open(folder.appendingPathComponent("h.safetensors"))
        let cpu = try GoldenBackends.cpuBackend()
        var reader = try WeightReader(checkpoint: checkpoint, rules: .identity, backend: cpu, storeAs: .f32)
        let t = try reader.take("w", shape: [2])
        XCTAssertEqual(t.dtype, .f32)
        XCTAssertEqual(try cpu.download(t), [1, -3])
        try reader.finish()
    }
}
