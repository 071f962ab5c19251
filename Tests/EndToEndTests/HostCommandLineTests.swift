// The `ofx-host` command line, as a user or a render farm script runs it: list, render and run a job
// file, with exit statuses and messages a script can rely on.
import Foundation
import Media
import OFXHost
import OFXTestSupport
import VideoIO
import XCTest

final class HostCommandLineTests: XCTestCase {
    static let root = OmniEditBundleTests.root

    /// Runs ofx-host; returns (exit status, stdout + stderr).
    private func host(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").run(arguments)
    }

    private func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "ofx-host-cli-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    override class func tearDown() {
        let prefix = "ofx-host-cli-\(getpid())-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + name)
        }
        OmniEditBundleTests.removeRandomModels()
        super.tearDown()
    }

    func testListShowsOurEffectsAndTheirParametersAsJSON() throws {
        let (status, out) = try host(["list", "--no-search-path", "--json", Self.root + "/build/OmniEdit.ofx.bundle"])
        XCTAssertEqual(status, 0, out)
        let list = try JSONDecoder().decode([PluginSummary].self, from: Data(out.utf8))
        XCTAssertEqual(list.map(\.label), ["LipSync", "AV Edit"])
        XCTAssertTrue(list[0].parameters?.contains { $0.name == "audioFile" && $0.type == "String" } ?? false)
    }

    func testJobFileRendersThroughAGenericPluginAndWritesEveryFrame() throws {
        let dir = try temporaryFolder()
        let bundle = try Fixtures.invertBundle.get()
        let job = """
            {"renders": [{"bundle": "\(bundle)", "effect": "Invert", "input": "\(Self.root)/Examples/clip/face####.png",
              "output": "out/inv####.png", "frames": "3-5", "set": {"amount": "1"}, "depth": "short"}]}
            """
        try job.write(toFile: dir + "/job.json", atomically: true, encoding: .utf8)
        let (status, out) = try host(["run", dir + "/job.json"])
        XCTAssertEqual(status, 0, out)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
        XCTAssertEqual(written, ["inv0003.png", "inv0004.png", "inv0005.png"])
    }

    func testVideoInVideoOutWithAMuxedAudioTrack() throws {
        let dir = try temporaryFolder()
        let bundle = try Fixtures.invertBundle.get()
        let clip = Self.root + "/Examples/clip/face####.png"
        var (status, out) = try host([
            "render", bundle, "--effect", "Invert", "--input", clip, "--frame-rate", "25", "--output", dir + "/a.mp4",
            "--audio", Self.root + "/Examples/voice.wav", "--set", "amount=0",
        ])
        XCTAssertEqual(status, 0, out)
        (status, out) = try host([
            "render", bundle, "--effect", "org.omniedit.test.Invert", "--input", dir + "/a.mp4", "--output", dir + "/b####.png",
            "--frames", "0-9", "--set", "amount=1",
        ])
        XCTAssertEqual(status, 0, out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("b") }.count, 10)
    }

    func testAFailedRenderExitsWithOneAndThePluginsMessageAndWritesNothing() throws {
        let dir = try temporaryFolder()
        let (status, out) = try host([
            "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "LipSync",
            "--input", Self.root + "/Examples/clip/face####.png", "--output", dir + "/o####.png",
            "--set", "audioFile=" + Self.root + "/Examples/voice.wav", "--frames", "1-2",
            "--set", "modelFolder=/nonexistent/model",
        ])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("Model folder '/nonexistent/model' does not exist"), out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testLipSyncRendersAVideoWithTheSpeechMuxedInAndOmnieditLipSyncGivesTheSameFrames() throws {
        let dir = try temporaryFolder()
        let model = try OmniEditBundleTests.randomModel(layout: "comfy")
        let common = [
            "--set", "steps=4", "--set", "startStep=1", "--set", "endStep=2", "--set", "windowLength=9",
            "--set", "windowOverlap=4",
        ]
        var (status, out) = try host(
            [
                "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "LipSync", "--input",
                Self.root + "/Examples/clip/face####.png", "--frame-rate", "25", "--frames", "1-20",
                "--output", dir + "/host####.png", "--set", "audioFile=" + Self.root + "/Examples/voice.wav",
                "--set", "modelFolder=" + model, "--set", "cacheFolder=" + dir + "/cache", "--set", "backend=2",
                "--depth", "byte",
            ] + common)
        XCTAssertEqual(status, 0, out)
        (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            [
                "lipsync", "--input", Self.root + "/Examples/clip/face####.png", "--frames", "1-20", "--audio",
                Self.root + "/Examples/voice.wav", "--model", model, "--output", dir + "/cli####.png",
                "--cache-folder", dir + "/cache2",
            ] + common)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("model calls"), out)
        // The same job in both: 8-bit frames equal to within one code value (the two write paths round alike
        // up to ties).
        let hostFrames = try openFrameSource(dir + "/host####.png")
        let cliFrames = try openFrameSource(dir + "/cli####.png")
        let sourceFrames = try openFrameSource(Self.root + "/Examples/clip/face####.png")
        for f in [1, 9, 20] {
            let a = try hostFrames.frame(f).pixels, b = try cliFrames.frame(f).pixels
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(worst, 1.01 / 255, "frame \(f): the plugin in ofx-host and omniedit lipsync run the same job")
            XCTAssertNotEqual(a, try sourceFrames.frame(f).pixels, "frame \(f) was edited")
        }
        // Refuses to write over its input.
        (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            ["lipsync", "--input", dir + "/cli####.png", "--audio", Self.root + "/Examples/voice.wav", "--model", model,
             "--output", dir + "/../" + (dir as NSString).lastPathComponent + "/cli####.png"])
        XCTAssertNotEqual(status, 0, out)
        XCTAssertTrue(out.contains("input"), out)
    }

    func testAVEditRendersAVideoWithTheEditedSoundMuxedInAndOmnieditAVEditWritesTheSameSound() throws {
        let dir = try temporaryFolder()
        let example = Self.root + "/Examples/avedit"
        let prompts = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: example + "/prompts.json")))
            as? [String: Any]
        let (source, target) = (try XCTUnwrap(prompts?["source"] as? String), try XCTUnwrap(prompts?["target"] as? String))
        let quick = ["steps=10", "startStep=3", "endStep=8", "guidance=4", "seed=5"]
        var (status, out) = try host(
            [
                "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "AV Edit", "--input",
                example + "/clip/face####.png", "--frame-rate", "25", "--output", dir + "/host.mp4",
                "--set", "sourcePrompt=" + source, "--set", "targetPrompt=" + target,
                "--set", "sourceAudioFile=" + example + "/source.wav", "--set", "outputAudioFile=" + dir + "/host.wav",
                "--set", "cacheFolder=" + dir + "/cache", "--set", "backend=2",
            ] + quick.flatMap { ["--set", $0] })
        XCTAssertEqual(status, 0, out)
        // The video carries the edited sound: 49 frames at 25 fps, the vocoder's stereo.
        let track = try XCTUnwrap(try readAudioTrack(dir + "/host.mp4"), "host.mp4 has no audio track")
        XCTAssertEqual(track.channels, 2)
        XCTAssertEqual(Double(track.samples.count / 2) / Double(track.sampleRate), 49.0 / 25.0, accuracy: 0.05)
        let hostSound = try AudioFile.read(dir + "/host.wav")
        XCTAssertEqual(hostSound.frameCount, 49 * 16000 / 25)

        (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            [
                "avedit", "--input", example + "/clip/face####.png", "--audio", example + "/source.wav",
                "--source-prompt", source, "--target-prompt", target, "--output", dir + "/cli####.png",
                "--output-audio", dir + "/cli.wav", "--cache-folder", dir + "/cache2",
            ] + quick.flatMap { ["--set", $0] })
        XCTAssertEqual(status, 0, out)
        let cliSound = try AudioFile.read(dir + "/cli.wav")
        XCTAssertEqual(cliSound.frameCount, hostSound.frameCount)
        let worst = zip(cliSound.samples, hostSound.samples).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThanOrEqual(worst, 1e-4, "the plugin in ofx-host and omniedit avedit run the same job")
        let source16k = try AudioFile.readMono(example + "/source.wav", sampleRate: 16000)
        XCTAssertGreaterThan(zip(hostSound.samples.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), source16k)
            .map { abs($0 - $1) }.max() ?? 0, 0.01, "the sound was edited, not passed through")
    }

    /// A clip without sound through the AV Edit effect: no 'Source audio', the sound is generated for the
    /// target prompt, muxed into the video and written to 'Output audio'; the host shows why.
    func testAVEditOnAClipWithoutSoundGeneratesItsSoundAndSaysSo() throws {
        let dir = try temporaryFolder()
        let example = Self.root + "/Examples/avedit"
        let (status, out) = try host(
            [
                "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "AV Edit", "--input",
                example + "/clip/face####.png", "--frame-rate", "25", "--output", dir + "/host.mp4",
                "--set", "sourcePrompt=a woman with blonde hair smiles and speaks quickly in a high voice",
                "--set", "targetPrompt=a man with blonde hair and a beard smiles and speaks quickly in a low voice",
                "--set", "outputAudioFile=" + dir + "/host.wav", "--set", "cacheFolder=" + dir + "/cache", "--set", "backend=2",
            ] + ["steps=10", "startStep=3", "endStep=8", "guidance=4", "seed=5"].flatMap { ["--set", $0] })
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("no sound") && out.contains("generated for the target prompt"), out)
        let track = try XCTUnwrap(try readAudioTrack(dir + "/host.mp4"), "host.mp4 has no audio track")
        XCTAssertEqual(Double(track.samples.count / track.channels) / Double(track.sampleRate), 49.0 / 25.0, accuracy: 0.05)
        let sound = try AudioFile.read(dir + "/host.wav")
        XCTAssertEqual(sound.frameCount, 49 * 16000 / 25)
        XCTAssertGreaterThan(sound.samples.map { abs($0) }.max() ?? 0, 1e-3, "a sound was generated, not silence")
    }

    func testAPromptReachesTheModelFromOfxHostAndOmnieditLipSyncAndAFolderWithoutAnEncoderSaysSo() throws {
        let dir = try temporaryFolder()
        let model = try OmniEditBundleTests.randomModel(textEncoder: true)
        let prompt = "A woman speaks to the camera in a bright room."
        let common = [
            "--frame-rate", "25", "--frames", "1-2", "--set", "steps=4", "--set", "startStep=1", "--set", "endStep=2",
            "--set", "windowLength=9", "--set", "windowOverlap=4",
        ]
        func host(_ name: String, _ extra: [String], model: String = model) throws -> (Int32, String) {
            try self.host(
                [
                    "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "LipSync", "--input",
                    Self.root + "/Examples/clip/face####.png", "--output", dir + "/\(name)####.png", "--set",
                    "audioFile=" + Self.root + "/Examples/voice.wav", "--set", "modelFolder=" + model,
                    "--set", "cacheFolder=" + dir + "/cache", "--set", "backend=2", "--depth", "byte",
                ] + common + extra)
        }
        var (status, out) = try host("prompt", ["--set", "prompt=" + prompt])
        XCTAssertEqual(status, 0, out)
        (status, out) = try host("stored", [])
        XCTAssertEqual(status, 0, out)
        (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            [
                "lipsync", "--input", Self.root + "/Examples/clip/face####.png", "--audio", Self.root + "/Examples/voice.wav",
                "--model", model, "--output", dir + "/cli####.png", "--cache-folder", dir + "/cache2", "--prompt", prompt,
            ] + common)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("prompt: 8 tokens (encoded, encoder released)"), out)
        let withPrompt = try openFrameSource(dir + "/prompt####.png")
        let stored = try openFrameSource(dir + "/stored####.png")
        let cli = try openFrameSource(dir + "/cli####.png")
        for f in [1, 2] {
            let a = try withPrompt.frame(f).pixels
            XCTAssertNotEqual(a, try stored.frame(f).pixels, "frame \(f): the prompt changes the edit")
            let worst = zip(a, try cli.frame(f).pixels).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(worst, 1.01 / 255, "frame \(f): the same prompt through the plugin and omniedit lipsync")
        }
        // No text encoder in the folder: the plugin's message, in ofx-host's output.
        (status, out) = try host("none", ["--set", "prompt=" + prompt], model: try OmniEditBundleTests.randomModel())
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("holds no umT5 or Gemma-3 text encoder") && out.contains("omniedit encode-text"), out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/none0001.png"), out)
    }

    func testARenderThatFailsHalfwayLeavesNoFramesBehind() throws {
        // 20 frames, frame 12 of another size: windows of 9 (overlap 4) render frames 1–4 from the first
        // window, then the second window (5–13) meets frame 12 and the render fails.
        let dir = try temporaryFolder()
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try "keep me".write(toFile: dir + "/out/notes.txt", atomically: true, encoding: .utf8)
        for f in 1...20 {
            let (w, h) = f == 12 ? (24, 24) : (32, 24)
            let sink = try makeFrameSink(String(format: "%@/in/f%04d.png", dir, f), width: w, height: h, frameRate: 25)
            try sink.write(RGBAImage(width: w, height: h, pixels: (0..<(w * h * 4)).map { Float(($0 * 7 + f) % 256) / 255 }), frame: f)
            try sink.finish(audioFile: nil)
        }
        let model = try OmniEditBundleTests.randomModel()
        let (status, out) = try host([
            "render", Self.root + "/build/OmniEdit.ofx.bundle", "--effect", "LipSync", "--input", dir + "/in/f####.png",
            "--frame-rate", "25", "--output", dir + "/out/o####.png", "--set", "audioFile=" + Self.root + "/Examples/voice.wav",
            "--set", "modelFolder=" + model, "--set", "windowLength=9", "--set", "windowOverlap=4", "--set", "steps=2",
            "--set", "startStep=0", "--set", "endStep=0", "--set", "cacheSizeMB=0",
        ])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("Render failed at frame 5"), out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/out"), ["notes.txt"], "only what was there before")
    }

    func testBadArgumentsAreExplained() throws {
        let bundle = Self.root + "/build/OmniEdit.ofx.bundle"
        let clip = Self.root + "/Examples/clip/face####.png"
        // Exit statuses (README, "Exit statuses"): 64 the command line, 65 the data, 66 a missing input,
        // 73 an output that cannot be made.
        let cases: [([String], Int32, String)] = [
            (["render", bundle, "--effect", "LipSync", "--input", clip], 64, "Missing expected argument '--output"),
            (["render", bundle, "--effect", "Blur", "--input", clip, "--output", "/tmp/x.png"], 64, "has no effect 'Blur'"),
            (["render", bundle, "--effect", "LipSync", "--input", "/nonexistent/a.mp4", "--output", "/tmp/x.png"], 66, "a.mp4"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png", "--set", "steps=1000"], 65, "above its maximum"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png", "--frames", "40-90"], 65, "outside the input"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png", "--frames", "9-x"], 64, "--frames takes A-B"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", Self.root + "/Examples/../Examples/clip/face####.png"],
             73, "refusing to write over an input"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x####.png", "--audio", "/nonexistent/v.wav"],
             66, "--audio: /nonexistent/v.wav: file not found"),
            (["render", bundle, "--effect", "LipSync", "--input", clip, "--output", "/tmp/x####.png", "--audio", Self.root + "/Examples/voice.wav"],
             64, "--audio needs a video output"),
            (["render", "/nonexistent/X.ofx.bundle", "--effect", "LipSync", "--input", clip, "--output", "/tmp/x.png"], 66, "not an OpenFX bundle"),
            (["run", "/nonexistent/job.json"], 66, "job file /nonexistent/job.json: no such file"),
        ]
        for (args, expected, text) in cases {
            let (status, out) = try host(args)
            XCTAssertEqual(status, expected, "\(args): \(out)")
            XCTAssertTrue(out.contains(text), "\(args): expected '\(text)' in: \(out)")
            XCTAssertFalse(out.contains("Error Domain") || out.contains("DecodingError"), out)
        }
    }

    func testAJobFileThatIsWrongIsADataErrorNamingTheFieldNotAFoundationDump() throws {
        let dir = try temporaryFolder()
        let cases: [(String, String)] = [
            (#"{"renders": [{"bundle": "b", "effect": 3, "input": "i", "output": "o"}]}"#, "field 'renders[0].effect' must be text"),
            (#"{"renders": [{"bundle": "b", "input": "i", "output": "o"}]}"#, "field 'renders[0].effect' is missing"),
            (#"{"renders": [{"bundle": "b", "#, "not valid JSON"),
            (#"{"renders": [{"bundle": "\#(Self.root)/build/OmniEdit.ofx.bundle", "effect": "LipSync", "input": "\#(Self.root)/Examples/clip/face####.png", "output": "o.png", "frames": "x"}]}"#,
             "job file: --frames takes A-B"),
        ]
        for (i, (json, expected)) in cases.enumerated() {
            try json.write(toFile: dir + "/job\(i).json", atomically: true, encoding: .utf8)
            let (status, out) = try host(["run", dir + "/job\(i).json"])
            XCTAssertEqual(status, 65, out)
            XCTAssertTrue(out.contains(expected), "expected '\(expected)' in: \(out)")
            XCTAssertFalse(out.contains("Usage:") || out.contains("Error Domain") || out.contains("CodingKeys"), out)
        }
    }

    /// Starts a slow render (a quarter of a second a frame) of `output`, waits until it has written what
    /// `started` looks for in `dir`, sends `signals` and returns the exit status.
    private func interruptedRender(output: String, in dir: String, signals: [Int32], started: (String) -> Bool) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").path)
        p.arguments = [
            "render", try Fixtures.invertBundle.get(), "--effect", "Invert", "--input", Self.root + "/Examples/clip/face####.png",
            "--frame-rate", "25", "--output", output, "--set", "misbehave=slow",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, p.isRunning,
              !((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains(where: started) {
            usleep(20_000)
        }
        XCTAssertTrue(p.isRunning, "the render must still be running when signalled")
        for s in signals {
            kill(p.processIdentifier, s)
            usleep(50_000)
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    func testASecondCtrlCOrSIGTERMOrSIGHUPStillRemovesWhatTheRenderWrote() throws {
        for (signals, status) in [([SIGINT, SIGINT], Int32(130)), ([SIGTERM], 143), ([SIGHUP], 129)] {
            // An image sequence: the frames written so far go.
            var dir = try temporaryFolder()
            try "keep me".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
            var code = try interruptedRender(output: dir + "/o####.png", in: dir, signals: signals) { $0.hasPrefix("o0002") }
            XCTAssertEqual(code, status, "\(signals)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["notes.txt"], "\(signals): only what was there before")
            // A video: the hidden .partial file goes.
            dir = try temporaryFolder()
            code = try interruptedRender(output: dir + "/o.mp4", in: dir, signals: signals) { $0.contains(".partial") }
            XCTAssertEqual(code, status, "\(signals)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "\(signals)")
        }
    }

    /// Asking for help is not an error: `--help`, `help <command>` and `<command> --help` print usage
    /// and exit 0 for every subcommand; an unknown option is a usage error (64).
    func testHelpExitsZeroForEverySubcommandAndAnUnknownOptionIs64() throws {
        XCTAssertEqual(try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").helpProblems(known: "render"), [])
    }
}
