import ArgumentParser
import Foundation
import Pipeline
import RenderFarm
import VideoIO

/// `omniedit bench-farm`: one clip rendered by 1 process, then as 2 chunks by 2 concurrent processes
/// (this tool's `lipsync`, each on the shared cache folder, as farm tasks run), in one run: wall
/// times, the speed-up, model calls, and the cache's bytes per window on disk.
struct BenchFarm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-farm",
        abstract: "Farm chunks: wall time of 1 process vs N concurrent chunk processes, model calls, cache bytes per window.")

    @Option(help: "The clip (default: the example clip).")
    var input: String = "Examples/clip/face####.png"
    @Option(help: "The speech.")
    var audio: String = "Examples/voice.wav"
    @Option(help: "Model folder (default: the built-in model).")
    var model: String?
    @Option(help: "Concurrent chunk processes.")
    var processes: Int = 2
    @Option(name: .customLong("set"), help: "LipSync parameters (default: windows of 17 frames, overlap 2 — 5 windows over the 75-frame example; 4 steps).")
    var sets: [String] = ["windowLength=17", "windowOverlap=2", "steps=4", "startStep=1", "endStep=3"]

    func run() throws {
        let tool = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let scratch = NSTemporaryDirectory() + "omniedit-bench-farm-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let modelFolder = try resolveModelFolder(model)
        let sets = self.sets.flatMap { ["--set", $0] }

        // The chunks, from this tool's own plan.
        var settings = LipSyncSettings()
        try settings.set(assignments: self.sets)
        let clip = try openFrameSource(input, frameRate: 25)
        let frames = clip.firstFrame...(clip.firstFrame + clip.frameCount - 1)
        let length = settings.windowLength == 0
            ? try ModelSettings.recommended(by: URL(fileURLWithPath: modelFolder)).windowLength : settings.windowLength
        let windows = WindowPlan(frames: frames, length: length, overlap: settings.windowOverlap).windows
        let chunks = try ChunkPlan(clip: frames, windows: windows, chunks: processes).chunks
        print("clip \(input): \(frames.count) frames, \(windows.count) windows; model \(modelFolder); \(ProcessInfo.processInfo.activeProcessorCount) cores")

        func launch(_ name: String, range: String?) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = ["lipsync", "--input", input, "--audio", audio, "--model", modelFolder, "--output",
                           "\(scratch)/\(name)/e####.png", "--cache-folder", "\(scratch)/\(name)/cache",
                           "--stats", "\(scratch)/\(name)/\(range ?? "all").json"] + (range.map { ["--frames", $0] } ?? []) + sets
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return p
        }
        func calls(_ name: String, _ file: String) throws -> Int {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(scratch)/\(name)/\(file).json"))
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["modelCalls"] as? Int ?? 0
        }
        func timed(_ name: String, _ ranges: [String?]) throws -> Double {
            try FileManager.default.createDirectory(atPath: "\(scratch)/\(name)", withIntermediateDirectories: true)
            let start = Date()
            let ps = try ranges.map { try launch(name, range: $0) }
            for p in ps { p.waitUntilExit() }
            guard ps.allSatisfy({ $0.terminationStatus == 0 }) else { throw ValidationError("a render of \(name) failed") }
            return Date().timeIntervalSince(start)
        }
        let one = try timed("one", [nil])
        let many = try timed("chunks", chunks.map(\.frames))
        let oneCalls = try calls("one", "all")
        let manyCalls = try chunks.reduce(0) { $0 + (try calls("chunks", $1.frames)) }
        print("| run | wall s | model calls |")
        print("|---|---|---|")
        print(String(format: "| 1 process | %.1f | %d |", one, oneCalls))
        print(String(format: "| %d concurrent chunk processes (%@) | %.1f | %d |", processes,
                     chunks.map(\.frames).joined(separator: ", "), many, manyCalls))
        print(String(format: "speed-up %.2f×", one / many))
        // Bytes on disk per window, by kind of entry.
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(scratch)/one/cache")
        var bytes: [String: Int] = [:]
        for name in names where name.hasSuffix(".oec") {
            let size = (try FileManager.default.attributesOfItem(atPath: "\(scratch)/one/cache/\(name)")[.size] as? Int) ?? 0
            bytes[String(name.prefix(while: { $0 != "-" })), default: 0] += size
        }
        for (kind, total) in bytes.sorted(by: { $0.key < $1.key }) {
            print(String(format: "cache %@ entries: %.1f KiB per window", kind, Double(total) / Double(windows.count) / 1024))
        }
    }
}
