// Every README command a user can run as written on what ships is run here, as written: `ofx-host`
// and `omniedit` lines of the README's shell blocks (optional `[...]` parts left out, outputs under
// `out/` and `/tmp/m` redirected to a temporary folder). Commands with placeholders (`/path/to/…`,
// `DIR`, `M.safetensors`), the two make targets and benchmarks are not run here.
import Foundation
import OFXTestSupport
import XCTest

final class ReadmeCommandsTests: XCTestCase {
    static let root = OmniEditBundleTests.root

    /// Shell commands of the README's ```sh blocks, continuation lines joined, comments and optional parts removed.
    static func readmeCommands() throws -> [String] {
        let text = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        var commands: [String] = []
        var inShell = false
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if raw.hasPrefix("```") {
                inShell = raw == "```sh"
                continue
            }
            guard inShell else { continue }
            var line = raw
            if let hash = line.range(of: " #") { line = String(line[..<hash.lowerBound]) }
            line = line.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\\") {
                pending += String(line.dropLast()) + " "
                continue
            }
            var command = pending + line
            pending = ""
            while let open = command.range(of: " ["), let close = command[open.upperBound...].firstIndex(of: "]") {
                command.removeSubrange(open.lowerBound...close)
            }
            if !command.isEmpty { commands.append(command) }
        }
        return commands
    }

    /// The commands this test runs: the headless host and the CLI on shipped files.
    static func runnable(_ commands: [String]) -> [String] {
        let placeholders = ["/path/to", " DIR", "M.safetensors", "IN.safetensors", "--cases", "bench", "edited####"]
        return commands.filter { c in
            (c.hasPrefix("ofx-host ") || c.hasPrefix(".build/release/omniedit "))
                && !placeholders.contains { c.contains($0) }
        }
    }

    func testTheReadmeCommandsRunAsWritten() throws {
        let all = try Self.readmeCommands()
        let runnable = Self.runnable(all)
        XCTAssertTrue(runnable.contains { $0.hasPrefix(".build/release/omniedit lipsync") }, "\(all)")
        XCTAssertTrue(runnable.contains { $0.hasPrefix("ofx-host render") }, "\(all)")
        XCTAssertTrue(runnable.contains { $0.hasPrefix("ofx-host run Examples/lipsync-job.json") }, "\(all)")
        let host = try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").path
        let tool = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").path
        let scratch = NSTemporaryDirectory() + "omniedit-readme-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for command in runnable {
            var line = command
            if line.hasPrefix("ofx-host ") { line = host + line.dropFirst("ofx-host".count) }
            if line.hasPrefix(".build/release/omniedit ") { line = tool + line.dropFirst(".build/release/omniedit".count) }
            line = line.replacingOccurrences(of: " out/", with: " \(scratch)/out/")
                .replacingOccurrences(of: " /tmp/m", with: " \(scratch)/m")
            // The job file writes beside itself (../out/job): run it on a copy of its folder's files.
            if command.hasPrefix("ofx-host run ") {
                let examples = scratch + "/Examples"
                try? FileManager.default.removeItem(atPath: examples)
                try FileManager.default.copyItem(atPath: Self.root + "/Examples", toPath: examples)
                try FileManager.default.createDirectory(atPath: scratch + "/build", withIntermediateDirectories: true)
                try? FileManager.default.createSymbolicLink(
                    atPath: scratch + "/build/OmniEdit.ofx.bundle", withDestinationPath: Self.root + "/build/OmniEdit.ofx.bundle")
                line = line.replacingOccurrences(of: " Examples/", with: " \(examples)/")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", line]
            process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "README command failed: \(command)\n\(output.suffix(2000))")
        }
    }
}
