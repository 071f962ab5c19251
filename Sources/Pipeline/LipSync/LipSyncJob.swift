// Pipeline — LipSync: source frames + target speech (+ source speech) + settings → edited frames.
// The only code that calls both the sampler and the models. The plugin, `ofx-host` (through the
// plugin) and `omniedit lipsync` all render through it.
//
// Data path of a window: host frames → resized to the model's size → VAE encode (+ reference frame,
// + the zero-video latent for the 17B layout) → OmniEdit steps (each state cached) → VAE decode →
// the window's result (cached) → per frame: blend of the windows containing it → host size.
//
// Overlaps are blended in pixel space at the model's size: each window's latent frames cover 4 video
// frames counted from that window's own start, so two windows' latents are not on one time grid and
// cannot be mixed; their decoded frames can, with the ramps of `WindowPlan.blendWeight`.
import Foundation
import Media
import Models
import Sampler
import Tensor

/// What a LipSync render is given besides its frames.
public struct LipSyncInputs: Sendable {
    /// The clip's frame range (windows cover all of it).
    public var frames: ClosedRange<Int>
    public var frameRate: Double
    /// The new speech.
    public var targetAudio: String
    /// The clip's own speech; nil = none (the null audio stands for it).
    public var sourceAudio: String?
    public var settings: LipSyncSettings

    public init(
        frames: ClosedRange<Int>, frameRate: Double, targetAudio: String, sourceAudio: String?,
        settings: LipSyncSettings
    ) {
        self.frames = frames
        self.frameRate = frameRate
        self.targetAudio = targetAudio
        self.sourceAudio = sourceAudio
        self.settings = settings
    }
}

/// Hooks a caller gives a render: progress in [0, 1], abort between model calls, notes for the user.
public struct JobHooks {
    public var progress: (Double) -> Void
    public var shouldAbort: () -> Bool
    public var note: (String) -> Void

    public init(
        progress: @escaping (Double) -> Void = { _ in }, shouldAbort: @escaping () -> Bool = { false },
        note: @escaping (String) -> Void = { _ in }
    ) {
        self.progress = progress
        self.shouldAbort = shouldAbort
        self.note = note
    }
}

/// Fetches source frame `index` at the host's resolution.

/// Window results a caller may reuse *without* fetching the window's frames again, for as long as it
/// knows the source cannot change: an OpenFX host promises that during a sequence render (between
/// Begin and EndSequenceRender). Outside one, every request re-reads and re-hashes the frames.
public final class WindowMemo: @unchecked Sendable {
    private var entries: [String: WindowResult] = [:]
    private var avEntries: [String: AVWindowResult] = [:]
    private let lock = NSLock()
    /// Windows kept (a sequence render needs the current window and its neighbours).
    static let capacity = 4

    public init() {}

    func get(_ key: String) -> WindowResult? { lock.withLock { entries[key] } }

    func put(_ key: String, _ result: WindowResult) {
        lock.withLock {
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[key] = result
        }
    }

    func getAV(_ key: String) -> AVWindowResult? { lock.withLock { avEntries[key] } }

    func putAV(_ key: String, _ result: AVWindowResult) {
        lock.withLock {
            if avEntries.count >= Self.capacity { avEntries.removeAll() }
            avEntries[key] = result
        }
    }

    public func clear() {
        lock.withLock {
            entries.removeAll()
            avEntries.removeAll()
        }
    }
}

public final class LipSyncJob {
    public let model: HuMoModel
    public let inputs: LipSyncInputs
    public let cache: CacheStore
    public let plan: WindowPlan
    private let sourceFrames: SourceFrames
    private var targetFeatures: ClipAudioFeatures?
    private var sourceFeatures: ClipAudioFeatures?
    private var zeroVideoLatent: Tensor?
    /// The text condition: the folder's stored context or the prompt's encoding.
    public let text: HuMoTextContext
    /// Seconds inside `EditSampler.run` (model calls + the sampler's arithmetic + step-cache writes),
    /// for benchmarks: minus `HuMoModel.modelSeconds` it is the sampler and cache overhead.
    public private(set) var samplerSeconds = 0.0

