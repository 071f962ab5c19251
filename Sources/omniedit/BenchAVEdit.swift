import ArgumentParser
import CommandLineMain
import Evaluation
import Foundation
import Media
import Pipeline
import Sampler
import VideoIO

/// `omniedit bench-avedit`: AV Edit on generated held-out cases (tools/eval/make_av_cases.py): each case's
/// gender, hair and pitch edits through the Swift `AVEditJob`, with OmniEdit, FlowEdit and OmniEdit with
/// random noise on the same cases and seeds; the attributes read back from the output frames and sound
/// where the generator's labels say (the readers of tools/data/av_measure.py and sample_eval.py), the
/// background and the unchanged voices against the source and the round trip, audio–video sync, and
/// seconds per window.
struct BenchAVEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-avedit",
        abstract: "AV Edit on held-out cases: target attributes read from the output, preservation, sync, s/window; OmniEdit vs FlowEdit vs random noise.")

    @Option(help: "Folder of cases (caseNN/ with clip/, source.wav, case.json), from tools/eval/make_av_cases.py.")
    var cases: String
    @Option(help: "Model folder (default: the built-in AV model).")
    var model: String?
    @Option(help: "Samplers to compare, comma-separated: omniEdit, flowEdit, omniEditRandomNoise.")
    var samplers: String = "omniEdit,flowEdit,omniEditRandomNoise"
    @Option(help: "Edit kinds to run, comma-separated (the cases' targets: gender, hair, pitch).")
    var kinds: String = "gender,hair,pitch"
    @Option(help: "Compute backend: cpu or vulkan.")
    var backend: String = "cpu"
    @Option(name: .customLong("set"), help: "An AV Edit parameter name=value (repeatable); the bench starts from guidance=4 composite=modelOutput.")
    var sets: [String] = []
    @Option(help: "Use at most this many cases.")
    var limit: Int?
    @Option(help: "Write every figure (per edit and summaries) to this JSON file.")
    var json: String?
    @Option(help: "Also write to this folder, per case, a contact sheet (rows: source, round trip, each edit; every 4th frame) and each edit's sound (WAV).")
    var save: String?

    func run() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: cases).filter {
            FileManager.default.fileExists(atPath: cases + "/" + $0 + "/case.json")
        }.sorted().prefix(limit ?? Int.max)
        guard !names.isEmpty else { throw ValidationError("\(cases) holds no case folder (case.json): make them with tools/eval/make_av_cases.py") }
        let samplerNames = samplers.split(separator: ",").map(String.init)
        let kindNames = kinds.split(separator: ",").map(String.init)
        // The built-in model's guidance (its model card), and the model's own output, as sample_eval measures it.
        var base = AVEditSettings()
        base.guidance = 4
        base.composite = .modelOutput
        base.sourcePrompt = "-"
        base.targetPrompt = "-"
        do { try base.set(assignments: sets) } catch { throw ValidationError("--set: \(error)") }
        for name in samplerNames {
            var check = base
            do { try check.set("sampler", name) } catch { throw ValidationError("--samplers: \(error)") }
        }
        guard let compute = ComputeBackend(name: backend) else { throw ValidationError("--backend must be cpu or vulkan") }
        let folder = try resolveAVModelFolder(model)
        let model = try AVModel.shared(folder: folder, backend: compute)
        say("model \(folder) on \(model.backendName); \(names.count) case(s); guidance \(base.guidance), composite \(base.composite.rawValue), T \(base.steps), start \(base.startStep), end \(base.endStep)")

        if let save { try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: true) }
        var rows: [[String: Any]] = []
        var roundTrips: [[String: Any]] = []
        var timing: [String: (seconds: Double, sampler: Double, windows: Int, calls: Int)] = [:]
        for name in names {
            let dir = cases + "/" + name
            let c = try AVEditCase.load(dir)
            let clip = try openFrameSource(dir + "/clip/face####.png", frameRate: c.fps)
            guard clip.frameCount >= c.frames else {
                throw CommandFailure("\(dir)/clip has \(clip.frameCount) frames, case.json says \(c.frames)", status: .dataError)
            }
            let frames = clip.firstFrame...(clip.firstFrame + c.frames - 1)
            let sourceFrames = try frames.map { try clip.frame($0) }
            // The case's frames' span of its sound (the file may run longer than the frames).
            let sourceAudio = try AudioFile.readMono(
                dir + "/source.wav", sampleRate: AudioMeasures.sampleRate,
                span: try AudioSpan(start: 0, duration: Double(c.frames) / c.fps)
            ).map(Double.init)
            let src = try AVEditEvaluation.read(frames: sourceFrames, audio: sourceAudio, in: c)

            /// One run of the job: the output frames (8-bit, as a PNG would hold them), its sound, seconds, windows, calls.
            func render(_ settings: AVEditSettings) throws -> (
                frames: [RGBAImage], audio: [Double], seconds: Double, sampler: Double, windows: Int, calls: Int, perWindow: [[String: Any]]
            ) {
                let job = try AVEditJob(
                    model: model, inputs: AVEditInputs(frames: frames, frameRate: c.fps, sourceAudio: dir + "/source.wav", settings: settings),
                    cache: try CacheStore(folder: nil, budgetMB: 0), fetch: { try planar(clip.frame($0)) })
                let before = model.modelCalls
                let start = Date()
                let out = try frames.map { FrameMeasures.quantised(rgba(try job.render(frame: $0))) }
                let audio = try job.editedAudio()
                let seconds = Date().timeIntervalSince(start)
                let perWindow = AVEditEvaluation.perWindow(out, source: sourceFrames, windows: job.plan.windows, first: frames.lowerBound, in: c)
                return (
                    out, try AVEditEvaluation.mono16k(audio), seconds, job.samplerSeconds, job.plan.windows.count, model.modelCalls - before,
                    perWindow)
            }

            // The round trip (VAEs + vocoder, no edit): OmniEdit at guidance 0 keeps Z equal to the
            // noised source at every step, so one step from the last sigma returns the source latents.
            var trip = base
            trip.sourcePrompt = c.source.prompt
            trip.targetPrompt = c.source.prompt + "."
            trip.sampler = .omniEdit
            trip.guidance = 0
            trip.startStep = base.steps - 1
            trip.endStep = base.steps - 1
            trip.composite = .modelOutput
            let rt = try render(trip)
            let rec = try AVEditEvaluation.read(frames: rt.frames, audio: rt.audio, in: c)
            let recBackground = AVEditEvaluation.backgroundPSNR(rt.frames, sourceFrames, in: c)
            let everything: (Int, Int, Int) -> Bool = { _, _, _ in true }
            roundTrips.append([
                "case": name, "hair": rec.hair, "hair_source": c.source.attrs.hair, "beard": rec.beard, "f0": rec.f0,
                "mel_centroid": AVEditEvaluation.number(rec.centroid), "sync": AVEditEvaluation.number(rec.sync),
                "keep_psnr": recBackground, "frame_psnr": FrameMeasures.psnr(rt.frames, sourceFrames, where: everything),
                "luma_shift": AVEditEvaluation.meanLuma(rt.frames) - AVEditEvaluation.meanLuma(sourceFrames),
                "source": [
                    "hair": src.hair, "beard": src.beard, "f0": src.f0, "mel_centroid": AVEditEvaluation.number(src.centroid),
                    "sync": AVEditEvaluation.number(src.sync),
                ],
                "python_source": [
                    "hair": c.pythonSource.hair, "beard": c.pythonSource.beard, "f0": c.pythonSource.f0Hz,
                    "sync": c.pythonSource.syncR.map { $0 as Any } ?? NSNull(),
                ],
            ])
            say(String(
                format: "%@: %@\n  source: hair %@ (python %@), beard %.2f (%.2f), f0 %.0f Hz (%.0f), sync r %.2f (%@); round trip: hair %@, beard %.2f, f0 %.0f Hz, mel centroid %.0f Hz, background %.1f dB",
                name, c.source.prompt, src.hair, c.pythonSource.hair, src.beard, c.pythonSource.beard, src.f0, c.pythonSource.f0Hz,
                src.sync, c.pythonSource.syncR.map { String(format: "%.2f", $0) } ?? "–", rec.hair, rec.beard, rec.f0, rec.centroid,
                recBackground))
            if rt.perWindow.count > 1 { say("  round trip per window: " + AVEditEvaluation.describe(rt.perWindow)) }

            var sheet: [[RGBAImage]] = [sourceFrames, rt.frames]
            var sheetRows = ["source", "round trip"]
            for target in c.targets where kindNames.contains(target.kind) {
                let t = target.attrs, s = c.source.attrs
                for samplerName in samplerNames {
                    var settings = base
                    settings.sourcePrompt = c.source.prompt
                    settings.targetPrompt = target.prompt
                    try settings.set("sampler", samplerName)
                    settings.seed = base.seed &+ c.seed
                    let out = try render(settings)
                    let m = try AVEditEvaluation.read(frames: out.frames, audio: out.audio, in: c)
                    if let save {
                        sheet.append(out.frames)
                        sheetRows.append("\(target.kind) \(samplerName)")
                        try AudioFile.write(
                            try AudioBuffer(sampleRate: AudioMeasures.sampleRate, channels: 1, samples: out.audio.map(Float.init)),
                            to: "\(save)/\(name)-\(target.kind)-\(samplerName).wav", encoding: .float32,
                            protecting: [dir + "/source.wav"])
                    }
                    var sum = timing[samplerName] ?? (0, 0, 0, 0)
                    sum.seconds += out.seconds
                    sum.sampler += out.sampler
                    sum.windows += out.windows
                    sum.calls += out.calls
                    timing[samplerName] = sum
                    let pitchChanged = t.pitch != s.pitch
                    let sign = t.pitch == "high" ? 1.0 : -1.0
                    let background = AVEditEvaluation.backgroundPSNR(out.frames, sourceFrames, in: c)
                    let row: [String: Any] = [
                        "case": name, "kind": target.kind, "sampler": samplerName, "source": c.source.prompt, "target": target.prompt,
                        "hair": m.hair, "hair_target": t.hair, "hair_ok": m.hair == t.hair, "hair_roundtrip": rec.hair,
                        "beard": m.beard, "beard_target": t.beard, "beard_ok": (m.beard > 0.5) == t.beard, "beard_roundtrip": rec.beard,
                        "f0": m.f0, "f0_roundtrip": rec.f0, "f0_source": src.f0,
                        "f0_change_pct": AVEditEvaluation.number(100 * (m.f0 - rec.f0) / max(rec.f0, 1e-6)),
                        "pitch_moved_right": pitchChanged ? ((m.f0 - rec.f0) * sign > 0) as Any : NSNull(),
                        "voice_gender": m.voiceGender, "voice_gender_ok": m.voiceGender == t.gender,
                        "mel_centroid": AVEditEvaluation.number(m.centroid), "mel_centroid_roundtrip": AVEditEvaluation.number(rec.centroid),
                        "mel_change_pct": AVEditEvaluation.number(100 * (m.centroid - rec.centroid) / max(rec.centroid, 1e-6)),
                        "mel_change_abs_pct": AVEditEvaluation.number(100 * abs(m.centroid - rec.centroid) / max(rec.centroid, 1e-6)),
                        "mel_moved_right": pitchChanged ? ((m.centroid - rec.centroid) * sign > 0) as Any : NSNull(),
                        "keep_psnr": background, "keep_psnr_roundtrip": recBackground,
                        "luma_shift": AVEditEvaluation.meanLuma(out.frames) - AVEditEvaluation.meanLuma(sourceFrames),
                        "change_vs_roundtrip_psnr": FrameMeasures.psnr(out.frames, rt.frames, where: everything),
                        "sync": AVEditEvaluation.number(m.sync), "sync_roundtrip": AVEditEvaluation.number(rec.sync),
                        "sync_source": AVEditEvaluation.number(src.sync),
                        "seconds": out.seconds, "sampler_seconds": out.sampler, "windows": out.windows, "model_calls": out.calls, "per_window": out.perWindow,
                        "per_window_roundtrip": rt.perWindow,
                    ]
                    rows.append(row)
                    say(String(
                        format: "  %-6@ %-20@ hair %@→%@ (%@) beard %.2f→%.2f f0 %.0f→%.0f mel %.0f→%.0f Hz keep %.1f dB sync %.2f  %.1f s",
                        target.kind, samplerName, rec.hair, m.hair, t.hair, rec.beard, m.beard, rec.f0, m.f0, rec.centroid, m.centroid,
                        background, m.sync, out.seconds))
                    if out.perWindow.count > 1 { say("    per window: " + AVEditEvaluation.describe(out.perWindow)) }
                }
            }
            if let save {
                let image = LipSyncEvaluation.contactSheet(rows: sheet, step: 4)
                let path = "\(save)/\(name).png"
                let sink = try makeFrameSink(path, width: image.width, height: image.height, frameRate: 25)
                try sink.write(image, frame: 0)
                try sink.finish(audioFile: nil)
                say("  wrote \(path) (rows: \(sheetRows.joined(separator: ", ")))")
            }
        }
        let summary = BenchAVEditSummary(rows: rows, roundTrips: roundTrips, timing: timing)
        summary.printTable(samplers: samplerNames, kinds: kindNames)
        if let json {
            let document: [String: Any] = [
                "model": folder, "backend": model.backendName, "cases": names.count, "guidance": base.guidance,
                "composite": base.composite.rawValue, "steps": base.steps, "start": base.startStep, "end": base.endStep,
                "summary": summary.bySamplerAndKind(samplers: samplerNames, kinds: kindNames), "roundtrip": summary.roundTripSummary(),
                "rows": rows, "roundtrips": roundTrips,
            ]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            try RunOutputs.shared.creating { try data.write(to: URL(fileURLWithPath: json), options: .atomic) }
            say("wrote \(json)")
        }
    }
}

