// Test support shared by the host tests: builds the C fixture plugin (an invert that can misbehave on
// purpose) into a bundle, makes synthetic clips, runs shell commands.
import Foundation
import OFXHost

public enum Fixtures {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// Compiles Fixtures/invert.c against our headers into `<tmp>/plugins/Invert.ofx.bundle` (once).
    public static let invertBundle: Result<String, Error> = Result {
        let root = NSTemporaryDirectory() + "ofxhost-tests-\(getpid())/plugins"
        let bundle = root + "/Invert.ofx.bundle"
        let bin = bundle + "/Contents/Linux-x86-64"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try shell("cc -shared -fPIC -O1 -Wall -I '\(packageRoot)/include' '\(folder)/invert.c' -o '\(bin)/Invert.ofx'")
        return bundle
    }

    /// Runs a command with /bin/sh; throws with its output if it fails. Returns stdout.
    @discardableResult
    public static func shell(_ command: String, environment: [String: String]? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: o, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw HostError("`\(command)` failed (\(p.terminationStatus)): \(text)\(String(decoding: e, as: UTF8.self))")
        }
        return text
    }

    /// A clip whose pixel (x, y, frame) has a known, distinct value in every channel.
    public static func gradientClip(width: Int = 7, height: Int = 5, frames: ClosedRange<Int> = 1...3) -> ClipInput {
        ClipInput(width: width, height: height, frames: frames, frameRate: 25, pixelAspect: 1) { n in
            guard frames.contains(n) else { return nil }
            var px = [Float](repeating: 0, count: width * height * 4)
            for y in 0..<height {
                for x in 0..<width {
                    let i = (y * width + x) * 4
                    px[i] = Float(x) / Float(width)
                    px[i + 1] = Float(y) / Float(height)
                    px[i + 2] = Float(n % 5) / 5
                    px[i + 3] = 1
                }
            }
            return FrameBuffer(width: width, height: height, pixels: px)
        }
    }
}

/// A built executable of this package the end-to-end tests run: found through an environment
/// variable (`make test` sets it) or in `.build/release`.
public struct BuiltTool {
    public let path: String

    public init(environment variable: String, name: String) throws {
        let path = ProcessInfo.processInfo.environment[variable] ?? Fixtures.packageRoot + "/.build/release/\(name)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HostError("no \(name) at \(path): run `make test`, which builds it before the tests")
        }
        self.path = path
    }

    /// Runs the tool (with `environment` added to this process's); returns its exit status and
    /// stdout + stderr together.
    public func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Asking for help is not an error: `--help`, `help <command>` and `<command> --help` print usage and
    /// exit 0 for every subcommand `--help` lists (which must include `known`); an unknown option of
    /// `known` is a usage error (64). Returns what broke these rules (empty when nothing did).
    public func helpProblems(known: String) throws -> [String] {
        let commands = try subcommands()
        var problems = commands.contains(known) ? [] : ["--help does not list \(known): \(commands)"]
        for arguments in [["--help"]] + commands.flatMap({ [[$0, "--help"], ["help", $0]] }) {
            let (status, out) = try run(arguments)
            if status != 0 || !out.contains("USAGE:") { problems.append("\(arguments) → \(status): \(out)") }
        }
        let (status, out) = try run([known, "--no-such-option"])
        if status != 64 { problems.append("\(known) --no-such-option → \(status), not 64: \(out)") }
        return problems
    }

    /// The subcommands `--help` lists (the names under SUBCOMMANDS:, one per entry).
    public func subcommands() throws -> [String] {
        let (_, out) = try run(["--help"])
        guard let section = out.components(separatedBy: "SUBCOMMANDS:").last, out.contains("SUBCOMMANDS:") else {
            return []
        }
        // An entry starts with exactly two spaces and its name; wrapped descriptions are indented further.
        return section.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }
    }
}
