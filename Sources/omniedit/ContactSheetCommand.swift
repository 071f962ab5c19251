import ArgumentParser
import CommandLineMain
import VideoIO

/// `omniedit contact-sheet`: clips side by side, one row per clip, every N-th frame (e.g. AV Edit's
/// source / edited rows in `make demo`).
struct ContactSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact-sheet", abstract: "Draw clips as rows of every N-th frame into one PNG.")

    @Option(name: .customLong("row"), help: "A clip (video or image sequence); repeat for each row, top to bottom.")
    var rows: [String] = []
    @Option(help: "Frames per row (default: the shortest clip's).")
    var frames: Int?
    @Option(help: "Every N-th frame.")
    var every: Int = 4
    @Option(help: "The PNG to write.")
    var output: String

    func run() throws {
        guard !rows.isEmpty else { throw ValidationError("give at least one --row") }
        guard every >= 1 else { throw ValidationError("--every must be ≥ 1") }
        try checkOutputIsNotAnInput(output, inputs: rows)
        let count = try frames ?? rows.map { try openFrameSource($0, frameRate: 25).frameCount }.min()!
        let clips = try rows.map { try LipSyncEvaluation.load($0, count: count) }
        guard Set(clips.map { "\($0[0].width)x\($0[0].height)" }).count == 1 else {
            throw CommandFailure("the rows' frame sizes differ; give clips of one size", status: .dataError)
        }
        let sheet = LipSyncEvaluation.contactSheet(rows: clips, step: every)
        let sink = try makeFrameSink(output, width: sheet.width, height: sheet.height, frameRate: 25)
        try sink.write(sheet, frame: 0)
        try sink.finish(audioFile: nil)
        print("wrote \(output): \(clips.count) rows of \(stride(from: 0, to: count, by: every).underestimatedCount) frames")
    }
}