/// The bench's figures aggregated per sampler and edit kind (sample_eval's summary, same names).
struct BenchAVEditSummary {
    let rows: [[String: Any]]
    let roundTrips: [[String: Any]]
    let timing: [String: (seconds: Double, sampler: Double, windows: Int, calls: Int)]

    func select(_ sampler: String, _ kind: String) -> [[String: Any]] {
        rows.filter { $0["sampler"] as? String == sampler && $0["kind"] as? String == kind }
    }

    /// (true count, counted) of a Bool column, skipping rows where it is null.
    static func count(_ r: [[String: Any]], _ key: String) -> (Int, Int) {
        let v = r.compactMap { $0[key] as? Bool }
        return (v.filter { $0 }.count, v.count)
    }

    static func mean(_ r: [[String: Any]], _ key: String) -> Double {
        let v = r.compactMap { $0[key] as? Double }.filter(\.isFinite)
        return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
    }

    func bySamplerAndKind(samplers: [String], kinds: [String]) -> [String: Any] {
        var out: [String: Any] = [:]
        for sampler in samplers {
            for kind in kinds {
                let r = select(sampler, kind)
                guard !r.isEmpty else { continue }
                func fraction(_ key: String) -> Any {
                    let (k, n) = Self.count(r, key)
                    return n == 0 ? NSNull() : Double(k) / Double(n)
                }
                out["\(kind)/\(sampler)"] = [
                    "n": r.count, "hair_acc": fraction("hair_ok"), "beard_acc": fraction("beard_ok"),
                    "pitch_direction_acc": fraction("pitch_moved_right"), "mel_pitch_direction_acc": fraction("mel_moved_right"),
                    "voice_gender_acc": fraction("voice_gender_ok"),
                    "f0_change_pct_mean": AVEditEvaluation.number(Self.mean(r, "f0_change_pct")),
                    "mel_change_pct_mean": AVEditEvaluation.number(Self.mean(r, "mel_change_pct")),
                    "mel_change_abs_pct_mean": AVEditEvaluation.number(Self.mean(r, "mel_change_abs_pct")),
                    "keep_psnr_db": AVEditEvaluation.number(Self.mean(r, "keep_psnr")),
                    "edit_vs_roundtrip_psnr_db": AVEditEvaluation.number(Self.mean(r, "change_vs_roundtrip_psnr")),
                    "luma_shift": AVEditEvaluation.number(Self.mean(r, "luma_shift")),
                    "sync_r": AVEditEvaluation.number(Self.mean(r, "sync")),
                ]
            }
            if let t = timing[sampler] {
                out["seconds_per_window/\(sampler)"] = t.seconds / Double(max(t.windows, 1))
                out["sampler_seconds_per_window/\(sampler)"] = t.sampler / Double(max(t.windows, 1))
                out["model_calls_per_window/\(sampler)"] = Double(t.calls) / Double(max(t.windows, 1))
            }
        }
        return out
    }

