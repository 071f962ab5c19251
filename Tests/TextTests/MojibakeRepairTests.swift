// Wan's prompt cleaning on mojibake, HTML references and control characters against ftfy.fix_text
// and Wan2.1's whitespace_clean(basic_clean(…)) (tools/fixtures/make_text_ftfy.py).
import Foundation
import XCTest

@testable import Text

final class MojibakeRepairTests: XCTestCase {
    struct Expected: Decodable {
        var texts: [String]
        var fix_text: [String]
        var wan_clean: [String]
    }

    static let expected: Result<Expected, Error> = Result {
        let url = TextFixture.folder.appendingPathComponent("ftfy").appendingPathComponent("expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    /// Scalar by scalar (String's == would call canonically equivalent texts equal).
    private func check(_ name: String, _ expected: [String], _ texts: [String], _ f: (String) -> String) {
        var failures = 0
        for (i, text) in texts.enumerated() {
            let got = f(text)
            guard Array(got.unicodeScalars) != Array(expected[i].unicodeScalars) else { continue }
            failures += 1
            if failures <= 8 {
                XCTFail("\(name) text \(i) \(text.debugDescription): \(got.debugDescription) != \(expected[i].debugDescription)")
            }
        }
        XCTAssertEqual(failures, 0, "\(name): \(failures) of \(texts.count) texts differ")
    }

    func testFixTextMatchesFtfy() throws {
        let e = try Self.expected.get()
        XCTAssertGreaterThan(e.texts.count, 500)
        // The corpus is mostly mojibake that ftfy changes.
        XCTAssertGreaterThan(zip(e.texts, e.fix_text).filter { $0.unicodeScalars.elementsEqual($1.unicodeScalars) == false }.count, 400)
        check("fix_text", e.fix_text, e.texts, TextRepair.fixText)
    }

    func testWanCleaningMatchesWan() throws {
        let e = try Self.expected.get()
        check("wan_clean", e.wan_clean, e.texts, WanPromptCleaning.clean)
    }

    func testKnownRepairs() {
        XCTAssertEqual(Array(TextRepair.fixText("sÃ³").unicodeScalars), Array("só".unicodeScalars))
        XCTAssertEqual(TextRepair.fixText("voilÃ le travail"), "voilà le travail")
        XCTAssertEqual(TextRepair.fixText("â€œmojibakeâ€\u{9D}"), "\"mojibake\"")
        XCTAssertEqual(TextRepair.fixText("café"), "café")
        XCTAssertEqual(TextRepair.fixText("P&EACUTE;REZ"), "PÉREZ")
        XCTAssertEqual(TextRepair.fixText("<b>&amp;</b>"), "<b>&amp;</b>")
    }
}
