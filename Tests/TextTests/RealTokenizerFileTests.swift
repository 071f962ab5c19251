// Real SentencePiece models shipped in a PyPI package (the `sentencepiece` sdist's own test models:
// unigram + NFKC, the umT5/T5 kind), ids against the sentencepiece package on the 293 texts
// (tools/fixtures/make_text_tokenizer_real.py).
import Foundation
import Text
import XCTest

final class RealTokenizerFileTests: XCTestCase {
    struct Expected: Decodable {
        struct Model: Decodable {
            var vocab_size: Int
            var ids: [[Int]]
        }
        var models: [String: Model]

        struct Key: CodingKey {
            var stringValue: String
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var models: [String: Model] = [:]
            for key in c.allKeys where key.stringValue.hasSuffix(".model") {
                models[key.stringValue] = try c.decode(Model.self, forKey: key)
            }
            self.models = models
        }
    }

    func testSentencePiecesOwnTestModelsGiveTheSameIds() throws {
        let folder = TextFixture.tokenizers.appendingPathComponent("real")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        let sentences = try TextFixture.expected.get().sentences
        XCTAssertEqual(expected.models.keys.sorted(), ["test_ja_model.model", "test_model.model"])
        for (name, model) in expected.models {
            let tokenizer = try SentencePieceTokenizer(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(tokenizer.vocabularySize, model.vocab_size, name)
            XCTAssertEqual(model.ids.count, sentences.count)
            var failures = 0
            for (i, s) in sentences.enumerated() where tokenizer.encode(s) != model.ids[i] {
                failures += 1
                if failures <= 5 { XCTFail("\(name) sentence \(i) \(s.debugDescription): \(tokenizer.encode(s)) != \(model.ids[i])") }
            }
            XCTAssertEqual(failures, 0, "\(name): \(failures) of \(sentences.count) sentences differ")
        }
    }
}