    private let memo: WindowMemo?

    /// - Parameter memo: window results to reuse without re-reading frames (see `WindowMemo`), or nil.
    public init(
        model: HuMoModel, inputs: LipSyncInputs, cache: CacheStore, memo: WindowMemo? = nil,
        fetch: @escaping FrameFetch
    ) throws {
        try inputs.settings.validate()
        guard inputs.frameRate.isFinite, inputs.frameRate > 0, inputs.frameRate <= 1000 else {
            throw PipelineError.invalidInput("frame rate \(inputs.frameRate) must be a positive number of frames per second")
        }
        guard inputs.frames.count <= 10_000_000 else { throw PipelineError.invalidInput("the clip has too many frames") }
        if case .fixed(let f) = inputs.settings.reference, !inputs.frames.contains(f) {
            throw PipelineError.invalidParameter(
                "'referenceFrame' \(f) is outside the clip's frames \(inputs.frames.lowerBound)–\(inputs.frames.upperBound).")
        }
        self.model = model
        self.inputs = inputs
        self.cache = cache
        self.memo = memo
        sourceFrames = SourceFrames(effect: "LipSync", fetch: fetch)
        text = try model.textContext(prompt: inputs.settings.prompt, cache: cache)
        let length = inputs.settings.windowLength == 0 ? model.settings.windowLength : inputs.settings.windowLength
        plan = WindowPlan(frames: inputs.frames, length: length, overlap: inputs.settings.windowOverlap)
    }

    /// The window length and overlap actually used, for the user ("97 → 97", "30 → 29 (4k+1)").
    public var planSummary: String {
        "\(plan.windows.count) window(s) of \(plan.length) frames, overlap ≥ \(plan.overlap)"
    }

    // MARK: Frames

    /// Output frame `frame` at the host's resolution.
    public func render(frame: Int, hooks: JobHooks = JobHooks()) throws -> PlanarImage {
        guard inputs.frames.contains(frame) else {
            throw PipelineError.invalidInput("frame \(frame) is outside the clip \(inputs.frames.lowerBound)–\(inputs.frames.upperBound)")
        }
        let source = try sourceFrames.frame(frame)
        if let note = text.note { hooks.note(note) }
        let ws = plan.windows(containing: frame)
        let (mh, mw) = (model.settings.height, model.settings.width)
        var blended = [Float](repeating: 0, count: 3 * mh * mw)
        for (ordinal, index) in ws.enumerated() {
            let result = try windowResult(index, hooks: hooks, ordinal: ordinal, of: ws.count)
            let weight = Float(plan.blendWeight(window: index, frame: frame))
            let f = frame - plan.windows[index].lowerBound
            for c in 0..<3 {
                let plane = result.plane(frame: f, channel: c)
                var o = c * mh * mw
                for v in plane {
                    blended[o] += weight * v
                    o += 1
                }
            }
        }
        hooks.progress(1)
        return composite(blended, over: source)
    }

    /// `blended` (model size) put back over the source frame at its own size.
    private func composite(_ blended: [Float], over source: PlanarImage) -> PlanarImage {
        let up = PlanarResize.resize(
            blended, channels: 3, height: model.settings.height, width: model.settings.width,
            to: source.height, source.width)
        var out = source
        let n = source.height * source.width
        for i in 0..<(3 * n) {
            let v = inputs.settings.composite == .keepSourceDetail ? source.values[i] + up[i] : up[i]
            out.values[i] = min(1, max(-1, v))
        }
        return out
    }

    private func modelFrame(_ index: Int) throws -> [Float] {
        try sourceFrames.atModelSize(index, height: model.settings.height, width: model.settings.width)
    }

    // MARK: Windows

