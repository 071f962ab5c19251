import CommandLineMain
import Evaluation
import Foundation
import Media
import VideoIO

/// A generated AV Edit case (`case.json`, written by tools/eval/make_av_cases.py): the prompts, the
/// attributes, and the generator's labels saying where to look.
struct AVEditCase: Decodable {
    struct Attributes: Decodable {
        let gender: String
        let pitch: String
        let age: String
        let hair: String
        let beard: Bool
        let expression: String
    }
    struct Side: Decodable {
        let prompt: String
        let attrs: Attributes
    }
    struct Target: Decodable {
        let kind: String
        let prompt: String
        let attrs: Attributes
    }
    struct PythonReadings: Decodable {
        let hair: String
        let beard: Double
        let f0Hz: Double
        let syncR: Double?

        enum CodingKeys: String, CodingKey {
            case hair, beard
            case f0Hz = "f0_hz"
            case syncR = "sync_r"
        }
    }
    let format: String
    let frames: Int
    let fps: Double
    let sampleRate: Int
    let seed: UInt64
    let source: Side
    let targets: [Target]
    /// Per frame (x0, y0, x1, y1), x1 and y1 exclusive: hair, beard, skin, side, mouth.
    let boxes: [String: [[Int]]]
    /// The background is everything outside this box (sample_eval's mask).
    let headBox: [Int]
    let hairColours: [String: [Double]]
    let genderF0Hz: Double
    let pythonSource: PythonReadings

    enum CodingKeys: String, CodingKey {
        case format, frames, fps, seed, source, targets, boxes
        case sampleRate = "sample_rate"
        case headBox = "head_box"
        case hairColours = "hair_colours"
        case genderF0Hz = "gender_f0_hz"
        case pythonSource = "python_source"
    }

    /// Reads and checks a case folder's `case.json`: every size bounded, every box where it belongs.
    static func load(_ folder: String) throws -> AVEditCase {
        let path = folder + "/case.json"
        let c: AVEditCase
        do { c = try JSONDecoder().decode(AVEditCase.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw CommandFailure("\(path) is not an AV Edit case (tools/eval/make_av_cases.py): \(error)", status: .dataError)
        }
        func fail(_ m: String) -> CommandFailure { CommandFailure("\(path): \(m)", status: .dataError) }
        guard c.format == "omniedit-avedit-case/1" else { throw fail("format '\(c.format)' is not omniedit-avedit-case/1") }
        guard (1...10_000).contains(c.frames), c.fps > 0, c.fps <= 1000, (8000...192_000).contains(c.sampleRate) else {
            throw fail("frames \(c.frames), fps \(c.fps) or sample rate \(c.sampleRate) out of range")
        }
        guard !c.targets.isEmpty, c.targets.count <= 100, !c.hairColours.isEmpty, c.hairColours.values.allSatisfy({ $0.count == 3 })
        else { throw fail("needs 1–100 targets and hair colours of 3 values each") }
        for name in ["hair", "beard", "skin", "mouth"] {
            guard let b = c.boxes[name], b.count >= c.frames, b.allSatisfy({ $0.count == 4 && $0[0] < $0[2] && $0[1] < $0[3] }) else {
                throw fail("boxes.\(name) needs \(c.frames) boxes x0, y0, x1, y1 with x0 < x1, y0 < y1")
            }
        }
        guard c.headBox.count == 4 else { throw fail("head_box needs 4 numbers") }
        return c
    }

    func box(_ name: String) -> [[Int]] { Array(boxes[name]!.prefix(frames)) }
}

/// What the readers see in one output (or the source, or the round trip).
struct AVReadings {
    var hair: String
    var beard: Double
    var f0: Double
    var centroid: Double
    var sync: Double
    /// The voice's gender read from the median f0.
    var voiceGender: String
}

enum AVEditEvaluation {
    /// Reads the attributes of frames (8-bit, at the case's size) and mono audio at 16 kHz, where the case says.
    static func read(frames: [RGBAImage], audio: [Double], in c: AVEditCase) throws -> AVReadings {
        let n = min(frames.count, c.frames)
        let f = Array(frames.prefix(n))
        let skin = FrameMeasures.boxColour(f, boxes: c.box("skin"))
        let hairRGB = FrameMeasures.boxColour(f, boxes: c.box("hair"))
        let mouth = (0..<n).map { FrameMeasures.mouthOpening(f[$0], box: c.box("mouth")[$0]) }
        let envelope = AudioMeasures.envelope(audio, frames: n)
        let f0 = AudioMeasures.medianF0(audio)
        return AVReadings(
            hair: FrameMeasures.nearestColour(hairRGB, in: c.hairColours) ?? "?",
            beard: FrameMeasures.beardScore(f, beardBoxes: c.box("beard"), skin: skin, hair: hairRGB),
            f0: f0, centroid: try AudioMeasures.lowBandCentroid(audio.map(Float.init)),
            sync: Statistics.pearson(mouth, envelope, minStd: (1e-6, 1e-9)),
            voiceGender: f0 <= 0 ? "none" : f0 > c.genderF0Hz ? "woman" : "man")
    }

    /// PSNR of the background (everything outside the case's head box) against the source frames.
    static func backgroundPSNR(_ a: [RGBAImage], _ source: [RGBAImage], in c: AVEditCase) -> Double {
        let h = c.headBox
        return FrameMeasures.psnr(a, source) { _, x, y in !(x >= h[0] && x < h[2] && y >= h[1] && y < h[3]) }
    }

    /// For each window of the plan (frame numbers of the clip starting at `first`): the background PSNR of
    /// its frames and the change of their mean luma (0…1) against the source — a dark or noisy window shows.
    static func perWindow(_ frames: [RGBAImage], source: [RGBAImage], windows: [ClosedRange<Int>], first: Int, in c: AVEditCase) -> [[String: Any]] {
        windows.map { w in
            let r = max(0, w.lowerBound - first)..<min(frames.count, w.upperBound - first + 1)
            let out = Array(frames[r]), src = Array(source[r])
            return [
                "frames": "\(w.lowerBound)-\(w.upperBound)", "keep_psnr": number(backgroundPSNR(out, src, in: c)),
                "luma_shift": meanLuma(out) - meanLuma(src),
            ]
        }
    }

    static func meanLuma(_ frames: [RGBAImage]) -> Double {
        var sum = 0.0, n = 0
        for f in frames {
            for y in 0..<f.height {
                for x in 0..<f.width { sum += FrameMeasures.luma(f, x, y) }
            }
            n += f.width * f.height
        }
        return n == 0 ? .nan : sum / Double(n)
    }

    /// "12.1 dB −0.020 | 14.0 dB +0.001 | …" for a per-window list.
    static func describe(_ windows: [[String: Any]]) -> String {
        windows.map { w in
            String(format: "%@: %.1f dB, luma %+.3f", (w["frames"] as? String) ?? "?", (w["keep_psnr"] as? Double) ?? .nan,
                (w["luma_shift"] as? Double) ?? .nan)
        }.joined(separator: " | ")
    }

    /// The audio as mono doubles at 16 kHz (the readers' rate), resampled when the model's differs.
    static func mono16k(_ buffer: AudioBuffer) throws -> [Double] {
        let mono = buffer.mixedToMono()
        if mono.sampleRate == AudioMeasures.sampleRate { return mono.samples.map(Double.init) }
        return try Resampler(from: mono.sampleRate, to: AudioMeasures.sampleRate).resample(mono.samples).map(Double.init)
    }

    /// A number for JSON: nil (null) when not finite.
    static func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
}
