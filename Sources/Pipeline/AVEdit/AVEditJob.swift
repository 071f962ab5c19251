// Pipeline — AV Edit: source frames + source audio + source/target prompt + settings → edited frames and
// edited audio. The only code that calls both the sampler and the LTX-2 models; the plugin, `ofx-host`
// (through the plugin) and `omniedit avedit` all render through it.
//
// Data path of a window (8k+1 frames): prompts → Gemma-3 states (cached) → left padding + mask → connectors
// → captions; frames → model size → video VAE mean → normalised; the window's audio span → stereo log-mel →
// audio VAE mean → normalised; the OmniEdit sampler over the two-part latent (video, audio: each its own
// noise and norm, omniedit-sampler.md §4 "AV Edit"), each step cached → decode video; decode audio → mel
// → vocoder → the window's waveform → result (cached). Frames of overlapping windows are blended as
// LipSync's; their audio is cross-faded (`AVAudio.join`).
import Foundation
import Media
import Models
import Sampler
import Tensor
import UserMessages

/// What an AV Edit render is given besides its frames.
public struct AVEditInputs: Sendable {
    /// The clip's frame range (windows cover all of it).
    public var frames: ClosedRange<Int>
    public var frameRate: Double
    /// The clip's sound (a file of any libsndfile format); nil or empty = the clip has none, and AV Edit
    /// generates its sound for the target prompt while it edits the picture.
    public var sourceAudio: String?
    public var settings: AVEditSettings

    public init(frames: ClosedRange<Int>, frameRate: Double, sourceAudio: String?, settings: AVEditSettings) {
        self.frames = frames
        self.frameRate = frameRate
        self.sourceAudio = sourceAudio
        self.settings = settings
    }
}

/// A window's edit: its frames at the model's size (as `WindowResult`) and its audio, `[channels][samples]`
/// at the vocoder's rate from the window's first frame.
public struct AVWindowResult: Sendable, Hashable {
    public let video: WindowResult
    public let audio: [[Float]]
    public let sampleRate: Int
}

public final class AVEditJob {
    public let model: AVModel
    public let inputs: AVEditInputs
    public let cache: CacheStore
    public let plan: WindowPlan
    private let sourceFrames: SourceFrames
    private let memo: WindowMemo?
    private var captions: (source: LTX2Captions, target: LTX2Captions, digests: (source: [UInt8], target: [UInt8]))?
    private var toldUnchanged = false
    /// Seconds inside `EditSampler.run`, for benchmarks.
    public private(set) var samplerSeconds = 0.0

    public init(
        model: AVModel, inputs: AVEditInputs, cache: CacheStore, memo: WindowMemo? = nil, fetch: @escaping FrameFetch
    ) throws {
        try inputs.settings.validate()
        guard inputs.frameRate.isFinite, inputs.frameRate > 0, inputs.frameRate <= 1000 else {
            throw PipelineError.invalidInput("frame rate \(inputs.frameRate) must be a positive number of frames per second")
        }
        guard inputs.frames.count <= 10_000_000 else { throw PipelineError.invalidInput("the clip has too many frames") }
        if let audio = inputs.sourceAudio, !audio.isEmpty {
            do { _ = try AudioFile.info(audio) } catch {
                throw PipelineError.invalidInput("cannot read the source audio '\(audio)': \(UserMessage.text(error))")
            }
        }
        self.model = model
        self.inputs = inputs
        self.cache = cache
        self.memo = memo
        sourceFrames = SourceFrames(effect: "AV Edit", fetch: fetch)
        let s = inputs.settings
        let length = s.windowLength == 0 ? model.settings.windowLength : s.windowLength
        plan = WindowPlan(
            frames: inputs.frames, length: length, overlap: s.windowOverlap,
            temporalUnit: model.videoVAE.temporalCompression)
    }

    /// The window length and overlap actually used, for the user.
    public var planSummary: String {
        "\(plan.windows.count) window(s) of \(plan.length) frames, overlap ≥ \(plan.overlap)"
    }

    private var unchanged: Bool { inputs.settings.promptsAreIdentical }

    /// The source sound's path; nil when the clip has none (its sound is then generated).
    private var sourceAudioPath: String? { inputs.sourceAudio.flatMap { $0.isEmpty ? nil : $0 } }
    private var toldGenerated = false

