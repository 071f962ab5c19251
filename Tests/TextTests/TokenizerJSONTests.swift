// Hugging Face tokenizer.json files (transformers' converters run on the trained SentencePiece models,
// tools/fixtures/make_text_tokenizer_json.py): ids identical to the `tokenizers` package, through the
// families' prompt conventions identical to transformers' fast tokenizers, and files it cannot use
// refused by name.
import Foundation
import Text
import XCTest

final class TokenizerJSONTests: XCTestCase {
    static let folder = TextFixture.tokenizers.appendingPathComponent("json")

    struct Expected: Decodable {
        var sentences: [String]
        var umt5_unigram: [[Int]]
        var gemma_bpe: [[Int]]
    }

    static let expected: Result<Expected, Error> = Result {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    func tokenizer(_ name: String) throws -> HFTokenizer {
        try HFTokenizer(contentsOf: Self.folder.appendingPathComponent("\(name).tokenizer.json"))
    }

    func check(_ name: String, _ ids: KeyPath<Expected, [[Int]]>) throws {
        let expected = try Self.expected.get()
        let t = try tokenizer(name)
        var failures = 0
        for (i, s) in expected.sentences.enumerated() where t.encode(s) != expected[keyPath: ids][i] {
            failures += 1
            if failures <= 5 { XCTFail("\(name) sentence \(i) \(s.debugDescription): \(t.encode(s)) != \(expected[keyPath: ids][i])") }
        }
        XCTAssertEqual(failures, 0, "\(name): \(failures) of \(expected.sentences.count) sentences differ")
        XCTAssertGreaterThan(expected.sentences.count, 300)
    }

    func testUnigramTokenizerJSONMatchesTheTokenizersPackage() throws {
        try check("umt5_unigram", \.umt5_unigram)
    }

    func testBPETokenizerJSONMatchesTheTokenizersPackage() throws {
        try check("gemma_bpe", \.gemma_bpe)
    }

    /// Through the families' conventions a tokenizer.json gives what the SentencePiece file gives there
    /// (both are transformers' fast-tokenizer ids, TokenizerTests).
    func testPromptConventionsOnTokenizerJSONMatchTransformers() throws {
        let expected = try TextFixture.expected.get()
        let cases: [(String, PromptConvention, [[Int]])] = [
            ("umt5_unigram", .umT5, expected.umt5_unigram.pipeline!), ("gemma_bpe", .gemma3, expected.gemma_bpe.pipeline!),
        ]
        for (name, convention, want) in cases {
            let prompts = try PromptTokenizer(tokenizer: tokenizer(name), convention: convention)
            for (i, s) in expected.sentences.enumerated() {
                if want[i].count == 1 {
                    XCTAssertThrowsError(try prompts.tokenize(s), "\(name) sentence \(i) is empty after cleaning")
                    continue
                }
                XCTAssertEqual(try prompts.tokenize(s).ids, want[i], "\(name) sentence \(i) \(s.debugDescription)")
            }
        }
    }

    func testFilesItCannotUseAreRefusedByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gemma = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.folder.appendingPathComponent("gemma_bpe.tokenizer.json"))) as! [String: Any]
        let umt5 = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.folder.appendingPathComponent("umt5_unigram.tokenizer.json"))) as! [String: Any]
        func edited(_ base: [String: Any], _ change: (inout [String: Any]) -> Void) throws -> Data {
            var j = base
            change(&j)
            return try JSONSerialization.data(withJSONObject: j)
        }
        func model(_ j: inout [String: Any], _ key: String, _ value: Any) {
            var m = j["model"] as! [String: Any]
            m[key] = value
            j["model"] = m
        }
        let cases: [(Data, String)] = [
            (Data("not json".utf8), "not a JSON object"),
            (Data("[1, 2]".utf8), "not a JSON object"),
            (try edited(gemma) { $0["model"] = nil }, "no 'model'"),
            (try edited(gemma) { model(&$0, "type", "WordPiece") }, "model type 'WordPiece' is not supported"),
            (try edited(gemma) { $0["normalizer"] = ["type": "NFKC"] }, "normalizer 'NFKC' is not supported"),
            (try edited(gemma) { $0["pre_tokenizer"] = ["type": "ByteLevel"] }, "pre_tokenizer 'ByteLevel' is not supported"),
            (try edited(gemma) { $0["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\s+"], "behavior": "Isolated"] },
             "patterns other than a literal string"),
            (try edited(gemma) { model(&$0, "merges", [["▁", "no-such-piece"]]) }, "merge 0"),
            (try edited(gemma) { model(&$0, "dropout", 0.1) }, "'dropout' is not supported"),
            (try edited(gemma) { model(&$0, "unk_token", "<nope>") }, "unk_token '<nope>'"),
            (try edited(gemma) { model(&$0, "vocab", ["a": -1]) }, "outside 0..<"),
            (try edited(umt5) { model(&$0, "unk_id", 5_000_000) }, "'unk_id' must name one of"),
            (try edited(umt5) { model(&$0, "vocab", [["a", "high"], ["b", 0], ["c", 0]]) }, "vocab[0]"),
            (try edited(umt5) { $0["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AAAA"] }, "precompiled_charsmap"),
            (try edited(umt5) { $0["added_tokens"] = [["content": "", "id": 1]] }, "added_tokens[0]"),
        ]
        for (i, (data, message)) in cases.enumerated() {
            XCTAssertThrowsError(try HFTokenizer(json: data, path: "case\(i).json")) { e in
                XCTAssertTrue("\(e)".contains(message) && "\(e)".contains("case\(i).json"), "case \(i): \(e)")
            }
        }
        // Cut anywhere: an error, never a crash.
        let whole = try Data(contentsOf: Self.folder.appendingPathComponent("gemma_bpe.tokenizer.json"))
        for cut in stride(from: 0, to: whole.count, by: whole.count / 23) {
            XCTAssertThrowsError(try HFTokenizer(json: whole.prefix(cut)))
        }
        // Larger than any real tokenizer.json: refused before it is read (a sparse file).
        let big = dir.appendingPathComponent("tokenizer.json")
        _ = FileManager.default.createFile(atPath: big.path, contents: nil)
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: UInt64(HFTokenizer.maxFileSize + 1))
        try handle.close()
        XCTAssertThrowsError(try HFTokenizer(contentsOf: big)) { XCTAssertTrue("\($0)".contains("at most"), "\($0)") }
    }
}
