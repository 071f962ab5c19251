import ArgumentParser
import CommandLineMain
import UserMessages
import Foundation
import Media
import Pipeline
import TensorCPU
import VideoIO

/// `omniedit lipsync`: the LipSync job without OpenFX — a clip and a speech track in, the edited clip
/// (with the speech muxed in) out, through the same `LipSyncJob` the plugin runs.
struct LipSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lipsync",
        abstract: "Re-animate the mouth in a clip to a new speech track (the LipSync job, without a host).")

    @Option(help: "The clip: a video file or an image sequence (face####.png).")
    var input: String
    @Option(help: "The new speech (WAV, FLAC, OGG, MP3).")
    var audio: String
    @Option(help: "The clip's own speech (optional; none = the null audio).")
    var sourceAudio: String?
    @Option(help: "Model folder (default: the built-in model of build/OmniEdit.ofx.bundle, or $OMNIEDIT_MODEL).")
    var model: String?
    @Option(help: "Output: a video file (the speech is muxed in) or an image-sequence pattern.")
    var output: String
    @Option(help: "Render only frames A-B of the input (windows still follow the whole clip; default: all).")
    var frames: String?
    @Option(help: "Frame rate of an image-sequence input (default 25).")
    var frameRate: Double?
    @Option(
        help: "What the clip shows, encoded by the umT5 encoder in the model folder (cached); default: the folder's text_context.safetensors.")
    var prompt: String?
    @Option(name: .customLong("set"), help: "A LipSync parameter name=value (repeatable), e.g. steps=20, guidance=4.5, seed=3.")
    var sets: [String] = []
    @OptionGroup var resources: ComputeAndCacheOptions
    @Option(help: "Write figures (seconds, model calls, windows) to this JSON file.")
    var stats: String?

    func run() throws {
        var settings = LipSyncSettings()
        do { try settings.set(assignments: sets) } catch { throw CommandLineError("--set: \(UserMessage.text(error))") }
        if let prompt { settings.prompt = prompt }
        try settings.validate()
        let compute = try resources.computeBackend()
        // Ctrl-C, SIGTERM or SIGHUP: remove what this render wrote so far, then exit 128 + the signal.
        RunOutputs.shared.handleSignals { RunOutputs.shared.removeUnfinishedAndExit(128 + $0) }
        let modelFolder = try resolveModelFolder(model)
        try checkOutputIsNotAnInput(output, inputs: [input, audio, sourceAudio, modelFolder].compactMap { $0 })
        let clip = try openFrameSource(input, frameRate: frameRate ?? 25)
        let all = clip.firstFrame...(clip.firstFrame + clip.frameCount - 1)
        let range = try frames.map { try parseRange($0, within: all) } ?? all

        let started = Date()
        let cache = try resources.cacheStore()
        let encoderRuns = PromptEncoding.encoderRuns
        let model = try HuMoModel.shared(
            folder: modelFolder, backend: compute, precision: try resources.computePrecision(), prompt: settings.prompt,
            cache: cache)
        let loadSeconds = Date().timeIntervalSince(started)
        // Windows are planned over the whole clip, as the plugin plans them over the host's clip, so a
        // sub-range renders exactly the frames a whole render gives.
        let inputs = LipSyncInputs(
            frames: all, frameRate: clip.frameRate, targetAudio: audio, sourceAudio: sourceAudio, settings: settings)
        let job = try LipSyncJob(model: model, inputs: inputs, cache: cache, fetch: { try planar(clip.frame($0)) })
        print("model: \(modelFolder) (\(model.backendName), loaded in \(String(format: "%.2f", loadSeconds)) s)")
        if let cpu = model.backend as? CPUBackend { print("cpu: \(cpu.blas.summary)") }
        if !settings.prompt.isEmpty {
            let ran = PromptEncoding.encoderRuns > encoderRuns
            print("prompt: \(job.text.context.shape[0]) tokens " + (ran ? "(encoded, encoder released)" : "(from the cache)"))
        }
        print("clip: \(range.count) frames \(clip.width)×\(clip.height) at \(clip.frameRate) fps; \(job.planSummary)")

        let callsBefore = model.modelCalls
        let folder = (output as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let sink = try makeFrameSink(output, width: clip.width, height: clip.height, frameRate: clip.frameRate)
        var notes = Set<String>()
        let renderStart = Date()
        let interactive = isatty(1) != 0
        // A failed render leaves no partial output.
        var completed = false
        defer { if !completed { sink.abandon() } }
        for (i, f) in range.enumerated() {
            let image = try job.render(
                frame: f,
                hooks: JobHooks(
                    progress: { p in
                        if interactive {
                            FileHandle.standardOutput.write(
                                Data(String(format: "\r  frame %d/%d  %5.1f%%", i + 1, range.count, 100 * p).utf8))
                        }
                    },
                    note: { notes.insert($0) }))
            try sink.write(rgba(image), frame: f)
        }
        if interactive { print() }
        let muxed = try muxAudio(
            for: (range.lowerBound - all.lowerBound)...(range.upperBound - all.lowerBound), rate: clip.frameRate,
            offset: settings.audioOffset)
        defer {
            if let muxed {
                try? FileManager.default.removeItem(atPath: muxed)
                RunOutputs.shared.untrack(muxed)
            }
        }
        try sink.finish(audioFile: muxed)
        completed = true
        let seconds = Date().timeIntervalSince(renderStart)
        let calls = model.modelCalls - callsBefore
        for n in notes.sorted() { print("note: \(n)") }
        print("wrote \(output): \(range.count) frames in \(String(format: "%.1f", seconds)) s, \(calls) model calls")
        if let stats {
            let json: [String: Any] = [
                "frames": range.count, "windows": job.plan.windows.count, "windowLength": job.plan.length,
                "seconds": seconds, "loadSeconds": loadSeconds, "modelCalls": calls, "backend": model.backendName,
            ]
            try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: stats))
        }
    }

    /// The target speech over the rendered span (frames counted from the clip's first), as a temporary
    /// WAV (the muxer takes audio from time 0).
    private func muxAudio(for range: ClosedRange<Int>, rate: Double, offset: Double) throws -> String? {
        let ext = (output as NSString).pathExtension.lowercased()
        guard !output.contains("#"), !output.contains("%"), !["png", "pfm"].contains(ext) else { return nil }
        let span = try AudioSpan(frames: range.lowerBound..<(range.upperBound + 1), frameRate: rate, offset: offset)
        let info = try AudioFile.info(audio)
        let channels = try AudioFile.readChannels(audio, sampleRate: info.sampleRate, span: span)
        var interleaved = [Float](repeating: 0, count: channels.count * (channels.first?.count ?? 0))
        for (c, samples) in channels.enumerated() {
            for (i, v) in samples.enumerated() { interleaved[i * channels.count + c] = v }
        }
        let path = NSTemporaryDirectory() + "/omniedit-lipsync-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav"
        try RunOutputs.shared.creating {
            RunOutputs.shared.track(path)
            try AudioFile.write(
                try AudioBuffer(sampleRate: info.sampleRate, channels: channels.count, samples: interleaved), to: path)
        }
        return path
    }
}