    func roundTripSummary() -> [String: Any] {
        let hairKept = roundTrips.filter { $0["hair"] as? String == $0["hair_source"] as? String }.count
        return [
            "hair_matches_source": Double(hairKept) / Double(max(roundTrips.count, 1)),
            "keep_psnr_db": AVEditEvaluation.number(Self.mean(roundTrips, "keep_psnr")),
            "frame_psnr_db": AVEditEvaluation.number(Self.mean(roundTrips, "frame_psnr")),
            "sync_r": AVEditEvaluation.number(Self.mean(roundTrips, "sync")),
            "sync_r_source_clip": AVEditEvaluation.number(Self.mean(roundTrips.compactMap { $0["source"] as? [String: Any] }, "sync")),
        ]
    }

    func printTable(samplers: [String], kinds: [String]) {
        func cell(_ sampler: String, _ kind: String, _ key: String) -> String {
            let (k, n) = Self.count(select(sampler, kind), key)
            return n == 0 ? "–" : "\(k)/\(n)"
        }
        func value(_ sampler: String, _ kind: String, _ key: String, _ format: String) -> String {
            let v = Self.mean(select(sampler, kind), key)
            return v.isFinite ? String(format: format, v) : "–"
        }
        say("\n| sampler | hair edits: hair = target | hair edits: beard kept | gender edits: beard = target | gender edits: hair kept | gender edits: voice toward target (mel centroid / f0) | gender edits: voice gender by f0 | pitch edits: toward target (mel / f0) | hair edits: voice centroid change, mean size | background PSNR gender / hair / pitch | luma shift | sync r | s / window (sampler) |")
        say("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for s in samplers {
            let t = timing[s] ?? (0, 0, 0, 0)
            let sync = Self.mean(rows.filter { $0["sampler"] as? String == s }, "sync")
            say("| \(s) | \(cell(s, "hair", "hair_ok")) | \(cell(s, "hair", "beard_ok")) | \(cell(s, "gender", "beard_ok")) | \(cell(s, "gender", "hair_ok")) | \(cell(s, "gender", "mel_moved_right")) / \(cell(s, "gender", "pitch_moved_right")) | \(cell(s, "gender", "voice_gender_ok")) | \(cell(s, "pitch", "mel_moved_right")) / \(cell(s, "pitch", "pitch_moved_right")) | \(value(s, "hair", "mel_change_abs_pct", "%.1f %%")) | \(value(s, "gender", "keep_psnr", "%.1f")) / \(value(s, "hair", "keep_psnr", "%.1f")) / \(value(s, "pitch", "keep_psnr", "%.1f")) dB | \(String(format: "%+.3f", Self.mean(rows.filter { $0["sampler"] as? String == s }, "luma_shift"))) | \(sync.isFinite ? String(format: "%.2f", sync) : "–") | \(String(format: "%.2f (%.2f)", t.seconds / Double(max(t.windows, 1)), t.sampler / Double(max(t.windows, 1)))) |")
        }
        let r = roundTripSummary()
        let hair = roundTrips.filter { $0["hair"] as? String == $0["hair_source"] as? String }.count
        say(String(
            format: "| round trip (no edit) | hair = source %d/%d | | | | | | | | background %.1f dB, whole frame %.1f dB | %+.3f | %.2f (source clips %.2f) | |",
            hair, roundTrips.count, (r["keep_psnr_db"] as? Double) ?? .nan, (r["frame_psnr_db"] as? Double) ?? .nan,
            Self.mean(roundTrips, "luma_shift"),
            (r["sync_r"] as? Double) ?? .nan, (r["sync_r_source_clip"] as? Double) ?? .nan))
        printPerWindow(samplers: samplers)
    }

