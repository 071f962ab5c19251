// The built OmniEdit bundle inside hosts: it loads in a process that has never seen Swift, exports
// only the OpenFX entry points, describes both effects with the public parameter names, instantiates
// in both contexts, takes parameter values, and fails a render cleanly while no model is installed.
import COpenFX
import Foundation
import OFXHost
import OFXTestSupport
import XCTest

final class OmniEditBundleTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private var bundle: String {
        get throws {
            let path = ProcessInfo.processInfo.environment["OMNIEDIT_BUNDLE"] ?? Self.root + "/build/OmniEdit.ofx.bundle"
            guard FileManager.default.fileExists(atPath: path + "/Contents/Linux-x86-64/OmniEdit.ofx") else {
                throw HostError("no bundle at \(path): run `make test`, which builds it before the tests")
            }
            return path
        }
    }
    private var binaryPath: String { get throws { try bundle + "/Contents/Linux-x86-64/OmniEdit.ofx" } }

    private func shell(_ command: String, environment: [String: String]? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        if let environment { p.environment = environment }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw HostError("`\(command)` failed (\(p.terminationStatus)): \(text)") }
        return text
    }

    func testBundleLayoutHasBinaryAndAnIconPairPerEffect() throws {
        let b = try bundle
        for id in ["org.omniedit.LipSync", "org.omniedit.AVEdit"] {
            let png = try XCTUnwrap(FileManager.default.contents(atPath: "\(b)/Contents/Resources/\(id).png"), id)
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            // IHDR: 128 × 128, 8-bit RGBA (colour type 6).
            XCTAssertEqual(Array(png[16..<26]), [0, 0, 0, 128, 0, 0, 0, 128, 8, 6])
            let svg = try String(contentsOfFile: "\(b)/Contents/Resources/\(id).svg", encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<svg"))
        }
    }

    func testBinaryLoadsInAProcessThatHasNeverSeenSwift() throws {
        let binary = try binaryPath
        let ldd = try shell("ldd '\(binary)'")
        XCTAssertFalse(ldd.contains("not found"), ldd)
        XCTAssertFalse(ldd.lowercased().contains("swift"), "the toolchain must not be needed at run time:\n\(ldd)")
        let loader = NSTemporaryDirectory() + "omniedit-loader-\(getpid())"
        _ = try shell("cc -O1 -I '\(Self.root)/include' '\(Self.root)/Tests/EndToEndTests/Fixtures/loader.c' -o '\(loader)' -ldl")
        // No LD_LIBRARY_PATH, no toolchain folder: a plain C process.
        let out = try shell("'\(loader)' '\(binary)'", environment: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(out, "OfxImageEffectPluginAPI 1 org.omniedit.LipSync 1.0\nOfxImageEffectPluginAPI 1 org.omniedit.AVEdit 1.0\n")
    }

    func testOnlyTheOpenFXEntryPointsAreExported() throws {
        let symbols = try shell("nm -D --defined-only '\(try binaryPath)'")
            .split(separator: "\n").map { $0.split(separator: " ") }
            .filter { $0.count == 3 && "TDBRVWi".contains($0[1]) }.map { String($0[2]) }
        XCTAssertEqual(symbols.sorted(), ["OfxGetNumberOfPlugins", "OfxGetPlugin"])
    }

    func testDescribesBothEffectsWithThePublicParameterNames() throws {
        let binary = try PluginBinary(bundle: try bundle)
        XCTAssertEqual(binary.plugins.map(\.identifier), ["org.omniedit.LipSync", "org.omniedit.AVEdit"])
        XCTAssertTrue(binary.plugins.allSatisfy { $0.api == "OfxImageEffectPluginAPI" && $0.apiVersion == 1 && $0.version == (1, 0) })
        let lip = try binary.plugins[0].summary(parameters: true)
        let av = try binary.plugins[1].summary(parameters: true)
        XCTAssertEqual([lip.label, av.label], ["LipSync", "AV Edit"])
        for s in [lip, av] {
            XCTAssertEqual(s.grouping, "OmniEdit")
            XCTAssertEqual(s.version, "1.0")
            XCTAssertEqual(s.contexts, [kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral])
            XCTAssertEqual(s.depths, [kOfxBitDepthFloat, kOfxBitDepthShort, kOfxBitDepthByte])
        }
        let valued: (PluginSummary) -> [String] = { s in
            (s.parameters ?? []).filter { !["Group", "Page"].contains($0.type) }.map(\.name)
        }
        XCTAssertEqual(valued(lip), [
            "audioFile", "audioOffset", "sourceAudioFile", "modelFolder", "prompt", "steps", "startStep", "endStep", "guidance", "shift",
            "seed", "windowLength", "windowOverlap", "referenceMode", "referenceFrame", "backend", "previewStep",
            "cacheSizeMB", "cacheFolder", "clearCache", "cpuPrecision", "sampler", "stepCacheThreshold", "composite",
        ])
        XCTAssertEqual(valued(av), [
            "sourcePrompt", "targetPrompt", "sourceAudioFile", "audioOffset", "outputAudioFile", "modelFolder", "steps",
            "startStep", "endStep", "guidance", "seed", "windowLength", "windowOverlap", "backend", "previewStep",
            "cacheSizeMB", "cacheFolder", "clearCache", "cpuPrecision", "sampler", "stepCacheThreshold", "composite",
        ])
        let defaults = Dictionary(uniqueKeysWithValues: (lip.parameters ?? []).map { ($0.name, $0.defaultValue) })
        XCTAssertEqual(defaults["steps"], "20")
        XCTAssertEqual(defaults["startStep"], "6")
        XCTAssertEqual(defaults["endStep"], "16")
        XCTAssertEqual(defaults["guidance"], "4.5")
        XCTAssertEqual(defaults["shift"], "5.0")
        // Step caching is off unless asked for, in both effects.
        XCTAssertEqual(defaults["stepCacheThreshold"], "0.0")
        let avDefaults = Dictionary(uniqueKeysWithValues: (av.parameters ?? []).map { ($0.name, $0.defaultValue) })
        XCTAssertEqual([avDefaults["steps"], avDefaults["startStep"], avDefaults["endStep"], avDefaults["guidance"]], ["40", "12", "39", "10.0"])
        XCTAssertEqual(avDefaults["stepCacheThreshold"], "0.0")
        for p in (lip.parameters ?? []) + (av.parameters ?? []) where !["Group", "Page"].contains(p.type) {
            XCTAssertFalse(p.hint.isEmpty, "parameter \(p.name) needs a hint")
            XCTAssertFalse(p.label.isEmpty, "parameter \(p.name) needs a label")
        }
    }

    func testInstantiatesInBothContextsAndTakesParameterValues() throws {
        let binary = try PluginBinary(bundle: try bundle)
        let clip = ClipInput(width: 16, height: 8, frames: 0...9, frameRate: 25, pixelAspect: 1) { _ in
            FrameBuffer(width: 16, height: 8, pixels: [Float](repeating: 0.5, count: 16 * 8 * 4))
        }
        for plugin in binary.plugins {
            for context in [kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral] {
                let session = try RenderSession(
                    plugin: plugin, input: clip,
                    request: RenderRequest(context: context, parameters: [("seed", "42"), ("backend", "CPU"), ("sampler", "FlowEdit baseline"), ("clearCache", "")]))
                XCTAssertEqual(session.context, context)
                XCTAssertEqual(session.instance.paramSet.param("seed")?.value, .ints([42]))
                XCTAssertEqual(session.instance.paramSet.param("backend")?.value, .ints([2]))
                XCTAssertEqual(session.diagnostics.problems, [], "\(plugin.identifier) in \(context)")
                session.close()
            }
        }
    }

    func testRenderFailsCleanlyWithAMessageOnBadInput() throws {
        let binary = try PluginBinary(bundle: try bundle)
        let wav = NSTemporaryDirectory() + "omniedit-e2e-\(getpid()).wav"
        _ = FileManager.default.createFile(atPath: wav, contents: Data("RIFF".utf8))
        let model = try Self.randomModel()
        let clip = ClipInput(width: 16, height: 8, frames: 0...3, frameRate: 25, pixelAspect: 1) { _ in
            FrameBuffer(width: 16, height: 8, pixels: [Float](repeating: 0.5, count: 16 * 8 * 4))
        }
        let cases: [(LoadedPlugin, [(name: String, value: String)], String)] = [
            (binary.plugins[0], [], "set 'Target audio'"),
            (binary.plugins[0], [("audioFile", "/nonexistent/voice.wav")], "does not exist"),
            // The text reaches the host intact, conversions and all (it is passed as an escaped format).
            (binary.plugins[0], [("audioFile", "/nonexistent/100%s%n%d.wav")], "/nonexistent/100%s%n%d.wav' does not exist"),
            (binary.plugins[0], [("audioFile", wav), ("modelFolder", "/nonexistent/model")], "Model folder '/nonexistent/model' does not exist"),
            (binary.plugins[0], [("audioFile", wav), ("modelFolder", model)], "cannot read the audio file"),
            (binary.plugins[0], [("audioFile", wav), ("modelFolder", model), ("prompt", "A woman speaks.")], "omniedit encode-text"),
            (binary.plugins[0], [("audioFile", wav), ("startStep", "12"), ("endStep", "8")], "'End step' (8) must not be below"),
            (binary.plugins[0], [("audioFile", wav), ("endStep", "20")], "'endStep' (20) must be between"),
            (binary.plugins[1], [("sourcePrompt", "a dog"), ("targetPrompt", "a cat"), ("sourceAudioFile", "/nonexistent/sound.wav")],
             "'/nonexistent/sound.wav' does not exist"),
            (binary.plugins[1], [("targetPrompt", "a cat"), ("sourceAudioFile", wav)], "'sourcePrompt' is empty"),
            // The same file under another spelling is still the source (compared by identity, not by text).
            (binary.plugins[1], [("sourcePrompt", "a"), ("targetPrompt", "x"), ("sourceAudioFile", wav),
                                 ("outputAudioFile", (wav as NSString).deletingLastPathComponent + "/./" + (wav as NSString).lastPathComponent)],
             "must not be the source audio"),
            (binary.plugins[1], [("sourcePrompt", "a"), ("targetPrompt", "x"), ("sourceAudioFile", wav), ("modelFolder", "/nonexistent/model")],
             "Model folder '/nonexistent/model' does not exist"),
        ]
        for (plugin, params, expected) in cases {
            let session = try RenderSession(plugin: plugin, input: clip, request: RenderRequest(parameters: params))
            var frames = 0
            XCTAssertThrowsError(try session.render(frames: 1...2) { _, _ in frames += 1 }) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(plugin.identifier) \(params): \(error)")
                XCTAssertTrue("\(error)".contains("kOfxStatFailed"), "\(error)")
            }
            XCTAssertEqual(frames, 0, "no frame may be produced from bad input")
            XCTAssertEqual(session.diagnostics.problems, [])
            XCTAssertNotNil(session.diagnostics.persistentError)
            session.close()
        }
    }

    override class func tearDown() {
        removeRandomModels()
        super.tearDown()
    }

    /// Deletes the folders `randomModel` wrote in this process (tests leave nothing in /tmp).
    static func removeRandomModels() {
        let prefix = "omniedit-e2e-model-\(getpid())-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + name)
        }
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "omniedit-e2e-\(getpid()).wav")
    }

    /// A tiny random-weight HuMo folder written by `omniedit make-test-model` (once per test run).
    /// With `textEncoder`, a random umT5 and the Text tests' SentencePiece tokenizer are added (prompts work).
    static func randomModel(layout: String = "humo", textEncoder: Bool = false) throws -> String {
        let dir = NSTemporaryDirectory() + "omniedit-e2e-model-\(getpid())-\(layout)\(textEncoder ? "-text" : "")"
        if !FileManager.default.fileExists(atPath: dir + "/omniedit.json") {
            let tokenizer = root + "/Tests/TextTests/Fixtures/tokenizers/umt5_unigram/spiece.model"
            let (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
                ["make-test-model", "--output", dir, "--layout", layout] + (textEncoder ? ["--text-tokenizer", tokenizer] : []))
            guard status == 0 else { throw NSError(domain: "make-test-model", code: Int(status), userInfo: [NSLocalizedDescriptionKey: out]) }
        }
        return dir
    }

    func testLipSyncRendersAMultiWindowClipInTheHostInAnyFrameOrder() throws {
        let binary = try PluginBinary(bundle: try bundle)
        let model = try Self.randomModel()
        let wav = Self.root + "/Examples/voice.wav"
        let clip = ClipInput(width: 40, height: 24, frames: 0...19, frameRate: 25, pixelAspect: 1) { f in
            FrameBuffer(
                width: 40, height: 24,
                pixels: (0..<(40 * 24 * 4)).map { i in i % 4 == 3 ? 1 : Float(0.5 + 0.4 * sin(Double(i / 4 + f) * 0.37 + Double(i % 4))) })
        }
        func renderAll(_ order: [Int], cache: String) throws -> [Int: [Float]] {
            let session = try RenderSession(
                plugin: binary.plugins[0], input: clip,
                request: RenderRequest(parameters: [
                    ("audioFile", wav), ("modelFolder", model), ("steps", "4"), ("startStep", "1"), ("endStep", "2"),
                    ("windowLength", "9"), ("windowOverlap", "4"), ("cacheFolder", cache), ("backend", "2"),
                ]))
            defer { session.close() }
            var out: [Int: [Float]] = [:]
            for f in order { try session.render(frames: f...f) { frame, buffer in out[frame] = buffer.pixels } }
            XCTAssertEqual(session.diagnostics.problems, [])
            return out
        }
        let cacheA = NSTemporaryDirectory() + "omniedit-e2e-cache-\(UUID().uuidString)"
        let cacheB = NSTemporaryDirectory() + "omniedit-e2e-cache-\(UUID().uuidString)"
        defer { for c in [cacheA, cacheB] { try? FileManager.default.removeItem(atPath: c) } }
        let inOrder = try renderAll(Array(0...19), cache: cacheA)
        let reversed = try renderAll(Array((0...19).reversed()), cache: cacheB)
        XCTAssertEqual(inOrder.count, 20)
        for f in 0...19 { XCTAssertEqual(inOrder[f], reversed[f], "frame \(f)") }
        // The edit changed pixels, and alpha passed through.
        let source = try clip.provider(7)!.pixels
        XCTAssertNotEqual(inOrder[7], source)
        XCTAssertEqual(stride(from: 3, to: source.count, by: 4).map { inOrder[7]![$0] }, stride(from: 3, to: source.count, by: 4).map { source[$0] })
    }

    func testFramesNeededCoverTheWindowOfTheFrame() throws {
        // GetFramesNeeded asks for every window containing the frame.
        // plugin asked for. Windows of 9 frames, overlap ≥ 4, over 0…19: 0…8, 4…12, 7…15, 11…19.
        let binary = try PluginBinary(bundle: try bundle)
        let clip = ClipInput(width: 8, height: 8, frames: 0...19, frameRate: 25, pixelAspect: 1) { _ in
            FrameBuffer(width: 8, height: 8, pixels: [Float](repeating: 0, count: 8 * 8 * 4))
        }
        let session = try RenderSession(
            plugin: binary.plugins[0], input: clip,
            request: RenderRequest(parameters: [("windowLength", "9"), ("windowOverlap", "4")]))
        defer { session.close() }
        XCTAssertEqual(try session.framesNeeded(at: 6), [0, 12])
        XCTAssertEqual(try session.framesNeeded(at: 19), [11, 19])
    }
}
