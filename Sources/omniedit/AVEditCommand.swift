import ArgumentParser
import CommandLineMain
import Foundation
import Media
import Pipeline
import TensorCPU
import UserMessages
import VideoIO

/// `omniedit avedit`: the AV Edit job without OpenFX — a clip with its sound and two prompts in, the
/// edited clip with the edited sound muxed in out (and the sound alone, if asked), through the same
/// `AVEditJob` the plugin runs.
struct AVEditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "avedit",
        abstract: "Edit a clip's picture and sound together from a source prompt to a target prompt (the AV Edit job, without a host).")

    @Option(help: "The clip: a video file (its audio track is the source sound) or an image sequence (face####.png).")
    var input: String
    @Option(help: "What the clip shows and sounds like now.")
    var sourcePrompt: String
    @Option(help: "What it should show and sound like.")
    var targetPrompt: String
    @Option(help: "The source sound (WAV, FLAC, OGG, MP3); default: the video file's own audio track.")
    var audio: String?
    @Option(help: "Model folder (default: the built-in AV model of build/OmniEdit.ofx.bundle, or $OMNIEDIT_AV_MODEL).")
    var model: String?
    @Option(help: "Output: a video file (the edited sound is muxed in) or an image-sequence pattern.")
    var output: String
    @Option(help: "Also write the edited sound to this WAV or FLAC file (atomically; never over an input).")
    var outputAudio: String?
    @Option(help: "Render only frames A-B of the input (windows still follow the whole clip; default: all).")
    var frames: String?
    @Option(help: "Frame rate of an image-sequence input (default 25).")
    var frameRate: Double?
    @Option(name: .customLong("set"), help: "An AV Edit parameter name=value (repeatable), e.g. steps=40, guidance=10, seed=3.")
    var sets: [String] = []
    @OptionGroup var resources: ComputeAndCacheOptions
    @Option(help: "Write figures (seconds, model calls, windows) to this JSON file.")
    var stats: String?

    func run() throws {
        var settings = AVEditSettings()
        settings.sourcePrompt = sourcePrompt
        settings.targetPrompt = targetPrompt
        do { try settings.set(assignments: sets) } catch { throw CommandLineError("--set: \(UserMessage.text(error))") }
        let compute = try resources.computeBackend()
        RunOutputs.shared.handleSignals { RunOutputs.shared.removeUnfinishedAndExit(128 + $0) }
        let modelFolder = try resolveAVModelFolder(model)
        let inputs = [input, audio, modelFolder].compactMap { $0 }
        try checkOutputIsNotAnInput(output, inputs: inputs)
        if let outputAudio {
            try checkOutputIsNotAnInput(outputAudio, inputs: inputs + [output])
        }
        let clip = try openFrameSource(input, frameRate: frameRate ?? 25)
        let all = clip.firstFrame...(clip.firstFrame + clip.frameCount - 1)
        let range = try frames.map { try parseRange($0, within: all) } ?? all
        var temporaries: [String] = []
        defer {
            for t in temporaries {
                try? FileManager.default.removeItem(atPath: t)
                RunOutputs.shared.untrack(t)
            }
        }
        func temporaryWAV(_ what: String) -> String {
            let path = NSTemporaryDirectory() + "/omniedit-avedit-\(what)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav"
            temporaries.append(path)
            RunOutputs.shared.track(path)
            return path
        }
        // The source sound: --audio, else the video's own track (decoded to a temporary WAV).
        var sourceAudio = audio
        if sourceAudio == nil, isVideoFilePath(input), let track = try readAudioTrack(input) {
            let path = temporaryWAV("source")
            try AudioFile.write(try AudioBuffer(sampleRate: track.sampleRate, channels: track.channels, samples: track.samples), to: path)
            sourceAudio = path
        }

        let started = Date()
        let model = try AVModel.shared(folder: modelFolder, backend: compute, precision: try resources.computePrecision())
        let loadSeconds = Date().timeIntervalSince(started)
        let cache = try resources.cacheStore()
        let job = try AVEditJob(
            model: model, inputs: AVEditInputs(frames: all, frameRate: clip.frameRate, sourceAudio: sourceAudio, settings: settings),
            cache: cache, fetch: { try planar(clip.frame($0)) })
        print("model: \(modelFolder) (\(model.backendName), loaded in \(String(format: "%.2f", loadSeconds)) s)")
        if let cpu = model.backend as? CPUBackend { print("cpu: \(cpu.blas.summary)") }
        print("clip: \(range.count) frames \(clip.width)×\(clip.height) at \(clip.frameRate) fps; \(job.planSummary)")

        let callsBefore = model.modelCalls
        let folder = (output as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let sink = try makeFrameSink(output, width: clip.width, height: clip.height, frameRate: clip.frameRate)
        var notes = Set<String>()
        let renderStart = Date()
        let interactive = isatty(1) != 0
        var completed = false
        defer { if !completed { sink.abandon() } }
        let hooks = JobHooks(
            progress: { p in
                if interactive { FileHandle.standardOutput.write(Data(String(format: "\r  %5.1f%%", 100 * p).utf8)) }
            },
            note: { notes.insert($0) })
        for f in range { try sink.write(rgba(try job.render(frame: f, hooks: hooks)), frame: f) }
        // The edited sound over the rendered frames (the muxer takes audio from time 0).
        let edited = try job.editedAudio(hooks: hooks)
        if interactive { print() }
        let first = Int((Double(range.lowerBound - all.lowerBound) / clip.frameRate * Double(edited.sampleRate)).rounded())
        let last = min(
            edited.frameCount, Int((Double(range.upperBound + 1 - all.lowerBound) / clip.frameRate * Double(edited.sampleRate)).rounded()))
        let cut = try AudioBuffer(
            sampleRate: edited.sampleRate, channels: edited.channels,
            samples: Array(edited.samples[(first * edited.channels)..<(max(first, last) * edited.channels)]))
        var muxed: String? = nil
        if isVideoFilePath(output) {
            let path = temporaryWAV("edited")
            try AudioFile.write(cut, to: path, encoding: .float32)
            muxed = path
        }
        let protected = [sourceAudio, audio, input].compactMap { $0 }
        if let outputAudio {
            try RunOutputs.shared.creating {
                try AudioFile.write(cut, to: outputAudio, encoding: .pcm24, protecting: protected)
            }
        }
        try sink.finish(audioFile: muxed)
        completed = true
        let seconds = Date().timeIntervalSince(renderStart)
        let calls = model.modelCalls - callsBefore
        for n in notes.sorted() { print("note: \(n)") }
        print("wrote \(output): \(range.count) frames in \(String(format: "%.1f", seconds)) s, \(calls) model calls")
        if let outputAudio {
            print("wrote \(outputAudio): \(String(format: "%.2f", cut.duration)) s, \(cut.channels) channel(s) at \(cut.sampleRate) Hz")
        }
        if let stats {
            let json: [String: Any] = [
                "frames": range.count, "windows": job.plan.windows.count, "windowLength": job.plan.length,
                "seconds": seconds, "loadSeconds": loadSeconds, "modelCalls": calls, "backend": model.backendName,
                "secondsPerWindow": calls == 0 ? 0 : seconds / Double(job.plan.windows.count),
            ]
            try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: stats))
        }
    }
}

/// `given`, else the built-in AV model of build/OmniEdit.ofx.bundle (or $OMNIEDIT_AV_MODEL).
func resolveAVModelFolder(_ given: String?) throws -> String {
    if let given { return given }
    let candidates = [
        ProcessInfo.processInfo.environment["OMNIEDIT_AV_MODEL"], "build/OmniEdit.ofx.bundle/Contents/Resources/models/avedit",
        "plugin-manifest/Resources/models/avedit",
    ].compactMap { $0 }
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/omniedit.json") }) else {
        throw ValidationError("no --model given and no built-in AV model found (build it with `make`, or pass --model DIR)")
    }
    return found
}