    private func tellGenerated(_ hooks: JobHooks) {
        guard !toldGenerated, sourceAudioPath == nil else { return }
        toldGenerated = true
        hooks.note(
            "The clip has no sound (no audio track, no 'Source audio'): its sound is generated for the target prompt while the picture is edited.")
    }

    private func tellUnchanged(_ hooks: JobHooks) {
        guard !toldUnchanged else { return }
        toldUnchanged = true
        hooks.note("The source and target prompts are identical: nothing to edit, the source is returned unchanged.")
    }

    // MARK: Frames

    /// Output frame `frame` at the host's resolution.
    public func render(frame: Int, hooks: JobHooks = JobHooks()) throws -> PlanarImage {
        guard inputs.frames.contains(frame) else {
            throw PipelineError.invalidInput("frame \(frame) is outside the clip \(inputs.frames.lowerBound)–\(inputs.frames.upperBound)")
        }
        let source = try sourceFrames.frame(frame)
        if unchanged {
            tellUnchanged(hooks)
            hooks.progress(1)
            return source
        }
        let ws = plan.windows(containing: frame)
        let (mh, mw) = (model.settings.height, model.settings.width)
        var blended = [Float](repeating: 0, count: 3 * mh * mw)
        for (ordinal, index) in ws.enumerated() {
            let result = try windowResult(index, hooks: hooks, ordinal: ordinal, of: ws.count).video
            let weight = Float(plan.blendWeight(window: index, frame: frame))
            let f = frame - plan.windows[index].lowerBound
            for c in 0..<3 {
                var o = c * mh * mw
                for v in result.plane(frame: f, channel: c) {
                    blended[o] += weight * v
                    o += 1
                }
            }
        }
        hooks.progress(1)
        let up = PlanarResize.resize(blended, channels: 3, height: mh, width: mw, to: source.height, source.width)
        var out = source
        for i in 0..<(3 * source.height * source.width) {
            let v = inputs.settings.composite == .keepSourceDetail ? source.values[i] + up[i] : up[i]
            out.values[i] = min(1, max(-1, v))
        }
        return out
    }

    // MARK: Audio

    /// The edited track of the whole clip (every window, computed or from the cache): stereo at the
    /// vocoder's rate, overlaps cross-faded. Identical prompts give the source audio over the clip.
    public func editedAudio(hooks: JobHooks = JobHooks()) throws -> AudioBuffer {
        let rate = model.outputSampleRate
        let channels = model.vocoder.config.outChannels
        if unchanged {
            tellUnchanged(hooks)
            let duration = Double(inputs.frames.count) / inputs.frameRate
            guard let path = sourceAudioPath else {
                // Nothing to edit and no sound to return: silence over the clip.
                let silence = [Float](repeating: 0, count: Int((duration * Double(rate)).rounded()))
                return try AVAudio.buffer(Array(repeating: silence, count: channels), rate: rate)
            }
            let span = try AudioSpan(start: inputs.settings.audioOffset, duration: duration)
            let read = try AudioFile.readChannels(path, sampleRate: rate, span: span)
            return try AVAudio.buffer(read, rate: rate)
        }
        var parts: [(window: ClosedRange<Int>, samples: [[Float]])] = []
        for index in plan.windows.indices {
            let r = try windowResult(index, hooks: hooks, ordinal: index, of: plan.windows.count)
            parts.append((plan.windows[index], r.audio))
        }
        hooks.progress(1)
        return try AVAudio.buffer(
            AVAudio.join(parts, plan: plan, frameRate: inputs.frameRate, rate: rate, channels: channels), rate: rate)
    }

    // MARK: Inputs

    private func modelFrame(_ index: Int) throws -> [Float] {
        try sourceFrames.atModelSize(index, height: model.settings.height, width: model.settings.width)
    }

