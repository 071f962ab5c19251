// The Natron scripts of Examples/ (NatronRenderer, no GUI) as our host renders them: Fixtures/natron_stub.py
// runs a script against a stand-in for Natron's `app` and writes the graph it built (Read → effect → Write,
// with every parameter it set) as an `ofx-host run` job. Natron itself is not on the test machines; this
// proves the scripts name our plugins and parameters with values our effects accept, and that the AV Edit
// script's graph renders its frames and writes the edited sound.
import Foundation
import Media
import OFXHost
import OFXTestSupport
import XCTest

final class NatronScriptTests: XCTestCase {
    static let root = OmniEditBundleTests.root
    static let bundle = root + "/build/OmniEdit.ofx.bundle"

    struct Job: Decodable {
        struct Render: Decodable {
            var effect: String
            var input: String
            var frameRate: Double?
            var output: String
            var set: [String: String]
        }
        var renders: [Render]
    }

    private func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "natron-script-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// The job the script `name` builds, with outputs under `dir`.
    private func job(_ name: String, frames: String, in dir: String) throws -> (path: String, job: Job) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let stub = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/natron_stub.py")
        let path = dir + "/job.json"
        p.arguments = ["python3", stub.path, Self.root + "/Examples/" + name, Self.bundle, frames, path]
        p.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        p.environment = ProcessInfo.processInfo.environment.merging([
            "OMNIEDIT_OUT": dir + "/out/frame####.png", "OMNIEDIT_OUT_AUDIO": dir + "/out/edited.wav",
        ]) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, said)
        return (path, try JSONDecoder().decode(Job.self, from: Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Every parameter the script sets is one of the effect's, and every file it reads exists.
    private func checkAgainstThePlugin(_ render: Job.Render, identifier: String) throws {
        let (status, out) = try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").run(
            ["list", "--no-search-path", "--json", Self.bundle])
        XCTAssertEqual(status, 0, out)
        let plugins = try JSONDecoder().decode([PluginSummary].self, from: Data(out.utf8))
        let plugin = try XCTUnwrap(plugins.first { $0.identifier == render.effect }, "no plugin \(render.effect)")
        XCTAssertEqual(plugin.identifier, identifier)
        XCTAssertEqual(render.frameRate, 25, "the example clips are 25 fps; Natron's project default is 24")
        let names = Set((plugin.parameters ?? []).map(\.name))
        XCTAssertEqual(Set(render.set.keys).subtracting(names), [], "parameters the effect does not have")
        let input = render.input.replacingOccurrences(of: "####", with: "0001")
        XCTAssertTrue(FileManager.default.fileExists(atPath: input), input)
        for (name, value) in render.set where name.hasSuffix("AudioFile") || name == "audioFile" {
            if name != "outputAudioFile" { XCTAssertTrue(FileManager.default.fileExists(atPath: value), "\(name): \(value)") }
        }
    }

    func testTheLipSyncScriptNamesOurPluginItsParametersAndExistingFiles() throws {
        let dir = try folder()
        let (_, job) = try job("natron_lipsync.py", frames: "1-75", in: dir)
        try checkAgainstThePlugin(try XCTUnwrap(job.renders.first), identifier: "org.omniedit.LipSync")
    }

    func testTheAVEditScriptsGraphRendersEveryFrameAndWritesTheEditedSound() throws {
        let dir = try folder()
        let (path, job) = try job("natron_avedit.py", frames: "1-49", in: dir)
        let render = try XCTUnwrap(job.renders.first)
        try checkAgainstThePlugin(render, identifier: "org.omniedit.AVEdit")
        let (status, out) = try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").run(
            ["run", path], environment: ["XDG_CACHE_HOME": dir + "/cache"])
        XCTAssertEqual(status, 0, out)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
        XCTAssertEqual(
            written, ["edited.wav"] + (1...49).map { String(format: "frame%04d.png", $0) },
            "every frame and the sound, and nothing half-written beside them")
        let sound = try AudioFile.read(dir + "/out/edited.wav")
        XCTAssertEqual(sound.sampleRate, 16000)
        XCTAssertEqual(sound.frameCount, 49 * 16000 / 25, "the clip's 49 frames at 25 fps")
        XCTAssertGreaterThan(sound.samples.map { abs($0) }.max() ?? 0, 0.01, "sound, not silence")
    }
}
