// The LTX-2 audio-video transformer reproduces diffusers' LTX2VideoTransformer3DModel
// (tools/fixtures/ltx2/make_ltx2_transformer.py): a tiny odd-sized model from its diffusers folder and
// from the single-file layout (LTX-2's own names, config in metadata), split and interleaved RoPE;
// a 1-layer model at the real head sizes and real token counts with bf16 weights.
import Foundation
import Models
import Tensor
import XCTest

enum LTX2Golden {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ltx2")

    static func io(_ name: String) throws -> Checkpoint {
        try Checkpoint.open(folder.appendingPathComponent(name))
    }

    static func int(_ io: Checkpoint, _ key: String) throws -> Int {
        try XCTUnwrap(Int(try XCTUnwrap(io.metadata[key])))
    }

    /// The inputs stored in an io file (timesteps from `inputs/timestep` or the per-stream ones).
    static func inputs(_ io: Checkpoint, masked: Bool, on backend: any Backend) throws -> LTX2TransformerInputs {
        let tv = try io.floats(io.names.contains("inputs/timestep") ? "inputs/timestep" : "inputs/video_timestep")[0]
        let ta = try io.floats(io.names.contains("inputs/timestep") ? "inputs/timestep" : "inputs/audio_timestep")[0]
        return LTX2TransformerInputs(
            video: try io.tensor("inputs/video", on: backend), frames: try int(io, "frames"),
            height: try int(io, "height"), width: try int(io, "width"),
            fps: try XCTUnwrap(Float(try XCTUnwrap(io.metadata["fps"]))),
            audio: try io.tensor("inputs/audio", on: backend),
            text: try io.tensor("inputs/text", on: backend), audioText: try io.tensor("inputs/audio_text", on: backend),
            textMask: masked ? try io.floats("inputs/text_mask").map { $0 > 0.5 } : nil, videoTimestep: tv,
            audioTimestep: ta)
    }
}

final class LTX2TransformerTests: XCTestCase {
    private func tiny(
        on backend: any Backend, from name: String = "transformer_tiny", rope: LTX2RoPEType = .split
    ) throws -> (video: [Float], audio: [Float], io: Checkpoint) {
        let io = try LTX2Golden.io("transformer_tiny_io.safetensors")
        var config: LTX2TransformerConfig?
        if rope != .split {
            config = try LTX2Checkpoint.transformerConfig(
                try Checkpoint.open(LTX2Golden.folder.appendingPathComponent(name)))
            config?.ropeType = rope
        }
        let (model, unused) = try LTX2Checkpoint.loadTransformer(
            LTX2Golden.folder.appendingPathComponent(name), on: backend, config: config)
        XCTAssertEqual(unused, [])
        let out = try model(try LTX2Golden.inputs(io, masked: true, on: backend), on: backend)
        XCTAssertEqual(out.video.shape, [30, 7])
        XCTAssertEqual(out.audio.shape, [11, 12])
        return (try backend.download(out.video), try backend.download(out.audio), io)
    }

    func testDiffusersFolderMatchesDiffusersWithSplitRoPEOnCPU() throws {
        let (v, a, io) = try tiny(on: try GoldenBackends.cpuBackend())
        assertMatchesGolden(v, try io.floats("outputs/video_split"), tolerance: 1e-4, "video velocity")
        assertMatchesGolden(a, try io.floats("outputs/audio_split"), tolerance: 1e-4, "audio velocity")
    }

    func testInterleavedRoPEMatchesDiffusersOnCPU() throws {
        let (v, a, io) = try tiny(on: try GoldenBackends.cpuBackend(), rope: .interleaved)
        assertMatchesGolden(v, try io.floats("outputs/video_interleaved"), tolerance: 1e-4, "video velocity")
        assertMatchesGolden(a, try io.floats("outputs/audio_interleaved"), tolerance: 1e-4, "audio velocity")
    }

