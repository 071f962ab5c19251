// ofx-host render / run: render from flags or from a job file.
import ArgumentParser
import CommandLineMain
import Dispatch
import Foundation
import OFXHost
import UserMessages
import VideoIO

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render frames of an input (image sequence, image or video) through an effect of a bundle.")

    @Argument(help: "The plugin bundle (NAME.ofx.bundle).")
    var bundle: String
    @Option(help: "The effect's label or identifier.")
    var effect: String
    @Option(help: "Input: a video file, an image, or a sequence pattern (frame####.png, frame%04d.pfm).")
    var input: String
    @Option(help: "Output: a video file or a sequence pattern.")
    var output: String
    @Option(help: "Frame range A-B (default: the whole input).")
    var frames: String?
    @Option(name: .customLong("set"), help: "Parameter value name=value (repeatable).")
    var sets: [String] = []
    @Option(help: "Context: filter or general (default: general if supported, as Natron).")
    var context: String?
    @Option(help: "Pixel depth handed to the plugin: byte, short or float.")
    var depth: String?
    @Option(help: "Audio file to mux into a video output.")
    var audio: String?
    @Option(help: "Frame rate of an image-sequence input (default 24).")
    var frameRate: Double?
    @Flag(help: "Hand images with negative row bytes (rows stored top-down), to test a plugin.")
    var negativeRowBytes = false

    func run() throws {
        let job = RenderJob(
            bundle: bundle, effect: effect, input: input, output: output, frames: frames, set: nil, setList: sets,
            context: context, depth: depth, audio: audio, frameRate: frameRate, negativeRowBytes: negativeRowBytes)
        try runJobs([job])
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the renders of a job file: {\"renders\": [{\"bundle\", \"effect\", \"input\", \"output\", \"frames\", \"set\": {…}, …}]}.")

    @Argument(help: "The job file (JSON). Relative paths in it are relative to its folder.")
    var jobFile: String

    func run() throws {
        try runJobs(try JobFile.read(jobFile).renders)
    }
}

/// Runs renders in order. The first Ctrl-C asks the plugin to abort (the render stops between model
/// calls and removes what it wrote); a second Ctrl-C, SIGTERM or SIGHUP removes the unfinished outputs
/// at once (RunOutputs) and exits 128 + the signal number.
/// Exit status: 0 done, 1 a render failed in the plugin, 3 the plugin misbehaved (problems found), 130
/// aborted, 64-73 a wrong command line or input (README, "Exit statuses").
func runJobs(_ jobs: [RenderJob]) throws {
    let interrupts = InterruptCount()
    RunOutputs.shared.handleSignals { number in
        if number == SIGINT, interrupts.increment() == 1 {
            FileHandle.standardError.write(Data("\nofx-host: aborting (Ctrl-C again to quit now)\n".utf8))
            HostControl.requestAbort()
            return
        }
        FileHandle.standardError.write(Data("\nofx-host: stopped by signal \(number); unfinished outputs removed\n".utf8))
        RunOutputs.shared.removeUnfinishedAndExit(128 + number)
    }
    var problems: [String] = []
    for (i, job) in jobs.enumerated() {
        let bar = ProgressBar(title: jobs.count > 1 ? "[\(i + 1)/\(jobs.count)] \(job.effect)" : job.effect)
        do {
            problems += try job.run(progress: bar)
        } catch {
            bar.finish()
            printError("ofx-host: \(UserMessage.text(error))")
            throw ExitCode(interrupts.count > 0 ? ExitStatus.interrupted.rawValue : UserMessage.exitStatus(error).rawValue)
        }
    }
    for p in problems { printError("ofx-host: plugin problem: \(p)") }
    if !problems.isEmpty { throw ExitCode(3) }
}

/// Ctrl-Cs received so far (the signal handler runs on a dispatch queue).
final class InterruptCount: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var count: Int { lock.withLock { value } }
    func increment() -> Int { lock.withLock { value += 1; return value } }
}
