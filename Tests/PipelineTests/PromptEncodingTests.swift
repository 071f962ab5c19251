// Prompts through a folder's text encoder: found by content, encoded once, served from the disk cache
// afterwards, and bad folders named (the encoder and tokenizer themselves are checked against
// transformers and sentencepiece in TextTests).
import Foundation
import Models
@testable import Pipeline
import Tensor
import TensorCPU
import Text
import XCTest

final class PromptEncodingTests: XCTestCase {
    /// The unigram tokenizer trained for the Text tests (900 pieces, umT5's id layout).
    static let spiece = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TextTests/Fixtures/tokenizers/umt5_unigram/spiece.model")

    /// A random umT5 encoder in Wan's names (vocab `vocab`), and the fixture tokenizer (900 pieces) in
    /// a `google/umt5-xxl/` sub-folder, as Wan2.1 lays it out.
    func makeFolder(vocab: Int = 1000, tokenizer: Bool = true) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("umt5-\(UUID())")
        try RandomHuMoFolder.writeTextEncoder(into: folder, tokenizer: tokenizer ? Self.spiece : nil, vocab: vocab)
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

        // From the disk, not the process's memory of recent encodings.
        PromptEncoding.forgetRecent()
        let runs = PromptEncoding.encoderRuns
        let (second, secondCached) = try PromptEncoding.encode(folder: folder, prompt: prompt, backend: .cpu, cache: cache)
        XCTAssertEqual(PromptEncoding.encoderRuns, runs)
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

    /// A folder with only a Hugging Face tokenizer.json (the same tokenizer converted by transformers)
    /// encodes a prompt to the same values as with the SentencePiece file.
    func testAFolderWithOnlyATokenizerJSONEncodesTheSame() throws {
        let withJSON = try makeFolder(tokenizer: false)
        try FileManager.default.copyItem(
            at: Self.spiece.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("json/umt5_unigram.tokenizer.json"),
            to: withJSON.appendingPathComponent("google/umt5-xxl/tokenizer.json"))
        XCTAssertEqual(try TextEncoderFolder(folder: withJSON).tokenizer.lastPathComponent, "tokenizer.json")
        let prompt = "Deux chiens courent sur la plage 🐕 au coucher du soleil."
        let (a, _) = try PromptEncoding.encode(folder: withJSON, prompt: prompt, backend: .cpu, cache: nil)
        let (b, _) = try PromptEncoding.encode(folder: try makeFolder(), prompt: prompt, backend: .cpu, cache: nil)
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertEqual(a.values, b.values)
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