    func testSingleFileWithLTX2NamesAndMetadataConfigMatchesDiffusers() throws {
        let (v, a, io) = try tiny(on: try GoldenBackends.cpuBackend(), from: "transformer_tiny_single.safetensors")
        assertMatchesGolden(v, try io.floats("outputs/video_split"), tolerance: 1e-4, "video velocity")
        assertMatchesGolden(a, try io.floats("outputs/audio_split"), tolerance: 1e-4, "audio velocity")
    }

    /// The second reference: Lightricks' ltx-core 1.0.0 (tools/fixtures/ltx2/make_ltx2_transformer_ltxcore.py) on the
    /// same single file, with its own patchifier positions and the caption's real rows.
    func testSingleFileMatchesLTXCoreWithBothRoPELayouts() throws {
        let backend = try GoldenBackends.cpuBackend()
        let io = try LTX2Golden.io("transformer_tiny_ltxcore_io.safetensors")
        XCTAssertEqual(io.metadata["reference"], "ltx-core 1.0.0")
        let file = LTX2Golden.folder.appendingPathComponent("transformer_tiny_single.safetensors")
        for rope in [LTX2RoPEType.split, .interleaved] {
            var config = try LTX2Checkpoint.transformerConfig(try Checkpoint.open(file))
            config.ropeType = rope
            let (model, unused) = try LTX2Checkpoint.loadTransformer(file, on: backend, config: config)
            XCTAssertEqual(unused, [])
            let out = try model(try LTX2Golden.inputs(io, masked: false, on: backend), on: backend)
            let name = rope == .split ? "split" : "interleaved"
            assertMatchesGolden(
                try backend.download(out.video), try io.floats("outputs/video_\(name)"), tolerance: 1e-4,
                "video velocity vs ltx-core (\(name))")
            assertMatchesGolden(
                try backend.download(out.audio), try io.floats("outputs/audio_\(name)"), tolerance: 1e-4,
                "audio velocity vs ltx-core (\(name))")
        }
    }

    func testDiffusersFolderMatchesDiffusersOnVulkan() throws {
        let (v, a, io) = try tiny(on: try GoldenBackends.vulkanBackend())
        assertMatchesGolden(v, try io.floats("outputs/video_split"), tolerance: 1e-3, "video velocity (vulkan)")
        assertMatchesGolden(a, try io.floats("outputs/audio_split"), tolerance: 1e-3, "audio velocity (vulkan)")
    }

    func testRealHeadSizesAndTokenCountsWithBF16WeightsMatchDiffusers() throws {
        let backend = try GoldenBackends.cpuBackend()
        let io = try LTX2Golden.io("transformer_real_io.safetensors")
        let (model, unused) = try LTX2Checkpoint.loadTransformer(
            LTX2Golden.folder.appendingPathComponent("transformer_real"), on: backend)
        XCTAssertEqual(unused, [])
        XCTAssertEqual(model.config.headDim, 128)
        XCTAssertEqual(model.config.audioHeadDim, 64)
        XCTAssertEqual(model.blocks[0].attn1.q.weight.dtype, .bf16, "bf16 storage is kept, not widened")
        let out = try model(try LTX2Golden.inputs(io, masked: false, on: backend), on: backend)
        XCTAssertEqual(out.video.shape, [3456, 128])
        let every3 = try backend.download(try out.video.strided(axis: 0, start: 0, step: 3, count: 1152))
        assertMatchesGolden(every3, try io.floats("outputs/video_every3"), tolerance: 1e-4, "video velocity")
        assertMatchesGolden(try backend.download(out.audio), try io.floats("outputs/audio"), tolerance: 1e-4, "audio")
    }
}

