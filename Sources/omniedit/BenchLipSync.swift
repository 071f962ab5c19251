import ArgumentParser
import Foundation
import Media
import Pipeline
import Sampler
import VideoIO

/// `omniedit bench lipsync`: the LipSync evaluation on generated held-out cases (tools/eval/make_cases.py):
/// sync, preservation and fidelity of OmniEdit beside its ablations (FlowEdit, OmniEdit with random
/// noise) on the same cases and seeds, and seconds per window.
struct BenchLipSync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-lipsync",
        abstract: "LipSync on held-out cases: sync r, PSNR outside the mouth, PSNR/SSIM vs ground truth, OmniEdit vs FlowEdit vs random noise.")

    @Option(help: "Folder of cases (each like Examples/: clip/, truth/, source.wav, voice.wav, example.json).")
    var cases: String
    @Option(help: "Model folder (default: the built-in model).")
    var model: String = "plugin-manifest/Resources/models/lipsync"
    @Option(help: "Samplers to compare, comma-separated: omniEdit, flowEdit, omniEditRandomNoise.")
    var samplers: String = "omniEdit,flowEdit,omniEditRandomNoise"
    @Option(help: "Compute backend: cpu or vulkan.")
    var backend: String = "cpu"
    @Option(name: .customLong("set"), help: "A LipSync parameter name=value (repeatable).")
    var sets: [String] = []
    @Option(help: "Use at most this many cases.")
    var limit: Int?
    @Option(help: "Write every figure to this JSON file.")
    var json: String?
    @Option(help: "Step-cache thresholds to compare per sampler, comma-separated (0 = off, the baseline of the ratios).")
    var stepCache: String = "0"

    func run() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: cases).filter {
            FileManager.default.fileExists(atPath: cases + "/" + $0 + "/example.json")
        }.sorted().prefix(limit ?? Int.max)
        guard !names.isEmpty else { throw ValidationError("\(cases) holds no case folder (example.json)") }
        let compute: ComputeBackend = backend == "vulkan" ? .vulkan : .cpu
        let model = try HuMoModel.shared(folder: self.model, backend: compute)
        print("model \(self.model) on \(model.backendName); \(names.count) case(s)")
        let thresholds = try stepCache.split(separator: ",").map { t -> Double in
            guard let v = Double(t.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--step-cache: '\(t)' is not a number") }
            return v
        }
        guard !thresholds.isEmpty else { throw ValidationError("--step-cache needs at least one threshold") }
        var table: [String: [String: Any]] = [:]
        var rows: [String] = []
        let runs = samplers.split(separator: ",").map(String.init).flatMap { s in thresholds.map { (s, $0) } }
        for (samplerName, threshold) in runs {
            var settings = LipSyncSettings()
            try settings.set(assignments: sets)
            try settings.set("sampler", samplerName)
            try settings.set("stepCacheThreshold", "\(threshold)")
            let rowName = threshold == 0 ? samplerName : "\(samplerName), step cache \(threshold)"
            rows.append(rowName)
            var all: [LipSyncScores] = []
            var seconds = 0.0, windows = 0, calls = 0, modelSeconds = 0.0
            for name in names {
                let dir = cases + "/" + name
                let example = try JSONDecoder().decode(
                    ExampleCase.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/example.json")))
                let clip = try openFrameSource(dir + "/clip/face####.png", frameRate: 25)
                let frames = clip.firstFrame...(clip.firstFrame + clip.frameCount - 1)
                let job = try LipSyncJob(
                    model: model,
                    inputs: LipSyncInputs(
                        frames: frames, frameRate: 25, targetAudio: dir + "/voice.wav", sourceAudio: dir + "/source.wav",
                        settings: settings),
                    cache: try CacheStore(folder: nil, budgetMB: 0), fetch: { try planar(clip.frame($0)) })
                let before = model.modelCalls
                let modelBefore = model.modelSeconds
                let start = Date()
                let edited = try frames.map { rgba(try job.render(frame: $0)) }
                seconds += Date().timeIntervalSince(start)
                windows += job.plan.windows.count
                calls += model.modelCalls - before
                modelSeconds += model.modelSeconds - modelBefore
                let source = try LipSyncEvaluation.load(dir + "/clip/face####.png", count: example.frames)
                let truth = try LipSyncEvaluation.load(dir + "/truth/face####.png", count: example.frames)
                let s = LipSyncEvaluation.scores(edited: edited, source: source, truth: truth, example: example)
                all.append(s)
                print(String(format: "  %@ %@: sync r %.3f (floor %.3f, truth %.3f)  PSNR outside mouth %.1f dB  vs truth %.1f dB, SSIM %.3f",
                    rowName, name, s.syncR, s.sourceFloorR, s.truthCeilingR, s.psnrOutsideMouth, s.psnrVsTruth, s.ssimVsTruth))
            }
            func mean(_ k: KeyPath<LipSyncScores, Double>) -> Double { all.map { $0[keyPath: k] }.reduce(0, +) / Double(all.count) }
            let row: [String: Any] = [
                "sync_r": mean(\.syncR), "source_floor_r": mean(\.sourceFloorR), "truth_ceiling_r": mean(\.truthCeilingR),
                "psnr_outside_mouth_db": mean(\.psnrOutsideMouth), "psnr_vs_truth_db": mean(\.psnrVsTruth),
                "ssim_vs_truth": mean(\.ssimVsTruth), "psnr_mouth_vs_truth_db": mean(\.psnrMouthVsTruth),
                "seconds_per_window": seconds / Double(max(windows, 1)),
                "model_seconds_per_window": modelSeconds / Double(max(windows, 1)), "model_calls_per_window": Double(calls) / Double(max(windows, 1)),
            ]
            table[rowName] = row
        }
        // Step-cache rows are compared with their sampler's run without it (threshold 0), when it ran.
        for (samplerName, threshold) in runs where threshold != 0 {
            let name = "\(samplerName), step cache \(threshold)"
            guard let base = table[samplerName], var row = table[name] else { continue }
            row["model_call_ratio"] = (base["model_calls_per_window"] as! Double) / max(row["model_calls_per_window"] as! Double, 1)
            row["seconds_ratio"] = (base["seconds_per_window"] as! Double) / max(row["seconds_per_window"] as! Double, 1e-9)
            row["model_seconds_ratio"] = (base["model_seconds_per_window"] as! Double) / max(row["model_seconds_per_window"] as! Double, 1e-9)
            row["sync_r_change"] = (row["sync_r"] as! Double) - (base["sync_r"] as! Double)
            row["psnr_vs_truth_change_db"] = (row["psnr_vs_truth_db"] as! Double) - (base["psnr_vs_truth_db"] as! Double)
            table[name] = row
        }
        print("\n| sampler | sync r | source floor | truth | PSNR outside mouth | PSNR vs truth | SSIM vs truth | s / window | DiT s / window | calls / window | fewer calls | Δ sync r |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for rowName in rows {
            let r = table[rowName]!
            let ratio = (r["model_call_ratio"] as? Double).map { String(format: "%.2f×", $0) } ?? "—"
            let change = (r["sync_r_change"] as? Double).map { String(format: "%+.3f", $0) } ?? "—"
            print(String(format: "| %@ | %.3f | %.3f | %.3f | %.1f dB | %.1f dB | %.3f | %.1f | %.1f | %.1f | %@ | %@ |", rowName,
                r["sync_r"] as! Double, r["source_floor_r"] as! Double, r["truth_ceiling_r"] as! Double,
                r["psnr_outside_mouth_db"] as! Double, r["psnr_vs_truth_db"] as! Double, r["ssim_vs_truth"] as! Double,
                r["seconds_per_window"] as! Double, r["model_seconds_per_window"] as! Double,
                r["model_calls_per_window"] as! Double, ratio, change))
        }
        if let json {
            try JSONSerialization.data(withJSONObject: table, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: json))
        }
    }
}
