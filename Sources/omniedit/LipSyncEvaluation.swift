import ArgumentParser
import CommandLineMain
import Evaluation
import UserMessages
import Foundation
import VideoIO

/// What an example case says about its frames (the generator's `example.json`, tools/data).
struct ExampleCase: Decodable {
    struct Side: Decodable {
        let sentence: String
        let opening: [Double]
    }
    let frames: Int
    let source: Side
    let target: Side
    /// Per frame (x0, y0, x1, y1), x1 and y1 exclusive.
    let mouthBox: [[Int]]

    enum CodingKeys: String, CodingKey {
        case frames, source, target
        case mouthBox = "mouth_box"
    }
}

/// Lip-sync figures of an edited clip against its case: sync (correlation of the mouth opening
/// measured in the frames with the target's true opening), preservation outside the mouth, fidelity
/// to the ground-truth render.
struct LipSyncScores: Codable {
    var syncR: Double
    var sourceFloorR: Double
    var truthCeilingR: Double
    var psnrOutsideMouth: Double
    var psnrVsTruth: Double
    var ssimVsTruth: Double
    var psnrMouthVsTruth: Double

    enum CodingKeys: String, CodingKey {
        case syncR = "sync_r"
        case sourceFloorR = "source_floor_r"
        case truthCeilingR = "truth_ceiling_r"
        case psnrOutsideMouth = "psnr_outside_mouth_db"
        case psnrVsTruth = "psnr_vs_truth_db"
        case ssimVsTruth = "ssim_vs_truth"
        case psnrMouthVsTruth = "psnr_mouth_vs_truth_db"
    }
}

enum LipSyncEvaluation {
    /// Frames of a clip as RGBA images.
    static func load(_ path: String, count: Int) throws -> [RGBAImage] {
        let clip = try openFrameSource(path, frameRate: 25)
        guard clip.frameCount >= count else { throw CommandFailure("\(path) has \(clip.frameCount) frames, \(count) needed", status: .dataError) }
        return try (0..<count).map { try clip.frame(clip.firstFrame + $0) }
    }

    /// Mean SSIM of the luma over 8×8 windows (stride 4), constants of Wang et al. for range 1.
    static func ssim(_ a: [RGBAImage], _ b: [RGBAImage]) -> Double {
        let (c1, c2) = (0.0001, 0.0009)
        var total = 0.0, count = 0
        for (p, q) in zip(a, b) {
            for y in stride(from: 0, through: p.height - 8, by: 4) {
                for x in stride(from: 0, through: p.width - 8, by: 4) {
                    var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
                    for dy in 0..<8 {
                        for dx in 0..<8 {
                            let u = FrameMeasures.luma(p, x + dx, y + dy), v = FrameMeasures.luma(q, x + dx, y + dy)
                            sa += u
                            sb += v
                            saa += u * u
                            sbb += v * v
                            sab += u * v
                        }
                    }
                    let ma = sa / 64, mb = sb / 64
                    let va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb
                    total += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                    count += 1
                }
            }
        }
        return count == 0 ? .nan : total / Double(count)
    }

    static func scores(edited: [RGBAImage], source: [RGBAImage], truth: [RGBAImage], example: ExampleCase) -> LipSyncScores {
        let n = min(edited.count, example.mouthBox.count, example.target.opening.count)
        let target = Array(example.target.opening.prefix(n))
        func measured(_ frames: [RGBAImage]) -> [Double] {
            (0..<n).map { FrameMeasures.mouthOpening(frames[$0], box: example.mouthBox[$0]) }
        }
        func inMouth(_ f: Int, _ x: Int, _ y: Int) -> Bool {
            let b = example.mouthBox[f]
            return x >= b[0] && x < b[2] && y >= b[1] && y < b[3]
        }
        return LipSyncScores(
            syncR: Statistics.pearson(measured(edited), target), sourceFloorR: Statistics.pearson(measured(source), target),
            truthCeilingR: Statistics.pearson(measured(truth), target),
            psnrOutsideMouth: FrameMeasures.psnr(edited, source) { !inMouth($0, $1, $2) },
            psnrVsTruth: FrameMeasures.psnr(edited, truth) { _, _, _ in true }, ssimVsTruth: ssim(edited, truth),
            psnrMouthVsTruth: FrameMeasures.psnr(edited, truth) { inMouth($0, $1, $2) })
    }

    /// Rows source / edited / truth of every `step`-th frame, side by side.
    static func contactSheet(rows: [[RGBAImage]], step: Int) -> RGBAImage {
        let w = rows[0][0].width, h = rows[0][0].height
        let columns = stride(from: 0, to: rows[0].count, by: step).map { $0 }
        let gap = 2
        let width = columns.count * (w + gap) - gap, height = rows.count * (h + gap) - gap
        var pixels = [Float](repeating: 1, count: 4 * width * height)
        for (r, row) in rows.enumerated() {
            for (c, f) in columns.enumerated() where f < row.count {
                let image = row[f]
                for y in 0..<h {
                    for x in 0..<w {
                        let src = 4 * (y * image.width + x), dst = 4 * ((r * (h + gap) + y) * width + c * (w + gap) + x)
                        for k in 0..<3 { pixels[dst + k] = image.pixels[src + k] }
                        pixels[dst + 3] = 1
                    }
                }
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }
}

/// `omniedit evaluate`: scores an edited clip of a generated case and draws its contact sheet.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a LipSync result on a generated case (sync, preservation, fidelity) and draw a contact sheet.")

    @Option(help: "The case folder (example.json, clip/, truth/; Examples/ is one).")
    var example: String
    @Option(help: "The edited frames: a video or an image sequence.")
    var edited: String
    @Option(help: "Write the scores here (JSON).")
    var metrics: String?
    @Option(help: "Write a contact sheet here (PNG): source / edited / ground truth, every 4th frame.")
    var contactSheet: String?

    func run() throws {
        let example = try JSONDecoder().decode(
            ExampleCase.self, from: Data(contentsOf: URL(fileURLWithPath: self.example + "/example.json")))
        let n = example.frames
        let source = try LipSyncEvaluation.load(self.example + "/clip/face####.png", count: n)
        let truth = try LipSyncEvaluation.load(self.example + "/truth/face####.png", count: n)
        let edited = try LipSyncEvaluation.load(self.edited, count: n)
        let scores = LipSyncEvaluation.scores(edited: edited, source: source, truth: truth, example: example)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(scores)
        print(String(decoding: json, as: UTF8.self))
        if let metrics { try json.write(to: URL(fileURLWithPath: metrics)) }
        if let contactSheet {
            let sheet = LipSyncEvaluation.contactSheet(rows: [source, edited, truth], step: 4)
            let sink = try makeFrameSink(contactSheet, width: sheet.width, height: sheet.height, frameRate: 25)
            try sink.write(sheet, frame: 0)
            try sink.finish(audioFile: nil)
        }
    }
}
