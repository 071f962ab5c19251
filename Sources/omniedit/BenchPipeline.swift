import ArgumentParser
import Foundation
import Media
import Pipeline

/// `omniedit bench-pipeline`: the LipSync job on one small model for a 1-window and a 10-window clip:
/// peak memory (must not grow with clip length), time, the sampler + cache overhead beside the model
/// time, a re-render from the cache (0 model calls), and the seam metric over window boundaries.
struct BenchPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-pipeline",
        abstract: "LipSync job: memory vs clip length, sampler/cache overhead, cached re-render, seams at window boundaries.")

    @Option(help: "Model folder (default: a tiny random HuMo folder written to a temporary folder).")
    var model: String?
    @Option(help: "Frames per window.")
    var window: Int = 17
    @Option(help: "Window overlap.")
    var overlap: Int = 4

    func run() throws {
        let scratch = NSTemporaryDirectory() + "omniedit-bench-pipeline-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let folder: String
        if let model { folder = model } else {
            folder = scratch + "/model"
            try RandomHuMoFolder.write(to: URL(fileURLWithPath: folder), layout: .humo)
        }
        let m = try HuMoModel.shared(folder: folder, backend: .cpu)
        let (h, w) = (m.settings.height * 2, m.settings.width * 2)
        let stride = window - overlap
        let lengths = [window, window + 9 * stride]
        let wav = scratch + "/voice.wav"
        let seconds = Double(lengths[1]) / 25 + 1
        let samples = (0..<Int(seconds * 16000)).map { i -> Float in
            let t = Double(i) / 16000
            return Float(0.5 * max(0, sin(2 * .pi * 3.5 * t)) * sin(2 * .pi * 170 * t))
        }
        try AudioFile.write(try AudioBuffer(sampleRate: 16000, channels: 1, samples: samples), to: wav)
        func frame(_ i: Int) -> PlanarImage {
            var v = [Float](repeating: 0, count: 3 * h * w)
            for c in 0..<3 {
                for y in 0..<h {
                    for x in 0..<w {
                        v[(c * h + y) * w + x] = Float(0.7 * sin(Double(x + i) * 0.21 + Double(c)) * cos(Double(y - i) * 0.17))
                    }
                }
            }
            return try! PlanarImage(channels: 3, height: h, width: w, values: v)
        }
        var settings = LipSyncSettings()
        settings.windowLength = window
        settings.windowOverlap = overlap
        print("model \(folder) (\(m.settings.width)×\(m.settings.height)), frames \(w)×\(h), windows of \(window), overlap \(overlap)")
        print("| clip | windows | seconds | model s | sampler+cache overhead (of model time) | per model call | peak RSS | model calls |")
        print("|---|---|---|---|---|---|---|---|")
        var peaks: [Double] = []
        var seam = Double.nan
        for length in lengths {
            let cache = try CacheStore(folder: URL(fileURLWithPath: scratch + "/cache-\(length)"), budgetMB: 1024)
            let job = try LipSyncJob(
                model: m,
                inputs: LipSyncInputs(frames: 0...(length - 1), frameRate: 25, targetAudio: wav, sourceAudio: nil, settings: settings),
                cache: cache, fetch: { frame($0) })
            let calls0 = m.modelCalls, model0 = m.modelSeconds
            let start = Date()
            // Frames are consumed as they come (as a host writes them): only the previous one is kept.
            var seams = SeamMeter(plan: job.plan)
            for f in 0..<length { seams.add(try job.render(frame: f).values) }
            seam = seams.ratio
            let total = Date().timeIntervalSince(start)
            let modelSeconds = m.modelSeconds - model0
            let overhead = (job.samplerSeconds - modelSeconds) / max(modelSeconds, 1e-9)
            peaks.append(BenchDiT.peakRSSGiB() * 1024)
            let calls = m.modelCalls - calls0
            print(String(format: "| %d frames | %d | %.1f | %.2f | %.1f %% | %.2f ms | %.0f MiB | %d |", length, job.plan.windows.count, total,
                modelSeconds, 100 * overhead, 1000 * (job.samplerSeconds - modelSeconds) / Double(max(calls, 1)), peaks.last!, calls))
            // A re-render with nothing changed, from the disk cache alone.
            let again = try LipSyncJob(
                model: m,
                inputs: LipSyncInputs(frames: 0...(length - 1), frameRate: 25, targetAudio: wav, sourceAudio: nil, settings: settings),
                cache: try CacheStore(folder: URL(fileURLWithPath: scratch + "/cache-\(length)"), budgetMB: 1024), fetch: { frame($0) })
            let calls1 = m.modelCalls
            _ = try (0..<length).map { try again.render(frame: $0) }
            print("  re-render from the disk cache: \(m.modelCalls - calls1) model calls")
        }
        print(String(format: "peak RSS 10 windows / 1 window: %.2f (must stay ≤ 1.2: memory does not grow with clip length)", peaks[1] / peaks[0]))
        print(String(format: "seam metric: %.2f (frame-to-frame change across window boundaries / median inside windows; ≤ 1.5)", seam))
    }
}

/// The seam metric, fed one frame at a time: mean absolute frame-to-frame change where a window starts
/// or ends, over the median of the same change between frames that lie in one window only.
struct SeamMeter {
    let plan: WindowPlan
    private var previous: [Float]?
    private var frame: Int
    private var boundary: [Double] = []
    private var inside: [Double] = []

    init(plan: WindowPlan) {
        self.plan = plan
        frame = plan.frames.lowerBound
    }

    mutating func add(_ values: [Float]) {
        defer {
            previous = values
            frame += 1
        }
        guard let previous else { return }
        let f = frame - 1
        let change = zip(previous, values).reduce(0) { $0 + Double(abs($1.0 - $1.1)) } / Double(values.count)
        if plan.windows.contains(where: { $0.lowerBound == f + 1 || $0.upperBound == f }) {
            boundary.append(change)
        } else if plan.windows(containing: f).count == 1 && plan.windows(containing: f + 1).count == 1 {
            inside.append(change)
        }
    }

    var ratio: Double {
        guard !boundary.isEmpty, !inside.isEmpty else { return .nan }
        let sorted = inside.sorted()
        return (boundary.reduce(0, +) / Double(boundary.count)) / sorted[sorted.count / 2]
    }
}
