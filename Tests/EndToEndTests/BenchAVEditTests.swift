// `omniedit bench-avedit` on the built-in AV model: one case (the demo clip's first window), one edit and
// the round trip, read back from the output. The Swift readers must see in the source what the Python
// readers saw (case.json's python_source), the round trip must keep the hair colour, and every figure of
// the edit must be there.
import Foundation
import OFXTestSupport
import XCTest

final class BenchAVEditTests: XCTestCase {
    static let root = OmniEditBundleTests.root

    func testTheBenchEditsACaseAndReadsItBack() throws {
        let tool = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit")
        let model = Self.root + "/plugin-manifest/Resources/models/avedit"
        let dir = NSTemporaryDirectory() + "omniedit-benchav-\(getpid())"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/cases/case00/clip", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        try fm.copyItem(atPath: Self.root + "/Tests/EndToEndTests/Fixtures/avedit_case/case.json", toPath: dir + "/cases/case00/case.json")
        try fm.createSymbolicLink(atPath: dir + "/cases/case00/source.wav", withDestinationPath: Self.root + "/Examples/avedit/source.wav")
        for f in 1...25 {
            let name = String(format: "face%04d.png", f)
            try fm.createSymbolicLink(atPath: dir + "/cases/case00/clip/" + name, withDestinationPath: Self.root + "/Examples/avedit/clip/" + name)
        }
        let (status, out) = try tool.run([
            "bench-avedit", "--cases", dir + "/cases", "--model", model, "--samplers", "omniEdit", "--kinds", "hair",
            "--json", dir + "/bench.json",
        ])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("| omniEdit |"), out)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/bench.json"))) as? [String: Any])
        let trips = try XCTUnwrap(json["roundtrips"] as? [[String: Any]])
        let rows = try XCTUnwrap(json["rows"] as? [[String: Any]])
        XCTAssertEqual(trips.count, 1)
        XCTAssertEqual(rows.count, 1)
        let trip = trips[0]
        // The Swift readers on the source = the Python readers on the source.
        let swift = try XCTUnwrap(trip["source"] as? [String: Any]), python = try XCTUnwrap(trip["python_source"] as? [String: Any])
        XCTAssertEqual(swift["hair"] as? String, "blonde")
        XCTAssertEqual(python["hair"] as? String, "blonde")
        XCTAssertEqual(try XCTUnwrap(swift["beard"] as? Double), try XCTUnwrap(python["beard"] as? Double), accuracy: 0.02)
        XCTAssertEqual(try XCTUnwrap(swift["f0"] as? Double), try XCTUnwrap(python["f0"] as? Double), accuracy: 2)
        XCTAssertEqual(try XCTUnwrap(swift["sync"] as? Double), try XCTUnwrap(python["sync"] as? Double), accuracy: 0.02)
        // The round trip (no edit) keeps the hair colour and is a reconstruction, not the source itself.
        XCTAssertEqual(trip["hair"] as? String, "blonde")
        let keep = try XCTUnwrap(trip["keep_psnr"] as? Double)
        XCTAssertGreaterThan(keep, 12)
        XCTAssertLessThan(keep, 40)
        // The edit: every figure present, the target named, the output different from the round trip.
        let row = rows[0]
        XCTAssertEqual(row["kind"] as? String, "hair")
        XCTAssertEqual(row["hair_target"] as? String, "black")
        for key in ["keep_psnr", "mel_centroid", "mel_centroid_roundtrip", "f0", "beard", "seconds", "sampler_seconds"] {
            XCTAssertTrue((row[key] as? Double)?.isFinite ?? false, "\(key): \(String(describing: row[key]))")
        }
        XCTAssertGreaterThan(try XCTUnwrap(row["model_calls"] as? Int), 40)
        XCTAssertLessThan(try XCTUnwrap(row["change_vs_roundtrip_psnr"] as? Double), 40)
        XCTAssertNotNil(row["hair_ok"] as? Bool)
    }
}
