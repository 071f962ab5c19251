// Model folders as users have them, and every way one can be wrong: each gives a message naming the
// folder and the missing or broken part, never a crash.
import Foundation
import Models
import Pipeline
import XCTest

final class ModelFolderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("omniedit-folders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func error(_ folder: URL) -> String {
        do {
            _ = try HuMoFolder(folder: folder)
            return "no error"
        } catch { return "\(error)" }
    }

    func testEachLayoutIsRecognisedByItsTensors() throws {
        for layout in RandomHuMoFolder.Layout.allCases {
            let folder = dir.appendingPathComponent(layout.rawValue)
            try RandomHuMoFolder.write(to: folder, layout: layout)
            let found = try HuMoFolder(folder: folder)
            XCTAssertTrue(found.dit.hasAudio, layout.rawValue)
            XCTAssertEqual(found.vae.kind, .wanVAE)
            XCTAssertEqual(found.whisper.kind, .whisper)
            XCTAssertNotNil(found.settingsFile)
            if layout == .diffusers { XCTAssertTrue(found.dit.url.lastPathComponent.hasSuffix(".index.json")) }
        }
    }

    func testHuMosOriginalEmaPthIsRecognisedAsTheDiT() throws {
        // HuMo-1.7B ships its DiT as a torch.save state dict (ema.pth): read directly, no conversion.
        let folder = dir.appendingPathComponent("original")
        try RandomHuMoFolder.write(to: folder, layout: .humo)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("humo.safetensors"))
        let pth = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ModelsTests/Fixtures/torch/humo_dit_tiny_1p7b_bf16.pth")
        try FileManager.default.copyItem(at: pth, to: folder.appendingPathComponent("ema.pth"))
        let found = try HuMoFolder(folder: folder)
        XCTAssertEqual(found.dit.url.lastPathComponent, "ema.pth")
        XCTAssertTrue(found.dit.hasAudio)
    }

    func testMissingEmptyIncompleteAndForeignFoldersAreExplained() throws {
        XCTAssertTrue(error(dir.appendingPathComponent("nope")).contains("does not exist"))
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertTrue(error(empty).contains("has no Wan/HuMo DiT"), error(empty))

        let noVAE = dir.appendingPathComponent("novae")
        try RandomHuMoFolder.write(to: noVAE, layout: .humo)
        try FileManager.default.removeItem(at: noVAE.appendingPathComponent("Wan2.1_VAE.safetensors"))
        XCTAssertTrue(error(noVAE).contains("has no Wan VAE"), error(noVAE))

        let noContext = dir.appendingPathComponent("nocontext")
        try RandomHuMoFolder.write(to: noContext, layout: .humo)
        try FileManager.default.removeItem(at: noContext.appendingPathComponent("text_context.safetensors"))
        // Found without one (a umT5 encoder in the folder may encode prompts instead: HuMoModel checks that).
        XCTAssertNil(try HuMoFolder(folder: noContext).textContext)
        XCTAssertThrowsError(try HuMoModel.shared(folder: noContext.path, backend: .cpu)) {
            XCTAssertTrue("\($0)".contains("precomputed text context"), "\($0)")
        }

        let foreign = dir.appendingPathComponent("wan")
        try RandomHuMoFolder.write(to: foreign, layout: .humo)
        var plain = SafetensorsWriter()
        for name in ["patch_embedding.weight", "blocks.0.self_attn.q.weight", "head.head.weight"] {
            try plain.add(name, shape: [2], values: [0, 0])
        }
        try FileManager.default.removeItem(at: foreign.appendingPathComponent("humo.safetensors"))
        try plain.write(to: foreign.appendingPathComponent("wan.safetensors"))
        XCTAssertTrue(error(foreign).contains("another family"), error(foreign))
    }

    func testTruncatedShardsAndIndexesNamingMissingShardsAreRefused() throws {
        let truncated = dir.appendingPathComponent("truncated")
        try RandomHuMoFolder.write(to: truncated, layout: .diffusers)
        let shard = truncated.appendingPathComponent("transformer/diffusion_pytorch_model-00002-of-00002.safetensors")
        let bytes = try Data(contentsOf: shard)
        try bytes.prefix(bytes.count - 100).write(to: shard)
        XCTAssertTrue(error(truncated).contains("diffusion_pytorch_model-00002-of-00002"), error(truncated))

        let missing = dir.appendingPathComponent("missing")
        try RandomHuMoFolder.write(to: missing, layout: .diffusers)
        try FileManager.default.removeItem(
            at: missing.appendingPathComponent("transformer/diffusion_pytorch_model-00001-of-00002.safetensors"))
        XCTAssertTrue(error(missing).contains("00001-of-00002"), error(missing))

        // Loading (not only scanning) the truncated folder is refused the same way.
        XCTAssertThrowsError(try HuMoModel.shared(folder: truncated.path, backend: .cpu))
    }
}
