// Foundation's errors as a user would see them: the file, what is wrong, no "Error Domain=…" dump.
import Foundation
import UserMessages
import XCTest

final class UserMessageTests: XCTestCase {
    struct Settings: Codable {
        var width: Int
        var name: String
        var windows: [Int]
    }

    private func decodingError(_ json: String) -> Error {
        do {
            _ = try JSONDecoder().decode(Settings.self, from: Data(json.utf8))
        } catch { return error }
        XCTFail("decoded \(json)")
        return CocoaError(.coderInvalidValue)
    }

    func testDecodingErrorsNameTheFieldAndTheFile() {
        let cases: [(String, String)] = [
            (#"{"width": "wide", "name": "a", "windows": []}"#, "cfg.json: field 'width' must be a whole number"),
            (#"{"name": "a", "windows": []}"#, "cfg.json: field 'width' is missing"),
            (#"{"width": 1, "name": null, "windows": []}"#, "cfg.json: field 'name' is empty (null); it must be text"),
            (#"{"width": 1, "name": "a", "windows": [1, "x"]}"#, "cfg.json: field 'windows[1]' must be a whole number"),
            (#"{"width": 1,"#, "cfg.json: not valid JSON"),
            (#"[1]"#, "cfg.json: expected an object at the top level"),
        ]
        for (json, expected) in cases {
            let error = decodingError(json)
            let text = UserMessage.text(error, file: "cfg.json")
            XCTAssertTrue(text.hasPrefix(expected), "\(json): \(text)")
            XCTAssertFalse(text.contains("CodingKeys") || text.contains("DecodingError"), text)
            XCTAssertEqual(UserMessage.exitStatus(error), .dataError)
        }
    }

    func testFileErrorsNameTheFileAndTheReasonAndTheirStatus() throws {
        var error: Error?
        do { _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/clip.wav")) } catch let e { error = e }
        let missing = try XCTUnwrap(error)
        XCTAssertEqual(UserMessage.text(missing), "/nonexistent/clip.wav: no such file or folder")
        XCTAssertEqual(UserMessage.reason(missing), "no such file or folder")
        XCTAssertEqual(UserMessage.exitStatus(missing), .noInput)

        do { try Data("x".utf8).write(to: URL(fileURLWithPath: "/nonexistent/out/x.png")) } catch let e { error = e }
        let cannotWrite = try XCTUnwrap(error)
        XCTAssertTrue(UserMessage.text(cannotWrite).hasPrefix("/nonexistent/out/x.png: "), UserMessage.text(cannotWrite))
        XCTAssertFalse(UserMessage.text(cannotWrite).contains("Domain"), UserMessage.text(cannotWrite))
        XCTAssertEqual(UserMessage.exitStatus(cannotWrite), .cannotCreate)

        do { _ = try JSONSerialization.jsonObject(with: Data("{x".utf8)) } catch let e { error = e }
        let json = try XCTUnwrap(error)
        XCTAssertTrue(UserMessage.text(json, file: "a.json").hasPrefix("a.json: not valid JSON"), UserMessage.text(json, file: "a.json"))
        XCTAssertEqual(UserMessage.exitStatus(json), .dataError)
    }

    func testOurOwnErrorsKeepTheirMessageAndStatusAndControlCharactersAreEscaped() {
        struct Refused: Error, CustomStringConvertible, ExitStatusProviding {
            var description: String { "out.mp4: the disk is full" }
            var exitStatus: ExitStatus { .cannotCreate }
        }
        XCTAssertEqual(UserMessage.text(Refused(), file: "out.mp4"), "out.mp4: the disk is full")
        XCTAssertEqual(UserMessage.text(Refused(), file: "other"), "other: out.mp4: the disk is full")
        XCTAssertEqual(UserMessage.exitStatus(Refused()), .cannotCreate)
        XCTAssertEqual(UserMessage.printable("a\u{1B}[2Jb\u{9B}c\nd"), "a\\u{1B}[2Jb\\u{9B}c\nd")
        struct Unknown: Error {}
        XCTAssertEqual(UserMessage.exitStatus(Unknown()), .software)
    }

    func testExitStatusesAreTheDocumentedNumbers() {
        XCTAssertEqual(
            ExitStatus.allCases.map(\.rawValue), [0, 1, 3, 64, 65, 66, 70, 73, 130],
            "README 'Exit statuses' lists these; change both together")
    }
}
