// Corrupt and hostile tokenizer files end in a clear error, never a crash.
import Foundation
import Text
import XCTest

final class TokenizerFileTests: XCTestCase {
    func bytes(_ name: String, _ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TextFixture.tokenizers.appendingPathComponent(name).appendingPathComponent(file)))
    }

    func testTruncatedModelsAreRefusedWithoutCrashing() throws {
        let good = try bytes("gemma_bpe", "tokenizer.model")
        var refused = 0
        for cut in stride(from: 0, to: good.count, by: max(1, good.count / 97)) {
            do {
                let m = try SentencePieceModel(bytes: Array(good.prefix(cut)), path: "cut")
                // A cut that lands on a message boundary may still be a valid (smaller) model.
                _ = try SentencePieceTokenizer(model: m).encode("hello world 123")
            } catch let e as TextError {
                refused += 1
                XCTAssertTrue(e.description.hasPrefix("cut: "), e.description)
            }
        }
        XCTAssertGreaterThan(refused, 80)
    }

    func testFlippedBytesNeverCrash() throws {
        let good = try bytes("umt5_unigram", "spiece.model")
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var b = good
            for _ in 0..<8 { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            if let m = try? SentencePieceModel(bytes: b, path: "flipped"), let t = try? SentencePieceTokenizer(model: m) {
                _ = t.encode("Ｆｕｌｌｗｉｄｔｈ “quotes” 中文 🙂 unseen ꙮ")
            }
        }
    }

    func testNotAModelIsNamed() throws {
        for junk in [[UInt8](), Array("{\"model\": {}}".utf8), [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]] {
            XCTAssertThrowsError(try SentencePieceModel(bytes: junk, path: "junk.model")) { e in
                XCTAssertTrue("\(e)".contains("junk.model"), "\(e)")
            }
        }
    }

    func testOversizedFileIsRefusedBeforeReading() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID()).model")
        XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: nil))
        let h = try FileHandle(forWritingTo: url)
        try h.truncate(atOffset: UInt64(SentencePieceModel.maxFileSize + 1))
        try h.close()
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try SentencePieceModel(contentsOf: url)) { e in XCTAssertTrue("\(e)".contains("bytes"), "\(e)") }
    }

    func testModelFieldsAreRead() throws {
        let gemma = try SentencePieceModel(bytes: try bytes("gemma_bpe", "tokenizer.model"), path: "g")
        XCTAssertEqual(gemma.modelType, .bpe)
        XCTAssertTrue(gemma.byteFallback)
        XCTAssertEqual([gemma.padID, gemma.eosID, gemma.bosID, gemma.unkID], [0, 1, 2, 3])
        XCTAssertFalse(gemma.normalizer.addDummyPrefix)
        XCTAssertFalse(gemma.normalizer.removeExtraWhitespaces)
        let t5 = try SentencePieceModel(bytes: try bytes("umt5_unigram", "spiece.model"), path: "u")
        XCTAssertEqual(t5.modelType, .unigram)
        XCTAssertEqual(t5.normalizer.name, "nmt_nfkc")
        XCTAssertFalse(t5.normalizer.precompiledCharsmap.isEmpty)
        XCTAssertEqual([t5.padID, t5.eosID, t5.unkID, t5.bosID], [0, 1, 2, -1])
    }
}
