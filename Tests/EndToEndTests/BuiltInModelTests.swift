// The built-in LipSync model: found in the bundle through the same registry as a user's folder, and a
// short render on it is deterministic (same bytes twice) and matches the committed reference frames.
import Foundation
import Models
import OFXTestSupport
import VideoIO
import XCTest

final class BuiltInModelTests: XCTestCase {
    static let root = OmniEditBundleTests.root
    static var folder: String { root + "/build/OmniEdit.ofx.bundle/Contents/Resources/models/lipsync" }

    func testTheBuiltInModelIsAUserStyleFolderTheRegistryRecognises() throws {
        let found = try HuMoFolder(folder: URL(fileURLWithPath: Self.folder))
        XCTAssertTrue(found.dit.hasAudio)
        XCTAssertEqual(found.vae.kind, .wanVAE)
        XCTAssertEqual(found.whisper.kind, .whisper)
        let settings = try XCTUnwrap(found.settingsFile)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: settings)) as? [String: Any]
        // The plugin's window plan before loading assumes 25 frames for the built-in model (LipSync.builtInWindowLength).
        XCTAssertEqual(json?["windowLength"] as? Int, 25)
        var bytes = 0
        for url in found.files { bytes += (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0 }
        XCTAssertLessThanOrEqual(bytes, 30 << 20, "the built-in model must stay under 30 MB")
    }

    func testAShortRenderIsDeterministicAndMatchesTheReferenceFrames() throws {
        let tool = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit")
        let dir = NSTemporaryDirectory() + "omniedit-builtin-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func render(_ name: String) throws -> [[Float]] {
            let (status, out) = try tool.run([
                "lipsync", "--input", Self.root + "/Examples/clip/face####.png", "--frames", "1-9", "--audio",
                Self.root + "/Examples/voice.wav", "--source-audio", Self.root + "/Examples/source.wav", "--model", Self.folder,
                "--output", "\(dir)/\(name)####.png", "--cache-size-mb", "0", "--set", "steps=8", "--set", "startStep=2",
                "--set", "endStep=5", "--set", "seed=11",
            ])
            XCTAssertEqual(status, 0, out)
            let clip = try openFrameSource("\(dir)/\(name)####.png")
            return try (1...9).map { try clip.frame($0).pixels }
        }
        let a = try render("a"), b = try render("b")
        XCTAssertEqual(a, b, "the same input must give the same bytes")
        // Across machines: within 2/255 of the frames this commit's machine rendered (OpenBLAS kernels may
        // round differently elsewhere).
        let reference = try openFrameSource(Self.root + "/Tests/EndToEndTests/Fixtures/builtin_reference/ref####.png")
        for f in 1...9 {
            let r = try reference.frame(f).pixels
            let worst = zip(a[f - 1], r).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(worst, 2.01 / 255, "frame \(f)")
        }
        let source = try openFrameSource(Self.root + "/Examples/clip/face####.png")
        XCTAssertNotEqual(a[4], try source.frame(5).pixels, "the model changed the frame")
    }
}
