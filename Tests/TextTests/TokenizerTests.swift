// Token ids against the sentencepiece and transformers packages on tokenizers trained with
// sentencepiece in the real models' conventions (tools/fixtures/make_text_tokenizers.py).
import Foundation
import Text
import XCTest

enum TextFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let tokenizers = folder.appendingPathComponent("tokenizers")

    struct Expected: Decodable {
        struct Model: Decodable {
            var sentencepiece: [[Int]]
            var pipeline: [[Int]]?
            var vocab_size: Int
            var wan_clean: [String]?
        }
        var sentences: [String]
        var umt5_unigram: Model
        var unigram_bytes: Model
        var gemma_bpe: Model
    }

    static let expected: Result<Expected, Error> = Result {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: tokenizers.appendingPathComponent("expected.json")))
    }

    static func tokenizer(_ name: String, _ file: String) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(contentsOf: tokenizers.appendingPathComponent(name).appendingPathComponent(file))
    }
}

final class TokenizerTests: XCTestCase {
    func checkRaw(_ name: String, _ file: String, _ model: KeyPath<TextFixture.Expected, TextFixture.Expected.Model>)
        throws
    {
        let expected = try TextFixture.expected.get()
        let tokenizer = try TextFixture.tokenizer(name, file)
        XCTAssertEqual(tokenizer.vocabularySize, expected[keyPath: model].vocab_size)
        var failures = 0
        for (i, s) in expected.sentences.enumerated() where tokenizer.encode(s) != expected[keyPath: model].sentencepiece[i] {
            failures += 1
            if failures <= 5 {
                XCTFail("\(name) sentence \(i) \(s.debugDescription): \(tokenizer.encode(s)) != \(expected[keyPath: model].sentencepiece[i])")
            }
        }
        XCTAssertEqual(failures, 0, "\(name): \(failures) of \(expected.sentences.count) sentences differ")
    }

    func testUnigramWithNFKCMatchesSentencePiece() throws {
        try checkRaw("umt5_unigram", "spiece.model", \.umt5_unigram)
    }

    func testUnigramWithByteFallbackMatchesSentencePiece() throws {
        try checkRaw("unigram_bytes", "tokenizer.model", \.unigram_bytes)
    }

    func testBPEWithByteFallbackMatchesSentencePiece() throws {
        try checkRaw("gemma_bpe", "tokenizer.model", \.gemma_bpe)
    }

    func testWanCleaningMatchesWanWithFtfy() throws {
        let expected = try TextFixture.expected.get()
        for (i, s) in expected.sentences.enumerated() {
            XCTAssertEqual(WanPromptCleaning.clean(s), expected.umt5_unigram.wan_clean![i], "sentence \(i) \(s.debugDescription)")
        }
    }

    /// Wan's path: cleaned, `</s>` appended, ≤ 512 — transformers' T5TokenizerFast ids.
    func testUmT5ConventionMatchesTransformers() throws {
        let expected = try TextFixture.expected.get()
        let prompts = try PromptTokenizer(tokenizer: TextFixture.tokenizer("umt5_unigram", "spiece.model"), convention: .umT5)
        for (i, s) in expected.sentences.enumerated() {
            let want = expected.umt5_unigram.pipeline![i]
            if want.count == 1 {
                XCTAssertThrowsError(try prompts.tokenize(s), "sentence \(i) is empty after cleaning")
                continue
            }
            let got = try prompts.tokenize(s)
            XCTAssertEqual(got.ids, want, "sentence \(i) \(s.debugDescription)")
            XCTAssertEqual(got.truncatedFrom != nil, want.count == 512 && s.count > 600, "sentence \(i)")
        }
    }

    /// LTX-2's path: stripped, `<bos>` first, ≤ 1024 — transformers' GemmaTokenizerFast ids.
    func testGemmaConventionMatchesTransformers() throws {
        let expected = try TextFixture.expected.get()
        let prompts = try PromptTokenizer(tokenizer: TextFixture.tokenizer("gemma_bpe", "tokenizer.model"), convention: .gemma3)
        var truncated = 0
        for (i, s) in expected.sentences.enumerated() {
            let want = expected.gemma_bpe.pipeline![i]
            if want.count == 1 {
                XCTAssertThrowsError(try prompts.tokenize(s))
                continue
            }
            let got = try prompts.tokenize(s)
            XCTAssertEqual(got.ids, want, "sentence \(i) \(s.debugDescription)")
            if let n = got.truncatedFrom {
                truncated += 1
                XCTAssertEqual(got.ids.count, 1024)
                XCTAssertGreaterThan(n, 1024)
                XCTAssertTrue(got.truncationMessage!.contains("\(n) tokens"))
            }
        }
        XCTAssertEqual(truncated, 1, "the 700-word sentence is cut")
    }

    func testEmptyPromptIsRefused() throws {
        let prompts = try PromptTokenizer(tokenizer: TextFixture.tokenizer("umt5_unigram", "spiece.model"), convention: .umT5)
        for p in ["", "   ", "\n\t"] {
            XCTAssertThrowsError(try prompts.tokenize(p)) { e in XCTAssertTrue("\(e)".contains("empty"), "\(e)") }
        }
    }
}