    /// Background PSNR and brightness change by window position (first, second, …), averaged over the
    /// edits: a window that goes dark or noisy shows here. Printed for clips of more than one window.
    func printPerWindow(samplers: [String]) {
        let most = rows.map { ($0["per_window"] as? [[String: Any]])?.count ?? 0 }.max() ?? 0
        guard most > 1 else { return }
        say("\n| sampler | " + (1...most).map { "window \($0): background PSNR, luma shift" }.joined(separator: " | ") + " |")
        say("|---|" + String(repeating: "---|", count: most))
        func line(_ name: String, _ lists: [[[String: Any]]]) {
            let cells = (0..<most).map { k -> String in
                let at = lists.compactMap { $0.count > k ? $0[k] : nil }
                let p = Self.mean(at, "keep_psnr"), l = Self.mean(at, "luma_shift")
                return p.isFinite ? String(format: "%.1f dB, %+.3f", p, l) : "–"
            }
            say("| \(name) | " + cells.joined(separator: " | ") + " |")
        }
        for s in samplers {
            line(s, rows.filter { $0["sampler"] as? String == s }.compactMap { $0["per_window"] as? [[String: Any]] })
        }
        line("round trip", rows.filter { $0["sampler"] as? String == samplers.first }.compactMap { $0["per_window_roundtrip"] as? [[String: Any]] })
    }
}

/// One line to standard output at once (unbuffered, so a log file follows the run edit by edit).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