/// The text connectors reproduce diffusers' LTX2TextConnectors (tools/fixtures/ltx2/make_ltx2_connectors.py):
/// left-padded rows (padding filled with large values that must not leak into the per-layer
/// statistics) replaced by registers, and all rows real.
final class LTX2TextConnectorsTests: XCTestCase {
    private func run(full: Bool, on backend: any Backend) throws -> (video: [Float], audio: [Float], io: Checkpoint) {
        let io = try LTX2Golden.io("connectors_tiny_io.safetensors")
        let (model, unused) = try LTX2Checkpoint.loadConnectors(
            LTX2Golden.folder.appendingPathComponent("connectors_tiny"), on: backend)
        XCTAssertEqual(unused, [])
        let mask = try io.floats("inputs/mask").map { full || $0 > 0.5 }
        let out = try model(hiddenStates: try io.tensor("inputs/hidden_states", on: backend), mask: mask, on: backend)
        XCTAssertEqual(out.video.shape, [12, 24])
        XCTAssertEqual(out.audio.shape, [12, 24])
        return (try backend.download(out.video), try backend.download(out.audio), io)
    }

    func testLeftPaddedCaptionMatchesDiffusersOnCPU() throws {
        let (v, a, io) = try run(full: false, on: try GoldenBackends.cpuBackend())
        assertMatchesGolden(v, try io.floats("outputs/video"), tolerance: 1e-4, "video caption rows")
        assertMatchesGolden(a, try io.floats("outputs/audio"), tolerance: 1e-4, "audio caption rows")
    }

    func testUnpaddedCaptionMatchesDiffusersOnCPU() throws {
        let (v, a, io) = try run(full: true, on: try GoldenBackends.cpuBackend())
        assertMatchesGolden(v, try io.floats("outputs/video_full"), tolerance: 1e-4, "video caption rows")
        assertMatchesGolden(a, try io.floats("outputs/audio_full"), tolerance: 1e-4, "audio caption rows")
    }

    func testLeftPaddedCaptionMatchesDiffusersOnVulkan() throws {
        let (v, a, io) = try run(full: false, on: try GoldenBackends.vulkanBackend())
        assertMatchesGolden(v, try io.floats("outputs/video"), tolerance: 1e-3, "video caption rows (vulkan)")
        assertMatchesGolden(a, try io.floats("outputs/audio"), tolerance: 1e-3, "audio caption rows (vulkan)")
    }
}

/// The text connectors against the second reference, ltx-core 1.0.0's `EmbeddingsProcessor`
/// (tools/fixtures/ltx2/make_ltx2_connectors_ltxcore.py), from the single-file layout with ltx-core's config in
/// metadata: an audio connector of its own sizes, left padding replaced by registers, split and interleaved RoPE.
final class LTX2TextConnectorsLTXCoreTests: XCTestCase {
    private let file = LTX2Golden.folder.appendingPathComponent("connectors_ltxcore_single.safetensors")

    private func check(
        _ cases: [(full: Bool, rope: LTX2RoPEType, suffix: String)], on backend: any Backend, tolerance: Float
    ) throws {
        let io = try LTX2Golden.io("connectors_ltxcore_io.safetensors")
        XCTAssertEqual(io.metadata["reference"], "ltx-core 1.0.0")
        var config = try LTX2Checkpoint.loadConnectors(file, on: backend).model.config
        var worst: Float = 0
        for (full, rope, suffix) in cases {
            config.ropeType = rope
            let (model, unused) = try LTX2Checkpoint.loadConnectors(file, on: backend, config: config)
            XCTAssertEqual(unused, [])
            let mask = try io.floats("inputs/mask").map { full || $0 > 0.5 }
            let out = try model(hiddenStates: try io.tensor("inputs/hidden_states", on: backend), mask: mask, on: backend)
            for (name, tensor) in [("video", out.video), ("audio", out.audio)] {
                XCTAssertEqual(tensor.shape, [12, 24])
                worst = max(worst, assertMatchesGolden(
                    try backend.download(tensor), try io.floats("outputs/\(name)\(suffix)"), tolerance: tolerance,
                    "\(name) caption rows\(suffix) vs ltx-core on \(backend.device.backend)"))
            }
        }
        print("LTX-2 text connectors vs ltx-core on \(backend.device.backend): worst |Δ|/scale \(worst)")
    }