    /// The edited window `index` at the model's size, from the result cache or computed.
    public func windowResult(_ index: Int, hooks: JobHooks = JobHooks(), ordinal: Int = 0, of count: Int = 1) throws
        -> WindowResult
    {
        let w = plan.windows[index]
        let settings = inputs.settings
        let memoKey =
            "\(model.identity)|\(text.identity)|\(settings.fingerprint)|\(plan.frames) \(w)|\(inputs.frameRate)|\(inputs.targetAudio)|\(inputs.sourceAudio ?? "")"
        if let known = memo?.get(memoKey) { return known }
        let frames = try w.map { try modelFrame($0) }
        let referenceIndex: Int
        switch settings.reference {
        case .firstFrameOfWindow: referenceIndex = w.lowerBound
        case .fixed(let f): referenceIndex = f
        }
        let reference = try modelFrame(referenceIndex)
        let target = try features(source: false, hooks: hooks)
        let source = try inputs.sourceAudio == nil ? nil : features(source: true, hooks: hooks)
        let targetRows = try target.rows(w)
        let sourceRows = try source?.rows(w)
        let backend = model.backend

        // Condition digests hold what c_src / c_tgt are made of (reference pixels, audio rows, the text
        // context's identity) and no settings, so a setting that only changes later steps keeps the
        // earlier cached states valid.
        func digest(_ parts: [[UInt8]]) -> [UInt8] {
            var sha = SHA256()
            for p in parts {
                var n = UInt64(p.count).littleEndian
                withUnsafeBytes(of: &n) { sha.update(bufferPointer: $0) }
                sha.update(data: p)
            }
            return sha.finalize()
        }
        func bytes(_ v: [Float]) -> [UInt8] { v.withUnsafeBytes { Array($0) } }
        // What both conditions share: the reference frame and the text context.
        let sharedDigest = digest([bytes(reference), Array(text.identity.utf8)])
        let targetDigest = digest([Array("target".utf8), sharedDigest, bytes(try backend.download(targetRows))])
        let sourceDigest = digest(
            [Array("source".utf8), sharedDigest, try sourceRows.map { bytes(try backend.download($0)) } ?? Array("null audio".utf8)])
        let key = digest(
            [Array("lipsync-result 1|\(model.identity)|\(settings.fingerprint)|window \(index) \(w)|".utf8),
             Array("\(model.settings.width)x\(model.settings.height)".utf8), targetDigest, sourceDigest]
                + frames.map(bytes)
        ).map { String(format: "%02x", $0) }.joined()
        if let cached = cache.result(key) {
            memo?.put(memoKey, cached)
            return cached
        }

        let result = try model.computeLock.withLock {
            try compute(
                index: index, frames: frames, reference: reference, targetRows: targetRows, sourceRows: sourceRows,
                digests: (sourceDigest, targetDigest), hooks: hooks, ordinal: ordinal, of: count)
        }
        cache.putResult(key, result)
        memo?.put(memoKey, result)
        return result
    }

    private func features(source: Bool, hooks: JobHooks) throws -> ClipAudioFeatures {
        if source, let f = sourceFeatures { return f }
        if !source, let f = targetFeatures { return f }
        guard let path = source ? inputs.sourceAudio : inputs.targetAudio else {
            throw PipelineError.invalidInput("no source audio")  // callers pass nil rows for the null audio
        }
        let f = try AudioConditioning.features(
            path: path, frames: inputs.frames, frameRate: inputs.frameRate,
            offset: source ? 0 : inputs.settings.audioOffset, model: model)
        if f.silencePadded > 0.001 {
            let clip = Double(inputs.frames.count) / inputs.frameRate
            hooks.note(
                "The \(source ? "source" : "target") audio covers \(String(format: "%.2f", clip - f.silencePadded)) s of the clip's \(String(format: "%.2f", clip)) s; the rest is treated as silence (the mouth is edited towards a closed mouth there).")
        }
        if source { sourceFeatures = f } else { targetFeatures = f }
        return f
    }

