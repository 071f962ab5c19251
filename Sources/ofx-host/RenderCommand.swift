// ofx-host render / run: render from flags or from a job file.
import ArgumentParser
import Dispatch
import Foundation
import OFXHost

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

    struct JobFile: Codable { var renders: [RenderJob] }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: jobFile) else { throw HostErrorExit("cannot read job file \(jobFile)") }
        let file: JobFile
        do { file = try JSONDecoder().decode(JobFile.self, from: data) } catch {
            throw HostErrorExit("job file \(jobFile) is not valid: \(error)")
        }
        let base = ((jobFile as NSString).standardizingPath as NSString).deletingLastPathComponent
        try runJobs(file.renders.map { $0.resolved(against: base.isEmpty ? "." : base) })
    }
}

/// A message and a failing exit status.
struct HostErrorExit: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs renders in order; Ctrl-C asks the plugin to abort (a second Ctrl-C quits at once).
/// Exit status: 0 done, 1 a render failed, 3 the plugin misbehaved (problems found), 130 aborted.
func runJobs(_ jobs: [RenderJob]) throws {
    signal(SIGINT, SIG_IGN)
    var interrupts = 0
    let sigint = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    sigint.setEventHandler {
        interrupts += 1
        if interrupts > 1 { exit(130) }
        FileHandle.standardError.write(Data("\nofx-host: aborting (Ctrl-C again to quit now)\n".utf8))
        HostControl.requestAbort()
    }
    sigint.resume()
    var problems: [String] = []
    for (i, job) in jobs.enumerated() {
        let bar = ProgressBar(title: jobs.count > 1 ? "[\(i + 1)/\(jobs.count)] \(job.effect)" : job.effect)
        do {
            problems += try job.run(progress: bar)
        } catch {
            bar.finish()
            printError("ofx-host: \(error)")
            throw ExitCode(interrupts > 0 ? 130 : 1)
        }
    }
    for p in problems { printError("ofx-host: plugin problem: \(p)") }
    if !problems.isEmpty { throw ExitCode(3) }
}