    func testSingleFileConfigIsReadAsLTXCoreReadsIt() throws {
        let config = try LTX2Checkpoint.loadConnectors(file, on: try GoldenBackends.cpuBackend()).model.config
        XCTAssertEqual([config.videoHeads, config.videoHeadDim, config.videoLayers], [3, 8, 3])
        XCTAssertEqual([config.audioHeads, config.audioHeadDim, config.audioLayers], [2, 12, 2])
        XCTAssertEqual([config.captionChannels, config.layers, config.videoRegisters, config.ropeBaseLength], [24, 5, 4, 4096])
        XCTAssertEqual(config.ropeType, .split)
        XCTAssertTrue(config.ropeDoublePrecision)
    }

    func testConnectorsMatchLTXCoreOnCPU() throws {
        try check(
            [(false, .split, ""), (true, .split, "_full"), (false, .interleaved, "_interleaved")],
            on: try GoldenBackends.cpuBackend(), tolerance: 1e-4)
    }

    func testLeftPaddedCaptionMatchesLTXCoreOnVulkan() throws {
        try check([(false, .split, "")], on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }
}

/// The vocoder against the second reference, ltx-core 1.0.0's own `Vocoder`
/// (tools/fixtures/ltx2/make_ltx2_vocoder_ltxcore.py): LTX-2's shape (stereo × 64 mel bins, 3-dilation resblocks).
final class LTX2VocoderLTXCoreTests: XCTestCase {
    private func check(on backend: any Backend, tolerance: Float, _ what: String) throws {
        let io = try LTX2Golden.io("vocoder_ltxcore_tiny_io.safetensors")
        XCTAssertEqual(io.metadata["reference"], "ltx-core 1.0.0")
        let vocoder = try LTX2Checkpoint.loadVocoder(
            LTX2Golden.folder.appendingPathComponent("vocoder_ltxcore_tiny"), on: backend)
        let wave = try vocoder(try io.tensor("inputs/mel", on: backend), on: backend)
        XCTAssertEqual(wave.shape, [2, 66])
        assertMatchesGolden(try backend.download(wave), try io.floats("outputs/waveform"), tolerance: tolerance, what)
    }

    func testVocoderMatchesLTXCoreOnCPU() throws {
        try check(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4, "waveform vs ltx-core")
    }

    func testVocoderMatchesLTXCoreOnVulkan() throws {
        try check(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3, "waveform vs ltx-core (vulkan)")
    }
}

/// The vocoder reproduces diffusers' LTX2Vocoder (tools/fixtures/ltx2/make_ltx2_vocoder.py): odd and even
/// transposed-convolution kernels, dilated resblocks, stereo.
final class LTX2VocoderTests: XCTestCase {
    private func run(on backend: any Backend) throws -> ([Float], [Float]) {
        let io = try LTX2Golden.io("vocoder_tiny_io.safetensors")
        let vocoder = try LTX2Checkpoint.loadVocoder(
            LTX2Golden.folder.appendingPathComponent("vocoder_tiny"), on: backend)
        XCTAssertEqual(vocoder.config.upsampling, 6)
        let wave = try vocoder(try io.tensor("inputs/mel", on: backend), on: backend)
        XCTAssertEqual(wave.shape, [2, 78])
        return (try backend.download(wave), try io.floats("outputs/waveform"))
    }

    func testVocoderMatchesDiffusersOnCPU() throws {
        let (w, expected) = try run(on: try GoldenBackends.cpuBackend())
        assertMatchesGolden(w, expected, tolerance: 1e-4, "waveform")
    }

