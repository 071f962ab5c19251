// The `ofx-host` command line, as a user or a render farm script runs it: list, render and run a job
// file, with exit statuses and messages a script can rely on.
import Foundation
import OFXHost
import OFXTestSupport
import XCTest

final class HostCommandLineTests: XCTestCase {
    static let root = OmniEditBundleTests.root

    /// Runs ofx-host; returns (exit status, stdout + stderr).
    private func host(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").run(arguments)
    }

    private func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "ofx-host-cli-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testListShowsOurEffectsAndTheirParametersAsJSON() throws {
        let (status, out) = try host(["list", "--no-search-path", "--json", Self.root + "/build/OmniEdit.ofx.bundle"])
        XCTAssertEqual(status, 0, out)
        let list = try JSONDecoder().decode([PluginSummary].self, from: Data(out.utf8))
        XCTAssertEqual(list.map(\.label), ["LipSync", "AV Edit"])
        XCTAssertTrue(list[0].parameters?.contains { $0.name == "audioFile" && $0.type == "String" } ?? false)
    }

    func testJobFileRendersThroughAGenericPluginAndWritesEveryFrame() throws {
        let dir = try temporaryFolder()
        let bundle = try Fixtures.invertBundle.get()
        let job = """
            {"renders": [{"bundle": "\(bundle)", "effect": "Invert", "input": "\(Self.root)/Examples/clip/face####.png",
              "output": "out/inv####.png", "frames": "3-5", "set": {"amount": "1"}, "depth": "short"}]}
            """
        try job.write(toFile: dir + "/job.json", atomically: true, encoding: .utf8)
        let (status, out) = try host(["run", dir + "/job.json"])
        XCTAssertEqual(status, 0, out)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
        XCTAssertEqual(written, ["inv0003.png", "inv0004.png", "inv0005.png"])
    }

    func testVideoInVideoOutWithAMuxedAudioTrack() throws {
        let dir = try temporaryFolder()
        let bundle = try Fixtures.invertBundle.get()
        let clip = Self.root + "/Examples/clip/face####.png"
        var (status, out) = try host([
            "render", bundle, "--effect", "Invert", "--input", clip, "--frame-rate", "25", "--output", dir + "/a.mp4",
            "--audio", Self.root + "/Examples/voice.wav", "--set", "amount=0",
        ])
        XCTAssertEqual(status, 0, out)
        (status, out) = try host([
            "render", bundle, "--effect", "org.omniedit.test.Invert", "--input", dir + "/a.mp4", "--output", dir + "/b####.png",
            "--frames", "0-9", "--set", "amount=1",
        ])
        XCTAssertEqual(status, 0, out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("b") }.count, 10)
    }

    func testAFailedRenderExitsWithOneAndThePluginsMessageAndWritesNothing() throws {
        let dir = try temporaryFolder()
        let (status, out) = try host([
            "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "LipSync",
            "--input", Self.root + "/Examples/clip/face####.png", "--output", dir + "/o####.png",
            "--set", "audioFile=" + Self.root + "/Examples/voice.wav", "--frames", "1-2",
        ])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("No model is installed yet"), out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testBadArgumentsAreExplained() throws {
        let bundle = Self.root + "/build/OmniEdit.ofx.bundle"
        let clip = Self.root + "/Examples/clip/face####.png"
        let cases: [([String], String)] = [
            (["render", bundle, "--effect", "Blur", "--input", clip, "--output", "/tmp/x.png"], "has no effect 'Blur'"),
            (["render", bundle, "--effect", "LipSync", "--input", "/nonexistent/a.mp4", "--output", "/tmp/x.png"], "a.mp4"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png", "--set", "steps=1000"], "above its maximum"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png", "--frames", "40-90"], "outside the input"),
            (["render", "/nonexistent/X.ofx.bundle", "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png"], "not an OpenFX bundle"),
        ]
        for (args, expected) in cases {
            let (status, out) = try host(args)
            XCTAssertEqual(status, 1, "\(args): \(out)")
            XCTAssertTrue(out.contains(expected), "\(args): expected '\(expected)' in: \(out)")
        }
    }
}
