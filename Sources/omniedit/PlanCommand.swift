import ArgumentParser
import Foundation
import Pipeline
import RenderFarm
import VideoIO

/// `omniedit plan`: the window-aligned chunks a render farm renders a clip in, from LipSync's own
/// window plan (the same JSON as `ofx-host plan`, which reads the windows from the plugin instead).
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Split a clip into window-aligned chunks for separate render processes (JSON, or one frame range per line).",
        discussion: """
            Each chunk owns whole windows; frames in an overlap between two chunks are written by the \
            earlier chunk, which reads the next chunk's first window from the shared cache folder. Render \
            chunk K over the WHOLE clip with --frames set to its range (omniedit lipsync or ofx-host render).
            """)

    @Option(help: "The clip's frames A-B (or give --input).")
    var frames: String?
    @Option(help: "Take the clip's frames from this input (video or image sequence).")
    var input: String?
    @Option(help: "Frame rate of an image-sequence input (default 25).")
    var frameRate: Double?
    @Option(help: "The effect (LipSync).")
    var effect: String = "LipSync"
    @Option(name: .customLong("set"), help: "A LipSync parameter name=value (repeatable); only windowLength and windowOverlap change the plan.")
    var sets: [String] = []
    @Option(help: "Model folder, for its window length when windowLength is 0 (default: the built-in model).")
    var model: String?
    @Option(help: "Chunks to split the clip into (at most one per window).")
    var chunks: Int
    @Option(help: "Print only chunk K (1-based).")
    var chunk: Int?
    @Option(help: "json (the plan) or ranges (one A-B line per chunk).")
    var format: String = "json"

    /// Plugin parameters a farm script passes to every command alike that do not change windows.
    static let ignoredParameters: Set<String> = [
        "audioFile", "sourceAudioFile", "cacheFolder", "cacheSizeMB", "backend", "clearCache",
    ]

    func run() throws {
        guard ["lipsync", "org.omniedit.lipsync"].contains(effect.lowercased()) else {
            throw ValidationError("--effect: omniedit plan knows LipSync (AV Edit is not built yet; for any plugin use ofx-host plan)")
        }
        guard let format = ChunkPlan.Format(rawValue: format) else { throw ValidationError("--format is json or ranges") }
        var settings = LipSyncSettings()
        var modelFolder = model
        var assignments: [String] = []
        for s in sets {
            let name = String(s.prefix(while: { $0 != "=" }))
            if name == "modelFolder" {
                let value = String(s.dropFirst(name.count + 1))
                if !value.isEmpty { modelFolder = value }
            } else if !Self.ignoredParameters.contains(name) {
                assignments.append(s)
            }
        }
        do {
            try settings.set(assignments: assignments)
            try settings.validate()
        } catch { throw ValidationError("--set: \(error)") }
        let clip: ClosedRange<Int>
        switch (frames, input) {
        case (let f?, nil): clip = try parseRange(f, within: Int.min...Int.max)
        case (nil, let path?):
            let source = try openFrameSource(path, frameRate: frameRate ?? 25)
            clip = source.firstFrame...(source.firstFrame + source.frameCount - 1)
        default: throw ValidationError("give the clip as --frames A-B or --input PATH (one of them)")
        }
        var length = settings.windowLength
        if length == 0 {
            length = try ModelSettings.recommended(by: URL(fileURLWithPath: try resolveModelFolder(modelFolder))).windowLength
        }
        let windows = WindowPlan(frames: clip, length: length, overlap: settings.windowOverlap).windows
        do {
            print(try ChunkPlan(clip: clip, windows: windows, chunks: chunks).printed(format, only: chunk))
        } catch let e as PlanError {
            throw ValidationError(e.description)
        }
    }
}