    private func compute(
        index: Int, frames: [[Float]], reference: [Float], targetRows: Tensor, sourceRows: Tensor?,
        digests: (source: [UInt8], target: [UInt8]), hooks: JobHooks, ordinal: Int, of count: Int
    ) throws -> WindowResult {
        let backend = model.backend
        let settings = inputs.settings
        let (mh, mw) = (model.settings.height, model.settings.width)
        let length = frames.count
        // [1, 3, L, H, W]: channels outermost, then time.
        var video = [Float](repeating: 0, count: 3 * length * mh * mw)
        let n = mh * mw
        for (t, frame) in frames.enumerated() {
            for c in 0..<3 {
                let dst = (c * length + t) * n
                video.replaceSubrange(dst..<(dst + n), with: frame[(c * n)..<((c + 1) * n)])
            }
        }
        let videoTensor = try backend.upload(video, shape: [1, 3, length, mh, mw], dtype: .f32)
        let sourceLatent = try model.vae.encodeTiled(videoTensor, on: backend)  // [1, 16, F, h, w]
        let referenceLatent = try model.vae.encodeTiled(
            backend.upload(reference, shape: [1, 3, 1, mh, mw], dtype: .f32), on: backend)
        let x0Tensor = try backend.concat([sourceLatent, referenceLatent], axis: 2).squeezed(0)  // [16, F+1, h, w]
        let latentFrames = x0Tensor.shape[1]
        let x0 = try Latent(name: "video", shape: x0Tensor.shape, values: backend.download(x0Tensor))

        var conditioning: Tensor? = nil
        if model.usesChannelReference {
            let zero = try zeroVideo(length: length)
            conditioning = try HuMoReference.conditioning(
                zeroVAE: zero, ref: referenceLatent.squeezed(0), frames: latentFrames, on: backend)
        }
        let targetWindows = try HuMoAudioFeatures.windows(targetRows, videoFrames: length, referenceFrames: 1, on: backend)
        let sourceWindows = try sourceRows.map {
            try HuMoAudioFeatures.windows($0, videoFrames: length, referenceFrames: 1, on: backend)
        }
        let velocity = HuMoVelocityModel(
            model: model, reference: try referenceLatent.squeezed(0), conditioning: conditioning,
            source: try model.dit.condition(context: text.context, audio: sourceWindows, frames: latentFrames, on: backend),
            target: try model.dit.condition(context: text.context, audio: targetWindows, frames: latentFrames, on: backend))

        let sampler = try EditSampler(
            configuration: settings.samplerConfiguration(window: index),
            inputs: SamplerInputs(
                source: x0, sourceConditionDigest: digests.source, targetConditionDigest: digests.target,
                modelIdentity: model.identity))
        let sampled = try cache.sample(
            sampler, model: velocity, previewStep: settings.previewStep,
            progress: { hooks.progress((Double(ordinal) + $0) / Double(count)) }, shouldAbort: hooks.shouldAbort)
        samplerSeconds += sampled.seconds
        let clean = sampled.clean
        // Decode the video frames (the reference frame is the last latent frame and is dropped).
        let part = clean.parts[0]
        let z = try backend.upload(part.values, shape: part.shape, dtype: .f32)
            .narrowed(axis: 1, start: 0, length: latentFrames - 1).unsqueezed(0)
        var decoded = try backend.download(model.vae.decodeTiled(backend.contiguous(z), on: backend))
        if settings.composite == .keepSourceDetail {
            let base = try backend.download(model.vae.decodeTiled(sourceLatent, on: backend))
            for i in decoded.indices { decoded[i] -= base[i] }
        }
        return WindowResult(frames: length, height: mh, width: mw, values: decoded)
    }

    /// The VAE latent of an all-zero (mid-grey) video one latent frame longer than the window (the
    /// 17B layout's conditioning for the reference frame's slot), computed once per job.
    private func zeroVideo(length: Int) throws -> Tensor {
        if let z = zeroVideoLatent, z.shape[1] == (length - 1) / 4 + 2 { return z }
        let (mh, mw) = (model.settings.height, model.settings.width)
        let z = try model.vae.encodeTiled(
            model.backend.zeros([1, 3, length + 4, mh, mw]), on: model.backend
        ).squeezed(0)
        zeroVideoLatent = z
        return z
    }
}
