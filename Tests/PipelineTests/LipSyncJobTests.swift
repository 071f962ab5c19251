// LipSyncJob end to end on small random-weight HuMo folders: every frame in any order gives the same
// bytes, the caches are exact (counted model calls), abort resumes, corrupt entries are recomputed,
// and the folder layouts users have load to the same model.
import Foundation
import Media
import Models
import Pipeline
import Sampler
import XCTest

final class LipSyncJobTests: XCTestCase {
    /// One random folder per layout for the whole class (writing them takes a moment).
    nonisolated(unsafe) static var folders: [String: URL] = [:]
    static let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("omniedit-pipeline-\(getpid())")

    override class func setUp() {
        super.setUp()
        for layout in RandomHuMoFolder.Layout.allCases {
            let url = root.appendingPathComponent("model-\(layout.rawValue)")
            try? RandomHuMoFolder.write(to: url, layout: layout)
            folders[layout.rawValue] = url
        }
        let url = root.appendingPathComponent("model-17b")
        try? RandomHuMoFolder.write(to: url, layout: .humo, channelReference: true)
        folders["17b"] = url
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: root)
        super.tearDown()
    }

    /// A fresh folder under the class root.
    func scratch(_ name: String) -> URL {
        let url = Self.root.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A speech-like WAV: a tone whose loudness follows a syllable rhythm of `rate` Hz.
    func writeSpeech(_ path: String, seconds: Double, rate: Double, pitch: Double = 180, sampleRate: Int = 22050) throws {
        let n = Int(seconds * Double(sampleRate))
        let samples = (0..<n).map { i -> Float in
            let t = Double(i) / Double(sampleRate)
            return Float(0.5 * max(0, sin(2 * .pi * rate * t)) * sin(2 * .pi * pitch * t))
        }
        try AudioFile.write(try AudioBuffer(sampleRate: sampleRate, channels: 1, samples: samples), to: path)
    }

    /// Frames of a moving pattern at the host's size (not the model's: the job resizes).
    static func frame(_ i: Int, height: Int = 40, width: Int = 56) -> PlanarImage {
        var v = [Float](repeating: 0, count: 3 * height * width)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let s = sin(Double(x + 2 * i) * 0.3 + Double(c)) * cos(Double(y) * 0.2 - Double(i) * 0.1)
                    v[(c * height + y) * width + x] = Float(0.8 * s)
                }
            }
        }
        return try! PlanarImage(channels: 3, height: height, width: width, values: v)
    }

    func settings() -> LipSyncSettings {
        var s = LipSyncSettings()
        s.steps = 6
        s.startStep = 2
        s.endStep = 4
        s.windowLength = 9
        s.windowOverlap = 4
        s.seed = 7
        return s
    }

    /// Calls per window for `settings()`: 1 initial + 3 per edit step (2, 3, 4) + 2 for the plain step 5.
    let callsPerWindow = 1 + 3 * 3 + 2

    struct Run {
        var frames: [Int: [Float]] = [:]
        var calls = 0
    }

    func render(
        model: String = "humo", frames: ClosedRange<Int> = 0...19, settings: LipSyncSettings? = nil, audio: String,
        cache: CacheStore, order: [Int]? = nil, hooks: JobHooks = JobHooks(), fetch: FrameFetch? = nil,
        precision: ComputePrecision? = nil
    ) throws -> Run {
        let m = try HuMoModel.shared(folder: Self.folders[model]!.path, backend: .cpu, precision: precision)
        let job = try LipSyncJob(
            model: m,
            inputs: LipSyncInputs(
                frames: frames, frameRate: 25, targetAudio: audio, sourceAudio: nil, settings: settings ?? self.settings()),
            cache: cache, fetch: fetch ?? { Self.frame($0) })
        var run = Run()
        let before = m.modelCalls
        for f in order ?? Array(frames) { run.frames[f] = try job.render(frame: f, hooks: hooks).values }
        run.calls = m.modelCalls - before
        return run
    }

    func testEveryFrameInAnyOrderGivesTheSameBytesAndEachWindowIsComputedOnce() throws {
        let dir = scratch("order")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.8, rate: 4)
        let plan = WindowPlan(frames: 0...19, length: 9, overlap: 4)
        let inOrder = try render(audio: wav, cache: try CacheStore(folder: dir.appendingPathComponent("a"), budgetMB: 64))
        XCTAssertEqual(inOrder.calls, plan.windows.count * callsPerWindow)
        var generator = SeededOrder(seed: 3)
        let shuffled = (0...19).shuffled(using: &generator)
        let random = try render(
            audio: wav, cache: try CacheStore(folder: dir.appendingPathComponent("b"), budgetMB: 64), order: shuffled)
        XCTAssertEqual(random.calls, plan.windows.count * callsPerWindow)
        for f in 0...19 {
            XCTAssertEqual(inOrder.frames[f], random.frames[f], "frame \(f)")
            XCTAssertTrue(inOrder.frames[f]!.allSatisfy { $0.isFinite && abs($0) <= 1 })
        }
        // The same seed again, from nothing: the same bytes.
        let again = try render(audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0))
        XCTAssertEqual(again.frames, inOrder.frames)
    }

    /// The 'CPU precision' choice: bf16 linear layers give a close but different result, cached apart
    /// from the f32 one (one cache folder, no call served across precisions); f32 stays the reference.
    func testBF16PrecisionIsCloseToF32AndCachedApart() throws {
        let dir = scratch("precision")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.8, rate: 4)
        let cache = try CacheStore(folder: dir.appendingPathComponent("cache"), budgetMB: 64)
        let f32 = try render(frames: 0...8, audio: wav, cache: cache, precision: .f32)
        let bf16Model = try HuMoModel.shared(folder: Self.folders["humo"]!.path, backend: .cpu, precision: .bf16)
        guard bf16Model.backendName.contains("bf16") else {
            throw XCTSkip("this CPU has no AVX512_BF16: bf16 falls back to f32 (\(bf16Model.backendName))")
        }
        XCTAssertNotEqual(
            bf16Model.identity, try HuMoModel.shared(folder: Self.folders["humo"]!.path, backend: .cpu, precision: .f32).identity)
        let bf16 = try render(frames: 0...8, audio: wav, cache: cache, precision: .bf16)
        XCTAssertEqual(bf16.calls, callsPerWindow, "nothing of the f32 render may be served to the bf16 one")
        var precisionChange: Float = 0, editChange: Float = 0
        for f in 0...8 {
            XCTAssertNotEqual(bf16.frames[f], f32.frames[f])
            for (a, b) in zip(bf16.frames[f]!, f32.frames[f]!) { precisionChange += abs(a - b) }
            for (a, b) in zip(f32.frames[f]!, Self.frame(f).values) { editChange += abs(a - b) }
        }
        // A random-weight DiT amplifies rounding far more than a trained one; still, what bf16 changes is
        // a small part of what the edit itself changed (3 % here).
        XCTAssertLessThan(precisionChange, 0.1 * editChange)
        XCTAssertEqual(try render(frames: 0...8, audio: wav, cache: cache, precision: .f32).calls, 0)
    }

    /// Step caching (`stepCacheThreshold`): fewer model calls, a different result cached apart from the
    /// exact one (only the shared initial state is reused across), served again from disk with no call.
    func testStepCachingSkipsCallsAndIsCachedApart() throws {
        let dir = scratch("stepcache")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        let folder = dir.appendingPathComponent("cache")
        let exact = try render(frames: 0...8, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        XCTAssertEqual(exact.calls, callsPerWindow)
        var s = settings()
        try s.set(assignments: ["stepCacheThreshold=10"])
        XCTAssertEqual(s.stepCacheThreshold, 10)
        let cached = try render(frames: 0...8, settings: s, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        // The initial state (no step run) is shared, so no initial call; steps 2 and 3 measure the rate
        // (3 calls each); the largest threshold then skips steps 4 and 5.
        XCTAssertEqual(cached.calls, 3 + 3)
        XCTAssertNotEqual(cached.frames, exact.frames)
        XCTAssertTrue(cached.frames.values.allSatisfy { $0.allSatisfy { $0.isFinite && abs($0) <= 1 } })
        let again = try render(frames: 0...8, settings: s, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        XCTAssertEqual(again.calls, 0)
        XCTAssertEqual(again.frames, cached.frames)
        XCTAssertEqual(try render(frames: 0...8, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64)).frames, exact.frames)
        s.stepCacheThreshold = 10.5
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("stepCacheThreshold"), "\($0)") }
    }

    func testAReRenderFromTheCacheMakesNoModelCallsEvenFromDiskAlone() throws {
        let dir = scratch("rerender")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.8, rate: 4)
        let folder = dir.appendingPathComponent("cache")
        let first = try render(audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        let fromDisk = try render(audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        XCTAssertEqual(fromDisk.calls, 0)
        XCTAssertEqual(fromDisk.frames, first.frames)
    }

    func testAnAbortedRenderResumesWithOnlyTheRemainingCallsAndTheSameResult() throws {
        let dir = scratch("abort")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        let reference = try render(frames: 0...8, audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0))
        XCTAssertEqual(reference.calls, callsPerWindow)
        let folder = dir.appendingPathComponent("cache")
        let model = try HuMoModel.shared(folder: Self.folders["humo"]!.path, backend: .cpu)
        let start = model.modelCalls
        let abortAfter = 5
        XCTAssertThrowsError(
            try render(
                frames: 0...8, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64),
                hooks: JobHooks(shouldAbort: { model.modelCalls - start >= abortAfter }))
        ) { XCTAssertEqual($0 as? PipelineError, .aborted) }
        let done = model.modelCalls - start
        XCTAssertGreaterThanOrEqual(done, abortAfter)
        XCTAssertLessThan(done, callsPerWindow)
        let resumed = try render(frames: 0...8, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        XCTAssertEqual(resumed.calls, callsPerWindow - done)
        XCTAssertEqual(resumed.frames, reference.frames)
    }

    func testChangingEndStepOrPreviewStepResumesFromTheLastValidStep() throws {
        let dir = scratch("resume")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        let cache = try CacheStore(folder: dir.appendingPathComponent("cache"), budgetMB: 64)
        _ = try render(frames: 0...8, audio: wav, cache: cache)
        var s = settings()
        s.endStep = 5  // steps 2…4 are unchanged: only step 5 (now an edit step) runs again
        XCTAssertEqual(try render(frames: 0...8, settings: s, audio: wav, cache: cache).calls, 3)
        s = settings()
        s.previewStep = 3  // the state after step 3 is cached: only the preview's guided pair runs
        let preview = try render(frames: 0...8, settings: s, audio: wav, cache: cache)
        XCTAssertEqual(preview.calls, 2)
        XCTAssertTrue(preview.frames[0]!.allSatisfy(\.isFinite))
    }

    func testNewAudioContentUnderTheSamePathInvalidatesTheCache() throws {
        let dir = scratch("audio")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        let cache = try CacheStore(folder: dir.appendingPathComponent("cache"), budgetMB: 64)
        let first = try render(frames: 0...8, audio: wav, cache: cache)
        try writeSpeech(wav, seconds: 0.4, rate: 5)
        let second = try render(frames: 0...8, audio: wav, cache: cache)
        // Every step runs again; only the initial noise estimate (a call under c_src, the null audio,
        // on the unchanged source) is still valid.
        XCTAssertEqual(second.calls, callsPerWindow - 1)
        XCTAssertNotEqual(second.frames[4], first.frames[4])
    }

    func testCorruptDiskEntriesAreDetectedAndRecomputedToTheSameResult() throws {
        let dir = scratch("corrupt")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        let folder = dir.appendingPathComponent("cache")
        let first = try render(frames: 0...8, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "oec" }
        XCTAssertFalse(files.isEmpty)
        for (i, file) in files.enumerated() {
            var bytes = [UInt8](try Data(contentsOf: file))
            if i % 2 == 0 { bytes.removeLast(bytes.count / 3) } else { bytes[bytes.count / 2] ^= 0x5A }
            try Data(bytes).write(to: file)
        }
        let second = try render(frames: 0...8, audio: wav, cache: try CacheStore(folder: folder, budgetMB: 64))
        XCTAssertEqual(second.calls, callsPerWindow)
        XCTAssertEqual(second.frames, first.frames)
    }

    func testTwoJobsAtOnceOnOneCacheFolderAreCorrect() throws {
        let dir = scratch("concurrent")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.8, rate: 4)
        let reference = try render(audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0))
        let folder = dir.appendingPathComponent("cache")
        final class Results: @unchecked Sendable {
            var runs: [Run?] = [nil, nil]
            let lock = NSLock()
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = try? self.render(
                audio: wav, cache: try! CacheStore(folder: folder, budgetMB: 64),
                order: i == 0 ? Array(0...19) : Array((0...19).reversed()))
            results.lock.withLock { results.runs[i] = r }
        }
        for r in results.runs { XCTAssertEqual(r?.frames, reference.frames) }
    }

    func testTheThreeFolderLayoutsLoadTheSameModelAndThe17BLayoutRuns() throws {
        let dir = scratch("layouts")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        var outputs: [String: [Float]] = [:]
        for name in ["humo", "comfy", "diffusers", "17b"] {
            let run = try render(model: name, frames: 0...8, audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0))
            XCTAssertEqual(run.calls, callsPerWindow, name)
            outputs[name] = run.frames[4]
        }
        XCTAssertEqual(outputs["comfy"], outputs["humo"])
        XCTAssertEqual(outputs["diffusers"], outputs["humo"])
        XCTAssertNotEqual(outputs["17b"], outputs["humo"])
    }

    func testAShortAudioTrackIsSilencePaddedAndSaidSo() throws {
        let dir = scratch("short")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.2, rate: 3)
        var notes: [String] = []
        _ = try render(
            frames: 0...8, audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0),
            hooks: JobHooks(note: { notes.append($0) }))
        XCTAssertTrue(notes.contains { $0.contains("covers 0.20 s of the clip's 0.36 s") }, "\(notes)")
    }

    func testBadInputIsAClearError() throws {
        let dir = scratch("bad")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 3)
        let empty = dir.appendingPathComponent("empty.wav").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let cache = try CacheStore(folder: nil, budgetMB: 0)
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        XCTAssertTrue(message { _ = try self.render(frames: 0...8, audio: empty, cache: cache) }.contains("cannot read the audio file"))
        XCTAssertTrue(message { _ = try self.render(frames: 0...8, audio: dir.path + "/none.wav", cache: cache) }.contains("none.wav"))
        let resizing: FrameFetch = { $0 == 5 ? Self.frame($0, height: 32, width: 32) : Self.frame($0) }
        XCTAssertTrue(
            message { _ = try self.render(frames: 0...8, audio: wav, cache: cache, fetch: resizing) }
                .contains("the frame size must not change"))
        var s = settings()
        s.endStep = 9
        XCTAssertTrue(message { _ = try self.render(frames: 0...8, settings: s, audio: wav, cache: cache) }.contains("'endStep'"))
        s = settings()
        s.guidance = .nan
        XCTAssertTrue(message { _ = try self.render(frames: 0...8, settings: s, audio: wav, cache: cache) }.contains("'guidance'"))
    }
}

extension LipSyncJobTests: @unchecked Sendable {}

/// A deterministic shuffle.
struct SeededOrder: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
