// `omniedit inspect` on pipeline folders: one row per component (family and variant from the tensors),
// tokenizers included, and a text-encoder checkpoint alone described and checked key by key.
import Foundation
import OFXTestSupport
import XCTest

final class InspectFolderTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(arguments)
    }

    private func row(_ out: String, _ path: String) -> String? {
        out.split(separator: "\n").map(String.init).first { $0.hasPrefix("  " + path) }
    }

    func testTheBuiltInAVModelGetsOneRowPerComponent() throws {
        let folder = OmniEditBundleTests.root + "/plugin-manifest/Resources/models/avedit"
        let (status, out) = try run(["inspect", folder])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("components: 8"), out)
        for (path, what) in [
            ("transformer/", "LTX-2 transformer — LTX-2 custom"), ("vae/", "LTX-2 video VAE ("),
            ("audio_vae/", "LTX-2 audio VAE ("), ("vocoder/", "LTX-2 vocoder ("), ("connectors/", "LTX-2 text connectors ("),
            ("text_encoder/", "Gemma-3 text encoder — custom (hidden 128, 2 layers"),
            ("tokenizer/tokenizer.model", "SentencePiece bpe"), ("tokenizer/tokenizer.json", "Hugging Face tokenizer.json"),
        ] {
            let line = try XCTUnwrap(row(out, path), "\(path): \(out)")
            XCTAssertTrue(line.contains(what), "\(path): \(line)")
        }
        // The text encoder's own folder is one checkpoint: the detailed description, every key checked.
        let (s2, encoder) = try run(["inspect", folder + "/text_encoder"])
        XCTAssertEqual(s2, 0, encoder)
        XCTAssertTrue(encoder.contains("family: Gemma-3 text encoder"), encoder)
        XCTAssertTrue(encoder.contains("missing keys: none"), encoder)
    }

    func testARandomHuMoFolderWithATextEncoderGetsOneRowPerComponent() throws {
        let folder = try OmniEditBundleTests.randomModel(layout: "diffusers", textEncoder: true)
        let (status, out) = try run(["inspect", folder])
        XCTAssertEqual(status, 0, out)
        for (path, what) in [
            ("transformer/", "HuMo DiT — HuMo-custom"), ("vae/", "Wan VAE ("), ("audio_encoder/", "Whisper encoder ("),
            ("text_context.safetensors", "text context [4, 32]"), ("models_t5_umt5-xxl-enc-bf16", "umT5 text encoder — custom (d_model 32"),
            ("google/umt5-xxl/spiece.model", "SentencePiece unigram, 900 pieces"),
        ] {
            let line = try XCTUnwrap(row(out, path), "\(path): \(out)")
            XCTAssertTrue(line.contains(what), "\(path): \(line)")
        }
        let (s2, encoder) = try run(["inspect", folder + "/models_t5_umt5-xxl-enc-bf16.safetensors"])
        XCTAssertEqual(s2, 0, encoder)
        XCTAssertTrue(encoder.contains("family: umT5 text encoder") && encoder.contains("missing keys: none"), encoder)
    }
}
