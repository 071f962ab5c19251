// Prompts through a folder's text encoder: found by content, encoded once, served from the disk cache
// afterwards, and bad folders named (the encoder and tokenizer themselves are checked against
// transformers and sentencepiece in TextTests).
import Foundation
import Models
import Pipeline
import Tensor
import TensorCPU
import Text
import XCTest

final class PromptEncodingTests: XCTestCase {
    static let spiece = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TextTests/Fixtures/tokenizers/umt5_unigram/spiece.model")

    /// A random umT5 encoder in Wan's names (vocab `vocab`), and the fixture tokenizer (900 pieces) in
    /// a `google/umt5-xxl/` sub-folder, as Wan2.1 lays it out.
    func makeFolder(vocab: Int = 1000, tokenizer: Bool = true) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("umt5-\(UUID())")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("google/umt5-xxl"), withIntermediateDirectories: true)
        var w = SafetensorsWriter()
        var state: UInt64 = 7
        func random(_ n: Int, _ scale: Float) -> [Float] {
            (0..<n).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
        }
        let (d, inner, ffn) = (32, 32, 48)
        try w.add("token_embedding.weight", shape: [vocab, d], values: random(vocab * d, 1))
        for i in 0..<2 {
            let p = "blocks.\(i)"
            try w.add("\(p).norm1.weight", shape: [d], values: random(d, 0.2).map { $0 + 1 })
            for n in ["q", "k", "v"] { try w.add("\(p).attn.\(n).weight", shape: [inner, d], values: random(inner * d, 0.3)) }
            try w.add("\(p).attn.o.weight", shape: [d, inner], values: random(inner * d, 0.3))
            try w.add("\(p).pos_embedding.embedding.weight", shape: [32, 2], values: random(64, 1))
            try w.add("\(p).norm2.weight", shape: [d], values: random(d, 0.2).map { $0 + 1 })
            try w.add("\(p).ffn.gate.0.weight", shape: [ffn, d], values: random(ffn * d, 0.3))
            try w.add("\(p).ffn.fc1.weight", shape: [ffn, d], values: random(ffn * d, 0.3))
            try w.add("\(p).ffn.fc2.weight", shape: [d, ffn], values: random(ffn * d, 0.3))
        }
        try w.add("norm.weight", shape: [d], values: random(d, 0.2).map { $0 + 1 })
        try w.write(to: folder.appendingPathComponent("models_t5_umt5-xxl-enc-bf16.safetensors"))
        if tokenizer {
            try FileManager.default.copyItem(
                at: Self.spiece, to: folder.appendingPathComponent("google/umt5-xxl/spiece.model"))
        }
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func cache() throws -> CacheStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return try CacheStore(folder: dir, budgetMB: 64)
    }

    func testPromptIsEncodedOnceThenServedFromTheCache() throws {
        let folder = try makeFolder()
        let cache = try cache()
        let prompt = "A man walks his dog along the beach at sunset."
        let (first, firstCached) = try PromptEncoding.encode(folder: folder, prompt: prompt, backend: .cpu, cache: cache)
        XCTAssertFalse(firstCached)
        XCTAssertEqual(first.family, .umT5)
        XCTAssertEqual(first.name, "context")
        XCTAssertEqual(first.shape, [first.tokens.count, 32])
        XCTAssertEqual(first.tokens.last, 1, "</s> appended")

        // The same as the tokenizer and encoder run by hand.
        let backend = try CPUBackend()
        let files = try TextEncoderFolder(folder: folder)
        let encoder = try PromptEncoder(folder: files, backend: backend)
        let direct = try encoder.encode(prompt, on: backend)
        XCTAssertEqual(direct, first)

        let (second, secondCached) = try PromptEncoding.encode(folder: folder, prompt: prompt, backend: .cpu, cache: cache)
        XCTAssertTrue(secondCached)
        XCTAssertEqual(second, first)
        let (other, otherCached) = try PromptEncoding.encode(folder: folder, prompt: prompt + "!", backend: .cpu, cache: cache)
        XCTAssertFalse(otherCached)
        XCTAssertNotEqual(other.values, first.values)

        // The file the pipeline reads: one tensor 'context' [L, d].
        let out = folder.appendingPathComponent("text_context.safetensors")
        try first.safetensors().write(to: out)
        let file = try Checkpoint.open(out)
        XCTAssertEqual(file.names, ["context"])
        XCTAssertEqual(try file.floats("context"), first.values)
        XCTAssertEqual(ModelFolder.classify(file), .textContext)
    }

    func testLongPromptIsCutAndSaysSo() throws {
        let (p, _) = try PromptEncoding.encode(
            folder: try makeFolder(), prompt: String(repeating: "moon ", count: 700), backend: .cpu, cache: nil)
        XCTAssertEqual(p.tokens.count, 512)
        XCTAssertTrue(p.truncationMessage?.contains("only the first 512") ?? false, "\(p.truncationMessage ?? "nil")")

        // A tokenizer_config.json with a smaller model_max_length (a model trained on short prompts) wins;
        // the Hub's huge sentinel does not.
        for (limit, expected) in [("8", 8), ("1000000000000000019884624838656", 512)] {
            let folder = try makeFolder()
            try Data(#"{"model_max_length": \#(limit)}"#.utf8).write(
                to: folder.appendingPathComponent("google/umt5-xxl/tokenizer_config.json"))
            let (q, _) = try PromptEncoding.encode(
                folder: folder, prompt: String(repeating: "moon ", count: 700), backend: .cpu, cache: nil)
            XCTAssertEqual(q.tokens.count, expected)
            XCTAssertEqual(q.tokens.last, 1)
        }
    }

    func testBadFoldersAreNamed() throws {
        XCTAssertThrowsError(try PromptEncoding.encode(folder: try makeFolder(tokenizer: false), prompt: "x", backend: .cpu, cache: nil)) {
            XCTAssertTrue("\($0)".contains("no tokenizer.model / spiece.model"), "\($0)")
        }
        XCTAssertThrowsError(try PromptEncoding.encode(folder: try makeFolder(vocab: 500), prompt: "x", backend: .cpu, cache: nil)) {
            XCTAssertTrue("\($0)".contains("does not belong"), "\($0)")
        }
        XCTAssertThrowsError(try PromptEncoding.encode(folder: try makeFolder(), prompt: "  \n ", backend: .cpu, cache: nil)) {
            XCTAssertTrue("\($0)".contains("empty"), "\($0)")
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        XCTAssertThrowsError(try TextEncoderFolder(folder: empty)) {
            XCTAssertTrue("\($0)".contains("no umT5 or Gemma-3 text encoder"), "\($0)")
        }
    }
}
