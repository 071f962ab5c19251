// ofx-host plan: the window-aligned chunks a render farm renders a clip in, for any plugin — the
// plugin's windows are read from its GetFramesNeeded answers (RenderFarm.ChunkPlan).
import ArgumentParser
import CommandLineMain
import UserMessages
import Foundation
import OFXHost
import RenderFarm
import VideoIO

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Split a clip into window-aligned chunks for separate render processes (JSON, or one frame range per line).",
        discussion: """
            Each chunk owns whole windows of the effect; frames in an overlap between two chunks are written \
            by the earlier chunk, which reads the next chunk's first window from the shared cache folder. \
            Render chunk K with `ofx-host render … --frames <its range>` on the WHOLE input (windows follow \
            the whole clip) and the same --set values and cacheFolder.
            """)

    @Argument(help: "The plugin bundle (NAME.ofx.bundle).")
    var bundle: String
    @Option(help: "The effect's label or identifier.")
    var effect: String
    @Option(help: "The clip's frames A-B (or give --input).")
    var frames: String?
    @Option(help: "Take the clip's frames from this input (video, image or sequence pattern).")
    var input: String?
    @Option(help: "Frame rate of an image-sequence input (default 24).")
    var frameRate: Double?
    @Option(name: .customLong("set"), help: "Parameter value name=value (repeatable), as for render.")
    var sets: [String] = []
    @Option(help: "Chunks to split the clip into (at most one per window).")
    var chunks: Int
    @Option(help: "Print only chunk K (1-based).")
    var chunk: Int?
    @Option(help: "json (the plan) or ranges (one A-B line per chunk).")
    var format: String = "json"

    func run() throws {
        do {
            guard let format = ChunkPlan.Format(rawValue: format) else {
                throw CommandLineError("--format is json or ranges, got '\(self.format)'")
            }
            print(try plan().printed(format, only: chunk))
        } catch let e as PlanError {
            throw CommandFailure("ofx-host plan: \(UserMessage.text(e))", status: .dataError)
        }
    }

    private func plan() throws -> ChunkPlan {
        let clip: ClipInput
        switch (frames, input) {
        case (let f?, nil):
            let range = try RenderJob.parseRange(f)
            // Planning reads no pixels: a clip of the given frames whose frames cannot be fetched.
            clip = ClipInput(
                width: 64, height: 64, frames: range, frameRate: frameRate ?? 24, pixelAspect: 1,
                provider: { _ in throw HostError("ofx-host plan fetches no frames") })
        case (nil, let path?):
            let source = try openFrameSource(path, frameRate: frameRate)
            clip = ClipInput(
                width: source.width, height: source.height,
                frames: source.firstFrame...(source.firstFrame + source.frameCount - 1), frameRate: source.frameRate,
                pixelAspect: source.pixelAspect, provider: { _ in throw HostError("ofx-host plan fetches no frames") })
        default:
            throw CommandLineError("give the clip as --frames A-B or --input PATH (one of them)")
        }
        let parameters = try sets.map { s -> (name: String, value: String) in
            guard let eq = s.firstIndex(of: "=") else { throw CommandLineError("--set takes name=value, got '\(s)'") }
            return (String(s[..<eq]), String(s[s.index(after: eq)...]))
        }
        let binary = try PluginBinary(bundle: bundle)
        let session = try RenderSession(
            plugin: try findPlugin(effect, in: binary), input: clip, request: RenderRequest(parameters: parameters))
        defer { session.close() }
        let windows = try ChunkPlan.windows(clip: clip.frames) { f in
            let ranges = try session.framesNeeded(at: f)
            guard let low = ranges.min(), let high = ranges.max(), low.isFinite, high.isFinite else { return f...f }
            return Int(low.rounded(.down))...Int(high.rounded(.up))
        }
        for p in session.diagnostics.problems { printError("ofx-host: plugin problem: \(p)") }
        return try ChunkPlan(clip: clip.frames, windows: windows, chunks: chunks)
    }
}
