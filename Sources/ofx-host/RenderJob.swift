// ofx-host: one render — open the input, find the effect, run the session, write the output.
// Shared by `render` (from flags) and `run` (from a job file); the job itself is OFXHost's `RenderJob`.
import Foundation
import Media
import OFXHost
import UserMessages
import VideoIO

extension RenderJob {
    /// Runs the render; returns the problems the host found in the plugin's behaviour.
    func run(progress: ProgressBar) throws -> [String] {
        for s in setList ?? [] where !s.contains("=") { throw requestError("--set takes name=value, got '\(s)'") }
        // Everything that can be checked before rendering is checked now, not after the last frame.
        try checkOutputIsNotAnInput(output, inputs: [input] + (audio.map { [$0] } ?? []))
        if let audio {
            do { _ = try AudioFile.info(audio) } catch {
                throw HostError("--audio: \(UserMessage.text(error, file: audio))", status: UserMessage.exitStatus(error))
            }
            let ext = (output as NSString).pathExtension.lowercased()
            if output.contains("#") || output.contains("%") || ["png", "pfm"].contains(ext) {
                throw requestError("--audio needs a video output (.mp4, .mov, .mkv); \(output) is an image sequence or image")
            }
        }
        let source = try openFrameSource(input, frameRate: frameRate)
        let range = try frameRange(default: source.firstFrame...(source.firstFrame + source.frameCount - 1))
        let binary = try PluginBinary(bundle: bundle)
        let plugin: LoadedPlugin
        do { plugin = try findPlugin(effect, in: binary) } catch let e as HostError where e.exitStatus == .usage {
            throw requestError(e.message)
        }
        var context: String? = nil
        if let c = self.context {
            guard let name = RenderSession.contextName(c) else { throw requestError("unknown context '\(c)' (use filter or general)") }
            context = name
        }
        var depth: OFXHost.PixelDepth? = nil
        if let d = self.depth {
            guard let p = OFXHost.PixelDepth(name: d) else { throw requestError("unknown depth '\(d)' (use byte, short or float)") }
            depth = p
        }
        let clip = ClipInput(
            width: source.width, height: source.height,
            frames: source.firstFrame...(source.firstFrame + source.frameCount - 1),
            frameRate: source.frameRate, pixelAspect: source.pixelAspect,
            provider: { [frames = SerialFrames(source)] n in
                let f = try frames.frame(n)
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
        let renderStarted = Date()
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
        // An effect that writes its own audio (AV Edit's 'Output audio') during this render: mux that.
        let effectAudio = audio == nil ? writtenEffectAudio(since: renderStarted) : nil
        if effectAudio != nil, !isVideoFilePath(output) {
            progress.note("the effect wrote its audio to \(effectAudio!); \(output) is not a video file, so it is not muxed")
        }
        if let audio = audio ?? (isVideoFilePath(output) ? effectAudio : nil), sink != nil {
            // The track is cut to the rendered frames, so picture and sound stay in sync.
            let cut = try cutAudio(audio, frames: (range.lowerBound - source.firstFrame)..<(range.upperBound - source.firstFrame + 1),
                                   frameRate: source.frameRate)
            defer {
                try? FileManager.default.removeItem(atPath: cut)
                RunOutputs.shared.untrack(cut)
            }
            try sink?.finish(audioFile: cut)
        } else {
            try sink?.finish(audioFile: nil)
        }
        completed = true
        progress.finish()
        return diagnostics.problems
    }
}

extension RenderJob {
    /// The file the effect's `outputAudioFile` parameter names, when the effect wrote it after `start`.
    func writtenEffectAudio(since start: Date) -> String? {
        guard let path = parameters.last(where: { $0.name == "outputAudioFile" })?.value, !path.isEmpty,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date, modified >= start.addingTimeInterval(-1)
        else { return nil }
        return path
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
    throw HostError(
        "\(binary.bundlePath) has no effect '\(name)'; it has: \(labels.joined(separator: ", "))", status: .usage)
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
    // Listed in RunOutputs until the caller removes it: a signal meanwhile removes it too.
    try RunOutputs.shared.creating {
        RunOutputs.shared.track(out)
        try AudioFile.write(
            AudioBuffer(sampleRate: info.sampleRate, channels: channels.count, samples: interleaved), to: out,
            protecting: [path])
    }
    return out
}

/// A frame source read by one caller at a time: a plugin may fetch input frames from several render
/// threads, and a decoder (video files) is not safe to call concurrently.
final class SerialFrames: @unchecked Sendable {
    private let source: any FrameSource
    private let lock = NSLock()

    init(_ source: any FrameSource) { self.source = source }

    func frame(_ n: Int) throws -> RGBAImage { try lock.withLock { try source.frame(n) } }
}
