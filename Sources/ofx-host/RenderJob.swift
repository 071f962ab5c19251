// ofx-host: one render — open the input, find the effect, run the session, write the output.
// Shared by `render` (from flags) and `run` (from a job file).
import Foundation
import Media
import OFXHost
import VideoIO

/// One render, as flags or a job-file entry describe it.
struct RenderJob: Codable {
    var bundle: String
    var effect: String
    var input: String
    var output: String
    var frames: String?
    var set: [String: String]?
    /// Parameters that name files: like `set`, but relative paths are resolved against the job file's folder.
    var setFiles: [String: String]?
    /// Ordered form of `set` for the command line (job files use the dictionary).
    var setList: [String]?
    var context: String?
    var depth: String?
    /// An audio file to mux into a video output.
    var audio: String?
    var frameRate: Double?
    var negativeRowBytes: Bool?

    /// Paths relative to `base` (a job file's folder) made absolute.
    func resolved(against base: String) -> RenderJob {
        func abs(_ p: String) -> String { p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p) }
        var j = self
        j.bundle = abs(bundle)
        j.input = abs(input)
        j.output = abs(output)
        j.audio = audio.map(abs)
        j.setFiles = setFiles?.mapValues { $0.isEmpty ? $0 : abs($0) }
        return j
    }

    var parameters: [(name: String, value: String)] {
        var out: [(String, String)] = []
        for s in setList ?? [] {
            if let eq = s.firstIndex(of: "=") { out.append((String(s[..<eq]), String(s[s.index(after: eq)...]))) }
        }
        for (k, v) in (set ?? [:]).merging(setFiles ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            out.append((k, v))
        }
        return out
    }

    func frameRange(default d: ClosedRange<Int>) throws -> ClosedRange<Int> {
        guard let frames else { return d }
        return try Self.parseRange(frames)
    }

    /// "A-B" (or "A"), A ≤ B.
    static func parseRange(_ frames: String) throws -> ClosedRange<Int> {
        let parts = frames.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let a = parts[0] { return a...a }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a <= b else {
            throw HostError("--frames takes A-B with A ≤ B, got '\(frames)'")
        }
        return a...b
    }

    /// Runs the render; returns the problems the host found in the plugin's behaviour.
    func run(progress: ProgressBar) throws -> [String] {
        for s in setList ?? [] where !s.contains("=") { throw HostError("--set takes name=value, got '\(s)'") }
        // Everything that can be checked before rendering is checked now, not after the last frame.
        try checkOutputIsNotAnInput(output, inputs: [input] + (audio.map { [$0] } ?? []))
        if let audio {
            do { _ = try AudioFile.info(audio) } catch { throw HostError("--audio \(audio): \(error)") }
            let ext = (output as NSString).pathExtension.lowercased()
            if output.contains("#") || output.contains("%") || ["png", "pfm"].contains(ext) {
                throw HostError("--audio needs a video output (.mp4, .mov, .mkv); \(output) is an image sequence or image")
            }
        }
        let source = try openFrameSource(input, frameRate: frameRate)
        let range = try frameRange(default: source.firstFrame...(source.firstFrame + source.frameCount - 1))
        let binary = try PluginBinary(bundle: bundle)
        let plugin = try findPlugin(effect, in: binary)
        var context: String? = nil
        if let c = self.context {
            guard let name = RenderSession.contextName(c) else { throw HostError("unknown context '\(c)' (use filter or general)") }
            context = name
        }
        var depth: OFXHost.PixelDepth? = nil
        if let d = self.depth {
            guard let p = OFXHost.PixelDepth(name: d) else { throw HostError("unknown depth '\(d)' (use byte, short or float)") }
            depth = p
        }
        let clip = ClipInput(
            width: source.width, height: source.height,
            frames: source.firstFrame...(source.firstFrame + source.frameCount - 1),
            frameRate: source.frameRate, pixelAspect: source.pixelAspect,
            provider: { [source] n in
                let f = try source.frame(n)
                return FrameBuffer(width: f.width, height: f.height, pixels: f.pixels)
            })
        let diagnostics = Diagnostics()
        diagnostics.onMessage = { m in progress.note(m.description) }
        let session = try RenderSession(
            plugin: plugin, input: clip,
            request: RenderRequest(context: context, depth: depth, frames: range, parameters: parameters,
                                   layout: ImageLayoutOptions(negativeRowBytes: negativeRowBytes ?? false)),
            diagnostics: diagnostics)
        defer { session.close() }
        let bits = depth == .float ? 16 : (depth == .byte ? 8 : (source.sourceBitDepth > 8 ? 16 : 8))
        // The output is opened at the first rendered frame: a render that fails at once writes nothing.
        var sink: FrameSink?
        progress.beginFrames(range.count)
        var done = 0
        // A failed or aborted render leaves no partial output: the frames written so far are removed.
        var completed = false
        defer { if !completed { sink?.abandon() } }
        try session.render(frames: range) { frame, buffer in
            if sink == nil {
                let folder = (output as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                sink = try makeFrameSink(
                    output, width: source.width, height: source.height, frameRate: source.frameRate,
                    pixelAspect: source.pixelAspect, bitDepth: bits)
            }
            try sink?.write(RGBAImage(width: buffer.width, height: buffer.height, pixels: buffer.pixels), frame: frame)
            done += 1
            progress.frameDone(done)
        }
        if let audio, sink != nil {
            // The track is cut to the rendered frames, so picture and sound stay in sync.
            let cut = try cutAudio(audio, frames: (range.lowerBound - source.firstFrame)..<(range.upperBound - source.firstFrame + 1),
                                   frameRate: source.frameRate)
            defer { try? FileManager.default.removeItem(atPath: cut) }
            try sink?.finish(audioFile: cut)
        } else {
            try sink?.finish(audioFile: nil)
        }
        completed = true
        progress.finish()
        return diagnostics.problems
    }
}

/// The plugin of `binary` whose identifier or label is `name`.
func findPlugin(_ name: String, in binary: PluginBinary) throws -> LoadedPlugin {
    if let p = binary.plugins.first(where: { $0.identifier == name }) { return p }
    var labels: [String] = []
    for p in binary.plugins {
        let s = try p.summary(parameters: false)
        if s.label.caseInsensitiveCompare(name) == .orderedSame { return p }
        labels.append("\(s.label) (\(s.identifier))")
    }
    throw HostError("\(binary.bundlePath) has no effect '\(name)'; it has: \(labels.joined(separator: ", "))")
}

/// The part of `path` that plays during `frames` (counted from the clip's first frame) at
/// `frameRate`, as a temporary WAV at the file's own rate and channel count (silence past its end).
func cutAudio(_ path: String, frames: Range<Int>, frameRate: Double) throws -> String {
    let info = try AudioFile.info(path)
    let channels = try AudioFile.readChannels(path, sampleRate: info.sampleRate,
                                              span: AudioSpan(frames: frames, frameRate: frameRate))
    let count = channels.first?.count ?? 0
    var interleaved = [Float](repeating: 0, count: count * channels.count)
    for (c, samples) in channels.enumerated() {
        for i in 0..<count { interleaved[i * channels.count + c] = samples[i] }
    }
    let out = NSTemporaryDirectory() + "ofx-host-audio-\(getpid())-\(UUID().uuidString).wav"
    try AudioFile.write(
        AudioBuffer(sampleRate: info.sampleRate, channels: channels.count, samples: interleaved), to: out,
        protecting: [path])
    return out
}