    /// Both prompts' captions, encoded once per job (and cached on disk across jobs).
    private func conditions(_ hooks: JobHooks) throws -> (
        source: LTX2Captions, target: LTX2Captions, digests: (source: [UInt8], target: [UInt8])
    ) {
        if let c = captions { return c }
        let s = inputs.settings
        if let recommended = model.settings.guidance, abs(recommended - s.guidance) > 0.25 {
            let name = model.settings.name.map { "'\($0)'" } ?? "This model"
            hooks.note(
                "\(name) is meant to run at guidance \(String(format: "%g", recommended)) (its omniedit.json); this render uses \(String(format: "%g", s.guidance))"
                    + (s.guidance > recommended ? ", which can overdrive the edit (a dark, noisy picture)." : ", a weaker edit."))
        }
        let (src, tgt) = try model.computeLock.withLock {
            (try model.captions(for: s.sourcePrompt, cache: cache, note: hooks.note),
             try model.captions(for: s.targetPrompt, cache: cache, note: hooks.note))
        }
        let b = model.backend
        func digest(_ role: String, _ c: LTX2Captions) throws -> [UInt8] {
            var sha = SHA256()
            sha.update(data: Array(role.utf8))
            for t in [c.video, c.audio] {
                let v = try b.download(t)
                v.withUnsafeBytes { sha.update(bufferPointer: $0) }
            }
            return sha.finalize()
        }
        let c = (src, tgt, (try digest("source", src), try digest("target", tgt)))
        captions = c
        return c
    }

    // MARK: Windows

    /// The edited window `index` (frames at the model's size and audio), from the result cache or computed.
    public func windowResult(_ index: Int, hooks: JobHooks = JobHooks(), ordinal: Int = 0, of count: Int = 1) throws
        -> AVWindowResult
    {
        let w = plan.windows[index]
        let s = inputs.settings
        let audioPath = sourceAudioPath
        let memoKey =
            "av|\(model.identity)|\(s.fingerprint)|\(s.sourcePrompt)|\(s.targetPrompt)|\(plan.frames) \(w)|\(inputs.frameRate)|\(audioPath ?? "(generated)")"
        if let known = memo?.getAV(memoKey) { return known }
        tellGenerated(hooks)
        let frames = try w.map { try modelFrame($0) }
        let audio = try AVAudio.sourceMel(
            path: audioPath, window: w, clipStart: inputs.frames.lowerBound, frameRate: inputs.frameRate,
            offset: s.audioOffset, channels: model.audioVAE.config.inChannels, compression: model.audioCompression,
            settings: model.mel)
        let conditions = try conditions(hooks)

        var sha = SHA256()
        func add(_ v: [Float]) {
            var n = UInt64(v.count).littleEndian
            withUnsafeBytes(of: &n) { sha.update(bufferPointer: $0) }
            v.withUnsafeBytes { sha.update(bufferPointer: $0) }
        }
        sha.update(data: Array("avedit-result 1|\(model.identity)|\(s.fingerprint)|window \(index) \(w)|\(inputs.frameRate)|".utf8))
        sha.update(data: Array("\(model.settings.width)x\(model.settings.height)".utf8))
        if audioPath == nil { sha.update(data: Array("|generated audio".utf8)) }
        sha.update(data: conditions.digests.source)
        sha.update(data: conditions.digests.target)
        frames.forEach(add)
        audio.samples.forEach(add)
        let key = sha.finalize().map { String(format: "%02x", $0) }.joined()
        if let cached = cache.avResult(key) {
            memo?.putAV(memoKey, cached)
            return cached
        }
        let result = try model.computeLock.withLock {
            try compute(index: index, frames: frames, mel: audio.mel, melFrames: audio.frames, exactSamples: AVAudio.span(
                of: w, clipStart: inputs.frames.lowerBound, frameRate: inputs.frameRate, rate: model.outputSampleRate
            ).count, conditions: conditions, hooks: hooks, ordinal: ordinal, of: count)
        }
        cache.putAVResult(key, result)
        memo?.putAV(memoKey, result)
        return result
    }

