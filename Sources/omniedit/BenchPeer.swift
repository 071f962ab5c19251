import CommandLineMain
import Foundation

/// A benchmark's peer process (a Python script running the reference implementation of the same work),
/// kept alive for the whole benchmark so that its passes alternate with ours under the same load.
///
/// Protocol (line based): the peer prints `ready {json}` once its model is built; each `run` we write
/// makes it do one timed pass and print `result {json}` with at least `seconds` and `peak_gib`; `quit`
/// (or closing its input) ends it. Its other output lines are echoed with a `peer|` prefix; its stderr
/// is ours.
final class BenchPeer {
    /// One timed pass (ours or the peer's).
    struct Pass {
        var seconds: Double
        /// CPU time of the whole process (all its threads) during the pass.
        var cpuSeconds: Double
        /// Peak resident memory of the process during the pass (its weights included).
        var peakGiB: Double

        /// The faster of two passes by wall time, with the larger memory peak of both.
        func best(_ other: Pass?) -> Pass {
            guard let other else { return self }
            var b = seconds <= other.seconds ? self : other
            b.peakGiB = max(peakGiB, other.peakGiB)
            return b
        }
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()
    /// The `ready` line's fields (versions, thread count, parameters, build time).
    private(set) var ready: [String: Any] = [:]

    /// Starts `python script arguments…`; `waitUntilReady` blocks until its model is built.
    init(python: String, script: String, arguments: [String]) throws {
        guard FileManager.default.fileExists(atPath: script) else {
            throw peerFailure("peer script \(script) not found (run from the repository root, or pass --peer-script)")
        }
        // A peer that dies (killed for memory, an exception) must not take us down with SIGPIPE on our
        // next write: the write then fails and says so.
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { throw peerFailure("cannot start \(python) \(script): \(error)") }
    }

    deinit { close() }

    func waitUntilReady() throws {
        let line = try nextLine(expecting: "ready")
        ready = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }

    /// One timed pass of the peer.
    func run() throws -> Pass {
        do { try input.fileHandleForWriting.write(contentsOf: Data("run\n".utf8)) } catch {
            process.waitUntilExit()
            throw peerFailure("the peer exited (\(exitDescription)) before its pass; its messages are above")
        }
        let line = try nextLine(expecting: "result")
        guard let fields = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let seconds = fields["seconds"] as? Double, let cpu = fields["cpu_seconds"] as? Double,
            let peak = fields["peak_gib"] as? Double
        else { throw peerFailure("peer result line not understood: \(line)") }
        return Pass(seconds: seconds, cpuSeconds: cpu, peakGiB: peak)
    }

    func close() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private var exitDescription: String {
        process.terminationReason == .uncaughtSignal
            ? "signal \(process.terminationStatus)\(process.terminationStatus == SIGKILL ? ", killed: out of memory?" : "")"
            : "status \(process.terminationStatus)"
    }

    /// The payload of the next line starting with `tag `, echoing the lines before it.
    private func nextLine(expecting tag: String) throws -> String {
        while true {
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix(tag + " ") { return String(line.dropFirst(tag.count + 1)) }
                emit("peer| \(line)")
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw peerFailure("the peer exited (\(exitDescription)) before its '\(tag)' line; its messages are above")
            }
            buffer.append(chunk)
        }
    }
}

/// The peer could not be started or stopped answering: exit 66 (its script or Python is missing).
func peerFailure(_ message: String) -> CommandFailure { CommandFailure(message, status: .noInput) }
