import ArgumentParser
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

extension BenchPeer {
    /// `repeats` passes of ours and of the peer, alternating; the best (seconds, peak GiB) of each.
    static func alternate(_ peer: BenchPeer?, repeats: Int, _ pass: () throws -> Void) throws -> (
        ours: Pass, theirs: Pass?
    ) {
        try peer?.waitUntilReady()
        var ours: BenchPeer.Pass?
        var theirs: BenchPeer.Pass?
        for _ in 0..<repeats {
            MemoryProbe.resetPeak()
            let (start, cpu) = (Date(), BenchDiT.processCPUSeconds())
            try pass()
            ours = BenchPeer.Pass(
                seconds: Date().timeIntervalSince(start), cpuSeconds: BenchDiT.processCPUSeconds() - cpu,
                peakGiB: MemoryProbe.peakGiB()
            ).best(ours)
            if let peer { theirs = try peer.run().best(theirs) }
        }
        peer?.close()
        guard let ours else { throw ValidationError("--repeats must be ≥ 1") }
        return (ours, theirs)
    }

    /// The table of a benchmark row: the best pass of each side (wall, CPU, `derived` per unit, an optional
    /// rate, peak memory) and the ratios.
    static func report(
        _ what: String, unit: String, ours: BenchPeer.Pass, theirs: BenchPeer.Pass?, peer: BenchPeer?,
        derived: (Double) -> Double, rate: ((Double) -> Double)?, rateName: String
    ) {
        let rateColumn = rate == nil ? "" : " \(rateName) |"
        emit("| \(what) | pass (s) | CPU (s) | \(unit) |\(rateColumn) peak RSS during the pass (GiB) |")
        emit("|---|---|---|---|\(rate == nil ? "" : "---|")---|")
        func row(_ name: String, _ p: BenchPeer.Pass) {
            let r = rate.map { String(format: " %.1f |", $0(p.seconds)) } ?? ""
            emit(
                String(
                    format: "| %@ | %.3f | %.3f | %.3f |%@ %.2f |", name, p.seconds, p.cpuSeconds, derived(p.seconds), r,
                    p.peakGiB))
        }
        row("ours (CPU backend)", ours)
        guard let theirs, let peer else { return }
        let versions = "diffusers \(peer.ready["diffusers"] ?? "?"), torch \(peer.ready["torch"] ?? "?"), \(peer.ready["threads"] ?? "?") threads"
        row(versions, theirs)
        // CPU time beside wall time: on shared cores the wall time depends on the neighbours; CPU time
        // counts spinning worker threads too (both sides have some), so neither is exact alone.
        emit(
            String(
                format: "ratio: diffusers / ours wall time %.2f× (%@), CPU time %.2f×; peak RSS ours / diffusers %.2f",
                theirs.seconds / ours.seconds, theirs.seconds >= ours.seconds ? "ours faster" : "ours slower",
                theirs.cpuSeconds / max(ours.cpuSeconds, 1e-9), ours.peakGiB / max(theirs.peakGiB, 1e-9)))
    }
}

/// The limit beside a convolution-bound row: the pass's counted convolution FLOPs over its time, and
/// raw sgemm's rate measured right after (same threads, same moment).
func emitConvolutionLimit(flops: Double, pass: BenchPeer.Pass) throws {
    let sgemm = try SGEMMRunner.rate()
    emit(
        String(
            format:
                "limit: our pass's convolutions %.2f TFLOP, %.1f GFLOP/s over the whole pass; raw sgemm %.1f GFLOP/s right after (the f32 rate of these cores now): %.0f %%",
            flops / 1e12, flops / pass.seconds / 1e9, sgemm, 100 * flops / pass.seconds / 1e9 / sgemm))
}

/// The peer could not be started or stopped answering: exit 66 (its script or Python is missing).
func peerFailure(_ message: String) -> CommandFailure { CommandFailure(message, status: .noInput) }
