// ofx-host concat: joins rendered pieces (image sequences or video files, in order) into one output
// and muxes a speech track in — the last step of a farm render, after every chunk has written its frames.
import ArgumentParser
import Foundation
import UserMessages
import Media
import OFXHost
import VideoIO

struct ConcatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concat",
        abstract: "Join image sequences or video files, in order, into one output (with an audio track muxed in).")

    @Option(name: .customLong("input"), help: "A piece: video file, image or sequence pattern (repeatable; joined in order).")
    var inputs: [String] = []
    @Option(help: "Output: a video file or a sequence pattern.")
    var output: String
    @Option(help: "Audio file to mux into a video output, from its start (cut to the frames).")
    var audio: String?
    @Option(help: "Frame rate of image-sequence inputs (default 24).")
    var frameRate: Double?
    @Option(help: "Bits per channel of an image-sequence output (8 or 16; default: the inputs').")
    var bitDepth: Int?

    func run() throws {
        do { try concat() } catch let e as ExitCode { throw e } catch {
            printError("ofx-host: \(UserMessage.text(error))")
            throw ExitCode(UserMessage.exitStatus(error).rawValue)
        }
    }

    private func concat() throws {
        guard !inputs.isEmpty else { throw HostError("give the pieces with --input (one or more)") }
        try checkOutputIsNotAnInput(output, inputs: inputs + (audio.map { [$0] } ?? []))
        let ext = (output as NSString).pathExtension.lowercased()
        if audio != nil, output.contains("#") || output.contains("%") || ["png", "pfm"].contains(ext) {
            throw HostError("--audio needs a video output (.mp4, .mov, .mkv); \(output) is an image sequence or image")
        }
        let sources = try inputs.map { try openFrameSource($0, frameRate: frameRate) }
        let first = sources[0]
        for (path, s) in zip(inputs, sources) where (s.width, s.height) != (first.width, first.height) {
            throw HostError("\(path) is \(s.width)×\(s.height) but \(inputs[0]) is \(first.width)×\(first.height)")
        }
        let total = sources.reduce(0) { $0 + $1.frameCount }
        if let bitDepth, ![8, 16].contains(bitDepth) { throw HostError("--bit-depth is 8 or 16") }
        let folder = (output as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let sink = try makeFrameSink(
            output, width: first.width, height: first.height, frameRate: first.frameRate, pixelAspect: first.pixelAspect,
            bitDepth: bitDepth ?? sources.map(\.sourceBitDepth).max() ?? 8)
        var completed = false
        defer { if !completed { sink.abandon() } }
        var number = first.firstFrame
        for s in sources {
            for f in s.firstFrame..<(s.firstFrame + s.frameCount) {
                try sink.write(try s.frame(f), frame: number)
                number += 1
            }
        }
        if let audio {
            let cut = try cutAudio(audio, frames: 0..<total, frameRate: first.frameRate)
            defer { try? FileManager.default.removeItem(atPath: cut) }
            try sink.finish(audioFile: cut)
        } else {
            try sink.finish(audioFile: nil)
        }
        completed = true
        print("wrote \(output): \(total) frames from \(inputs.count) piece(s)")
    }
}