    private func compute(
        index: Int, frames: [[Float]], mel: [Float], melFrames: Int, exactSamples: Int,
        conditions: (source: LTX2Captions, target: LTX2Captions, digests: (source: [UInt8], target: [UInt8])),
        hooks: JobHooks, ordinal: Int, of count: Int
    ) throws -> AVWindowResult {
        let backend = model.backend
        let settings = inputs.settings
        let (mh, mw) = (model.settings.height, model.settings.width)
        let length = frames.count
        let vae = model.videoVAE
        let n = mh * mw
        var pixels = [Float](repeating: 0, count: 3 * length * n)
        for (t, frame) in frames.enumerated() {
            for c in 0..<3 {
                let dst = (c * length + t) * n
                pixels.replaceSubrange(dst..<(dst + n), with: frame[(c * n)..<((c + 1) * n)])
            }
        }
        // Video: raw mean latent [C, F', h, w] → (z − mean) / std per channel.
        let rawVideo = try vae.encodeMean(try backend.upload(pixels, shape: [3, length, mh, mw], dtype: .f32), on: backend)
        let videoShape = rawVideo.shape
        let videoX0 = try backend.download(try vae.normalise(rawVideo, on: backend))
        // Audio: mel [C, T, 64] → mean latent [Ca, L, M'] → normalised by the packed (c, m) statistics.
        let audioConfig = model.audioVAE.config
        let rawAudio = try model.audioVAE.encodeMean(
            try backend.upload(mel, shape: [audioConfig.inChannels, melFrames, model.mel.melCount], dtype: .f32), on: backend)
        let aShape = rawAudio.shape
        let audioX0 = try backend.download(try model.audioVAE.normalise(rawAudio, on: backend))
        let x0 = try Latent(parts: [
            try LatentPart(name: "video", shape: videoShape, values: videoX0),
            try LatentPart(name: "audio", shape: aShape, values: audioX0),
        ])
        let velocity = CountingVelocity(
            model: model,
            inner: LTX2VelocityModel(
                transformer: model.transformer, backend: backend, fps: Float(inputs.frameRate),
                source: conditions.source, target: conditions.target))
        var configuration = settings.samplerConfiguration(window: index)
        // No source sound: the audio part starts from noise and is generated (SamplerConfiguration.swift).
        if sourceAudioPath == nil { configuration.generatedParts = ["audio"] }
        let sampler = try EditSampler(
            configuration: configuration,
            inputs: SamplerInputs(
                source: x0, sourceConditionDigest: conditions.digests.source,
                targetConditionDigest: conditions.digests.target, modelIdentity: model.identity))
        let sampled = try cache.sample(
            sampler, model: velocity, previewStep: settings.previewStep,
            progress: { hooks.progress((Double(ordinal) + $0) / Double(count)) }, shouldAbort: hooks.shouldAbort)
        samplerSeconds += sampled.seconds
        let clean = sampled.clean
        // Video out.
        func decodeVideo(_ normalised: [Float]) throws -> [Float] {
            let raw = try vae.denormalise(try backend.upload(normalised, shape: videoShape, dtype: .f32), on: backend)
            let px = try vae.decode(raw, on: backend)
            guard px.shape == [3, length, mh, mw] else {
                throw PipelineError.model("the video VAE decoded \(px.shape) for a \(length)-frame window at \(mw)×\(mh)")
            }
            return try backend.download(px).map { min(1, max(-1, $0)) }
        }
        var decoded = try decodeVideo(clean.parts[0].values)
        if settings.composite == .keepSourceDetail {
            let base = try decodeVideo(videoX0)
            for i in decoded.indices { decoded[i] -= base[i] }
        }
        // Audio out: one latent frame repeated at the end so the causal decoder's 4L−3 mel frames cover all
        // T = 4L of the span, then cut to T frames and to the span's exact length after the vocoder.
        let latent = try model.audioVAE.denormalise(
            try backend.upload(clean.parts[1].values, shape: aShape, dtype: .f32), on: backend)
        let extended = try backend.concat([latent, try latent.narrowed(axis: 1, start: aShape[1] - 1, length: 1)], axis: 1)
        let melOut = try model.audioVAE.decode(try backend.contiguous(extended), on: backend)
        let cut = try backend.contiguous(try melOut.narrowed(axis: 1, start: 0, length: min(melFrames, melOut.shape[1])))
        let wave = try model.vocoder(cut, on: backend)  // [channels, T·upsampling]
        let values = try backend.download(wave)
        let (channels, samples) = (wave.shape[0], wave.shape[1])
        let keep = min(exactSamples, samples)
        let audio = (0..<channels).map { c in Array(values[(c * samples)..<(c * samples + keep)]) + [Float](repeating: 0, count: exactSamples - keep) }
        return AVWindowResult(
            video: WindowResult(frames: length, height: mh, width: mw, values: decoded), audio: audio,
            sampleRate: model.outputSampleRate)
    }
}

/// The LTX-2 velocity field, counting calls and seconds on its model (benchmarks, cache tests).
struct CountingVelocity: VelocityModel {
    let model: AVModel
    let inner: LTX2VelocityModel

    func velocities(for batch: [VelocityRequest]) throws -> [Latent] {
        let started = DispatchTime.now().uptimeNanoseconds
        let out = try inner.velocities(for: batch)
        model.countCalls(batch.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        return out
    }
}