/// `given`, else the built-in model of build/OmniEdit.ofx.bundle (or $OMNIEDIT_MODEL).
func resolveModelFolder(_ given: String?) throws -> String {
    if let given { return given }
    let candidates = [
        ProcessInfo.processInfo.environment["OMNIEDIT_MODEL"], "build/OmniEdit.ofx.bundle/Contents/Resources/models/lipsync",
        "plugin-manifest/Resources/models/lipsync",
    ].compactMap { $0 }
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw ValidationError("no --model given and no built-in model found (build it with `make`, or pass --model DIR)")
    }
    return found
}

/// "A-B" inside `all`.
func parseRange(_ text: String, within all: ClosedRange<Int>) throws -> ClosedRange<Int> {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a <= b else {
        throw ValidationError("--frames \(text): expected A-B with A ≤ B")
    }
    guard all.contains(a), all.contains(b) else {
        throw CommandFailure(
            "--frames \(text) is outside the input's frames \(all.lowerBound)-\(all.upperBound)", status: .dataError)
    }
    return a...b
}

/// VideoIO's interleaved RGBA 0…1 → planar RGB in [−1, 1] (+ alpha).
func planar(_ image: RGBAImage) throws -> PlanarImage {
    let n = image.width * image.height
    var values = [Float](repeating: 0, count: 3 * n)
    var alpha = [Float](repeating: 1, count: n)
    for i in 0..<n {
        for c in 0..<3 { values[c * n + i] = 2 * image.pixels[4 * i + c] - 1 }
        alpha[i] = image.pixels[4 * i + 3]
    }
    return try PlanarImage(channels: 3, height: image.height, width: image.width, values: values, alpha: alpha)
}

/// Planar RGB in [−1, 1] (+ alpha) → VideoIO's interleaved RGBA 0…1.
func rgba(_ image: PlanarImage) -> RGBAImage {
    let n = image.width * image.height
    var pixels = [Float](repeating: 1, count: 4 * n)
    for i in 0..<n {
        for c in 0..<3 { pixels[4 * i + c] = min(1, max(0, (image.values[c * n + i] + 1) / 2)) }
        if let a = image.alpha { pixels[4 * i + 3] = a[i] }
    }
    return RGBAImage(width: image.width, height: image.height, pixels: pixels)
}
