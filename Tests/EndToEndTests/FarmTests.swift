// Render-farm scale: a 5-window clip rendered in window-aligned chunks by separate processes — one
// after another, at once, with one chunk killed (SIGKILL) and resubmitted, as a Slurm job array on a
// one-node cluster, as an Open Job Description job — gives byte for byte the frames of one render,
// computes no window twice when chunks run in turn, and leaves no cache entry that reads as valid
// but is not.
import Foundation
import OFXHost
import OFXTestSupport
@testable import Pipeline
import XCTest

final class FarmTests: XCTestCase {
    static let root = OmniEditBundleTests.root
    static let bundle = ProcessInfo.processInfo.environment["OMNIEDIT_BUNDLE"] ?? root + "/build/OmniEdit.ofx.bundle"
    static let voice = root + "/Examples/voice.wav"
    /// Windows of 9 frames, overlap ≥ 4, over the 29-frame clip (1–29): 1–9, 6–14, 11–19, 16–24, 21–29.
    static let settings = [
        "windowLength=9", "windowOverlap=4", "steps=4", "startStep=1", "endStep=3", "seed=5",
    ]
    static let folder = NSTemporaryDirectory() + "omniedit-farm-\(getpid())"

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
        OmniEditBundleTests.removeRandomModels()
        super.tearDown()
    }

    private func omniedit(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(arguments)
    }

    private func host(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").run(arguments)
    }

    private static func sets(_ extra: [String] = []) -> [String] { (settings + extra).flatMap { ["--set", $0] } }

    /// The first 29 frames of the example clip as a sequence of their own (windows follow a whole input).
    static let clip: Result<String, Error> = Result {
        let dir = folder + "/clip"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in 1...29 {
            let name = String(format: "face%04d.png", f)
            try FileManager.default.copyItem(atPath: root + "/Examples/clip/" + name, toPath: dir + "/" + name)
        }
        return dir + "/face####.png"
    }

    private func fresh(_ name: String) throws -> String {
        let dir = Self.folder + "/" + name
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// File name → bytes of every file in `dir` whose name starts with `prefix`.
    private func files(_ dir: String, prefix: String = "e") throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix(prefix) && name.hasSuffix(".png") {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    /// Every entry in a cache folder is whole and passes its checksum; returns how many there are.
    @discardableResult
    private func checkEntries(_ cache: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        var count = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) where name.hasSuffix(".oec") {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cache + "/" + name)))
            XCTAssertNotNil(DiskCache.payload(of: bytes), "cache entry \(name) is damaged", file: file, line: line)
            count += 1
        }
        return count
    }

    /// Runs `command` with /bin/sh and waits for it with waitpid; returns its exit status and output.
    /// (Foundation's Process can wait forever on a shell whose children turn into daemons, as Slurm's do.)
    static func sh(_ command: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> (status: Int32, output: String)
    {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = folder + "/sh-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let arguments = ["/bin/sh", "-c", "(\(command)) > '\(log)' 2>&1 < /dev/null"]
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { for p in cArguments + cEnvironment { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw HostError("cannot start /bin/sh: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw HostError("waitpid failed: errno \(errno)") }
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let signal = status & 0x7f
        return (signal == 0 ? (status >> 8) & 0xff : 128 + signal, output)
    }

    // MARK: The plan

    func testThePlanIsTheSameFromOmnieditAndFromTheHostAndExplainsTooManyChunks() throws {
        let args = ["--frames", "0-1199", "--effect", "LipSync", "--set", "windowLength=97", "--set", "windowOverlap=16", "--chunks", "4"]
        let (s1, fromTool) = try omniedit(["plan"] + args)
        XCTAssertEqual(s1, 0, fromTool)
        let (s2, fromHost) = try host(["plan", Self.bundle] + args)
        XCTAssertEqual(s2, 0, fromHost)
        XCTAssertEqual(fromTool, fromHost, "omniedit reads LipSync's window plan, ofx-host the plugin's frames-needed answers")
        let plan = try JSONSerialization.jsonObject(with: Data(fromTool.utf8)) as? [String: Any]
        let chunks = plan?["chunks"] as? [[String: Any]] ?? []
        XCTAssertEqual(chunks.map { ($0["windows"] as? [Int])?.count }, [3, 4, 4, 4])
        XCTAssertEqual(chunks.map { ($0["borrows"] as? [Int])?.count }, [1, 1, 1, 0])
        XCTAssertEqual(chunks.first?["first"] as? Int, 0)
        XCTAssertEqual(chunks.last?["last"] as? Int, 1199)
        let (s3, line) = try host(["plan", Self.bundle] + args + ["--chunk", "2", "--format", "ranges"])
        XCTAssertEqual(s3, 0, line)
        XCTAssertEqual(line.trimmingCharacters(in: .whitespacesAndNewlines), "\(chunks[1]["first"]!)-\(chunks[1]["last"]!)")
        for fromHost in [false, true] {
            let prefix = fromHost ? ["plan", Self.bundle] : ["plan"]
            let (status, out) = try (fromHost ? host : omniedit)(prefix + ["--frames", "0-19", "--effect", "LipSync", "--set", "windowLength=9", "--set", "windowOverlap=4", "--chunks", "5"])
            XCTAssertNotEqual(status, 0, out)
            XCTAssertTrue(out.contains("each chunk owns whole windows"), out)
        }
    }

    // MARK: Separate processes on one cache folder

    /// Chunk renders with `omniedit lipsync` (the plugin's job, with model-call figures) on the random model.
    private func chunkArguments(model: String, range: String?, output: String, cache: String, stats: String) throws -> [String] {
        ["lipsync", "--input", try Self.clip.get(), "--audio", Self.voice, "--model", model, "--output", output + "/e####.png",
         "--cache-folder", cache, "--stats", stats] + (range.map { ["--frames", $0] } ?? []) + Self.sets()
    }

    private func calls(_ stats: String) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any]
        return json?["modelCalls"] as? Int ?? -1
    }

    private func start(_ arguments: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").path)
        p.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func testChunksInSeparateProcessesGiveTheFramesOfOneRenderAndAKilledChunkResumes() throws {
        let model = try OmniEditBundleTests.randomModel()
        let clip = try Self.clip.get()
        let (ps, plan) = try omniedit(["plan", "--input", clip, "--chunks", "3", "--format", "ranges", "--model", model] + Self.sets())
        XCTAssertEqual(ps, 0, plan)
        let ranges = plan.split(separator: "\n").map(String.init)
        XCTAssertEqual(ranges, ["1-9", "10-19", "20-29"], "windows 0 | 1 2 | 3 4, each chunk to the end of its last window")

        // One render.
        let single = try fresh("single")
        var (status, out) = try omniedit(
            try chunkArguments(model: model, range: nil, output: single, cache: single + "/cache", stats: single + "/stats.json"))
        XCTAssertEqual(status, 0, out)
        let reference = try files(single)
        XCTAssertEqual(reference.count, 29)
        let total = try calls(single + "/stats.json")
        XCTAssertEqual(total % 5, 0, "5 windows, the same calls each")
        let perWindow = total / 5

        // Three chunks one after another, in reverse order, on one cache: no window computed twice.
        let inTurn = try fresh("in-turn")
        var sum = 0
        for (k, range) in ranges.enumerated().reversed() {
            (status, out) = try omniedit(
                try chunkArguments(model: model, range: range, output: inTurn, cache: inTurn + "/cache", stats: inTurn + "/s\(k).json"))
            XCTAssertEqual(status, 0, out)
            sum += try calls(inTurn + "/s\(k).json")
        }
        XCTAssertEqual(sum, total, "chunks run in turn compute each window once")
        XCTAssertEqual(try files(inTurn), reference, "byte-identical frames")

        // Three chunks at once in three processes: at most one extra window per boundary.
        let together = try fresh("concurrent")
        let processes = try ranges.enumerated().map { k, range in
            try start(
                try chunkArguments(model: model, range: range, output: together, cache: together + "/cache", stats: together + "/s\(k).json"),
                log: together + "/log\(k).txt")
        }
        for p in processes { p.waitUntilExit() }
        XCTAssertEqual(processes.map(\.terminationStatus), [0, 0, 0])
        sum = try (0..<3).reduce(0) { $0 + (try calls(together + "/s\($1).json")) }
        XCTAssertGreaterThanOrEqual(sum, total)
        XCTAssertLessThanOrEqual(sum, total + 2 * perWindow, "concurrent chunks: at most one extra window per boundary")
        XCTAssertEqual(try files(together), reference, "byte-identical frames")
        try checkEntries(together + "/cache")

        // Chunk 2 killed mid-window (SIGKILL, once its first step state is stored), then resubmitted.
        let killed = try fresh("killed")
        let cache = killed + "/cache"
        let victim = try start(
            try chunkArguments(model: model, range: ranges[1], output: killed, cache: cache, stats: killed + "/s-killed.json"),
            log: killed + "/log.txt")
        let deadline = Date().addingTimeInterval(120)
        while victim.isRunning, Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []
            if names.contains(where: { $0.hasPrefix("step-") }) { break }
            usleep(5_000)
        }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        XCTAssertEqual(victim.terminationReason, .uncaughtSignal, "the chunk was killed before it finished")
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed + "/s-killed.json"))
        XCTAssertGreaterThan(try checkEntries(cache), 0, "the steps it stored are whole")
        (status, out) = try omniedit(
            try chunkArguments(model: model, range: ranges[1], output: killed, cache: cache, stats: killed + "/s-resumed.json"))
        XCTAssertEqual(status, 0, out)
        XCTAssertLessThan(try calls(killed + "/s-resumed.json"), 3 * perWindow, "resumed from the stored steps")
        try checkEntries(cache)
        let chunkFrames = try files(killed)
        XCTAssertEqual(chunkFrames.count, 10)
        for (name, bytes) in chunkFrames { XCTAssertEqual(bytes, reference[name], "\(name) after the resubmission") }
    }

    // MARK: Farm managers (built-in model, through ofx-host and the plugin)

    /// One ofx-host render of the clip and its joined mp4 with the speech: what every farm run must equal.
    static let hostReference: Result<(frames: String, movie: String), Error> = Result {
        let dir = folder + "/host-single"
        try FileManager.default.createDirectory(atPath: dir + "/frames", withIntermediateDirectories: true)
        let host = try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host")
        var (status, out) = try host.run(
            ["render", bundle, "--effect", "LipSync", "--input", try clip.get(), "--frame-rate", "25",
             "--output", dir + "/frames/edited######.png", "--depth", "float", "--set", "audioFile=" + voice,
             "--set", "cacheFolder=" + dir + "/cache"] + sets())
        guard status == 0 else { throw HostError("single render failed: \(out)") }
        (status, out) = try host.run(
            ["concat", "--input", dir + "/frames/edited######.png", "--frame-rate", "25", "--output", dir + "/single.mp4",
             "--audio", voice])
        guard status == 0 else { throw HostError("concat failed: \(out)") }
        return (dir + "/frames", dir + "/single.mp4")
    }

    private func checkEqualsTheSingleRender(frames: String, movie: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try Self.hostReference.get()
        let expected = try files(reference.frames, prefix: "edited")
        XCTAssertEqual(expected.count, 29, file: file, line: line)
        XCTAssertEqual(try files(frames, prefix: "edited"), expected, "byte-identical frames", file: file, line: line)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: movie)), try Data(contentsOf: URL(fileURLWithPath: reference.movie)),
            "the joined movie with its audio", file: file, line: line)
    }

    func testSlurmRendersTheChunksAsAJobArrayAndJoinsThemIntoTheSingleRender() throws {
        guard getuid() == 0 else {
            throw XCTSkip(
                "the Slurm test starts munged, slurmctld and slurmd on this machine, which needs root (slurmd starts jobs as their owner); `make test` as root runs it, as CI does")
        }
        let dir = try fresh("slurm")
        let cluster = dir + "/cluster"
        let script = Self.root + "/tools/farm/local_slurm.sh"
        let (startStatus, started) = try Self.sh("'\(script)' start '\(cluster)'")
        defer { _ = try? Self.sh("'\(script)' stop '\(cluster)'") }
        guard startStatus == 0, started.contains("SLURM_CONF=") else {
            XCTFail("no one-node Slurm could start (Debian's slurm-wlm and munge are in the Makefile's APT_PACKAGES: `make deps`): \(started)")
            return
        }
        var environment = ProcessInfo.processInfo.environment
        environment["SLURM_CONF"] = cluster + "/slurm.conf"
        environment["OFX_HOST"] = try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").path
        environment["OMNIEDIT_BUNDLE"] = Self.bundle
        let command = ["'\(Self.root)/Examples/farm/slurm_lipsync.sh'", "--chunks", "3", "--input", "'\(try Self.clip.get())'",
                       "--frame-rate", "25", "--audio", "'\(Self.voice)'", "--output", "'\(dir)/out/lipsync.mp4'",
                       "--cache", "'\(dir)/cache'", "--wait"] + Self.sets().map { "'\($0)'" }
        let (status, out) = try Self.sh(command.joined(separator: " "), environment: environment)
        guard status == 0 else {
            let logs = (try? Self.sh("tail -n 20 '\(dir)'/out/lipsync.mp4.farm/logs/*.log"))?.output ?? ""
            XCTFail("slurm_lipsync.sh failed (\(status)): \(out)\n\(logs)")
            return
        }
        XCTAssertTrue(out.contains("3 chunk(s) as job array"), out)
        try checkEqualsTheSingleRender(frames: dir + "/out/lipsync.mp4.farm/frames", movie: dir + "/out/lipsync.mp4")
        // Each array task logged its own range on the node.
        for (k, range) in ["1-9", "10-19", "20-29"].enumerated() {
            let log = try String(contentsOfFile: dir + "/out/lipsync.mp4.farm/logs/chunk-\(k + 1).log", encoding: .utf8)
            XCTAssertTrue(log.contains("chunk \(k + 1): frames \(range)"), log)
        }
        try checkEntries(dir + "/cache")
    }

    func testTheOpenJobDescriptionTemplateValidatesAndRunsWithOpenjd() throws {
        let openjd = ProcessInfo.processInfo.environment["OMNIEDIT_OPENJD"] ?? Self.root + "/.build/farm-venv/bin/openjd"
        guard FileManager.default.isExecutableFile(atPath: openjd) else {
            XCTFail("no openjd at \(openjd): `make farm-tools` installs openjd-cli (Examples/farm/requirements.txt) into .build/farm-venv")
            return
        }
        let template = Self.root + "/Examples/farm/lipsync.openjd.yaml"
        XCTAssertTrue(try Fixtures.shell("'\(openjd)' check '\(template)' 2>&1").contains("passes validation"))
        let dir = try fresh("openjd")
        let hostPath = try BuiltTool(environment: "OMNIEDIT_OFX_HOST", name: "ofx-host").path
        let params = [
            "OfxHost=\(hostPath)", "Bundle=\(Self.bundle)", "Input=\(try Self.clip.get())", "FrameRate=25",
            "Audio=\(Self.voice)", "Output=\(dir)/out/lipsync.mp4", "CacheFolder=\(dir)/cache", "Chunks=3",
            "Settings=\(Self.settings.joined(separator: " "))",
        ]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: openjd)
        p.arguments = ["run", template, "--step", "Join", "--run-dependencies"] + params.flatMap { ["-p", $0] }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, log)
        for k in 1...3 { XCTAssertTrue(log.contains("Chunk=\(k)") || log.contains("chunk \(k): frames"), "task \(k) ran:\n\(log)") }
        try checkEqualsTheSingleRender(frames: dir + "/out/lipsync.mp4.farm/frames", movie: dir + "/out/lipsync.mp4")
        try checkEntries(dir + "/cache")
    }
}