    func testVocoderMatchesDiffusersOnVulkan() throws {
        let (w, expected) = try run(on: try GoldenBackends.vulkanBackend())
        assertMatchesGolden(w, expected, tolerance: 1e-3, "waveform (vulkan)")
    }
}

/// The audio VAE reproduces diffusers' AutoencoderKLLTX2Audio (tools/fixtures/ltx2/make_ltx2_audio_vae.py):
/// encode at a 4k+1 and another length, decode with the causal crop.
final class LTX2AudioVAETests: XCTestCase {
    private func check(on backend: any Backend, tolerance: Float) throws {
        let io = try LTX2Golden.io("audio_vae_tiny_io.safetensors")
        let vae = try LTX2Checkpoint.loadAudioVAE(
            LTX2Golden.folder.appendingPathComponent("audio_vae_tiny"), on: backend)
        for (t, frames) in [(21, 6), (18, 5)] {
            let mean = try vae.encodeMean(try io.tensor("inputs/mel_\(t)", on: backend), on: backend)
            XCTAssertEqual(mean.shape, [3, frames, 3])
            assertMatchesGolden(
                try backend.download(mean), try io.floats("outputs/mean_\(t)"), tolerance: tolerance, "mean \(t)")
        }
        let decoded = try vae.decode(try io.tensor("inputs/latent", on: backend), on: backend)
        XCTAssertEqual(decoded.shape, [2, 21, 12])
        assertMatchesGolden(
            try backend.download(decoded), try io.floats("outputs/decoded"), tolerance: tolerance, "decoded")
    }

    func testAudioVAEMatchesDiffusersOnCPU() throws { try check(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4) }

    func testAudioVAEMatchesDiffusersOnVulkan() throws {
        try check(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }
}

/// The audio VAE against the second reference, ltx-core 1.0.0's own AudioEncoder / AudioDecoder
/// (tools/fixtures/ltx2/make_ltx2_audio_vae_ltxcore.py): a tiny model in the shape ltx-core needs (latent
/// channels × latent mel bins = base width, 2 × 3 = 6). ltx-core normalises inside its encoder and decoder,
/// so ours is compared through `normalise` / `denormalise`.
final class LTX2AudioVAELTXCoreTests: XCTestCase {
    private func check(on backend: any Backend, tolerance: Float, _ what: String) throws {
        let io = try LTX2Golden.io("audio_vae_ltxcore_tiny_io.safetensors")
        XCTAssertEqual(io.metadata["reference"], "ltx-core 1.0.0")
        var worst: Float = 0
        let vae = try LTX2Checkpoint.loadAudioVAE(
            LTX2Golden.folder.appendingPathComponent("audio_vae_ltxcore_tiny"), on: backend)
        for (t, frames) in [(21, 6), (18, 5)] {
            let raw = try vae.encodeMean(try io.tensor("inputs/mel_\(t)", on: backend), on: backend)
            let latent = try vae.normalise(raw, on: backend)
            XCTAssertEqual(latent.shape, [2, frames, 3])
            worst = max(worst, assertMatchesGolden(
                try backend.download(latent), try io.floats("outputs/latent_\(t)"), tolerance: tolerance,
                "latent of \(t) mel frames \(what)"))
        }
        let latent = try vae.denormalise(try io.tensor("inputs/latent", on: backend), on: backend)
        let decoded = try vae.decode(latent, on: backend)
        XCTAssertEqual(decoded.shape, [2, 21, 12])
        worst = max(worst, assertMatchesGolden(
            try backend.download(decoded), try io.floats("outputs/decoded"), tolerance: tolerance, "decoded \(what)"))
        print("LTX-2 audio VAE vs ltx-core on \(backend.device.backend): worst |Δ|/scale \(worst)")
    }

    func testAudioVAEMatchesLTXCoreOnCPU() throws {
        try check(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4, "vs ltx-core")
    }

    func testAudioVAEMatchesLTXCoreOnVulkan() throws {
        try check(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3, "vs ltx-core (vulkan)")
    }

    /// ltx-core's statistics cover C × M' packed features; a latent of another mel width is refused by name.
    func testStatisticsNeedThePackedWidth() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let vae = try LTX2Checkpoint.loadAudioVAE(
            LTX2Golden.folder.appendingPathComponent("audio_vae_ltxcore_tiny"), on: cpu)
        let z = try cpu.upload(Array(repeating: 0, count: 2 * 4 * 4), shape: [2, 4, 4], dtype: .f32)
        XCTAssertThrowsError(try vae.denormalise(z, on: cpu)) {
            XCTAssertTrue("\($0)".contains("[2, 4, 4]") && "\($0)".contains("6 packed features"), "\($0)")
        }
    }
}
