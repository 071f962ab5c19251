// LTX-2 video VAE against diffusers' AutoencoderKLLTX2Video (tools/fixtures/ltx2/make_ltx2_video_vae.py):
// two small random configurations with odd, non-square sizes and 8k+1 frames (every block type, both
// padding modes, a causal and a non-causal decoder) and one with LTX-2's real outer widths (48 patch
// channels, 128-wide resnets, 128 latent channels) stored bf16; then chunking, bf16 storage, the
// registry row and bad input.
import Foundation
import Models
import Tensor
import XCTest

final class LTX2VideoVAETests: XCTestCase {
    static let clips = ["a": [17, 9], "b": [9, 17], "real": [9]]

    private func load(_ name: String, on backend: any Backend, storeAs: DType? = nil) throws -> LTX2VideoVAE {
        let (vae, unused) = try LTX2Checkpoint.loadVideoVAE(
            LTX2Golden.folder.appendingPathComponent("video_vae_\(name)"), on: backend, storeAs: storeAs)
        XCTAssertEqual(unused, [], name)
        return vae
    }

    @discardableResult
    private func check(
        _ name: String, on backend: any Backend, tolerance: Float, storeAs: DType? = nil, from file: String? = nil
    ) throws -> Float {
        let io = try LTX2Golden.io("video_vae_io.safetensors")
        let vae = try load(file ?? name, on: backend, storeAs: storeAs)
        var worst: Float = 0
        for f in Self.clips[name]! {
            let video = try io.tensor("\(name)/video_\(f)", on: backend)
            let mean = try vae.encodeMean(video, on: backend)
            let expected = try io.tensor("\(name)/mean_\(f)", on: backend)
            XCTAssertEqual(mean.shape, expected.shape)
            worst = max(
                worst,
                assertMatchesGolden(
                    try backend.download(mean), try io.floats("\(name)/mean_\(f)"), tolerance: tolerance,
                    "\(name) mean of \(f) frames"))
        }
        let latent = try io.tensor("\(name)/latent", on: backend)
        let decoded = try vae.decode(latent, on: backend)
        XCTAssertEqual(decoded.shape, try io.tensor("\(name)/decoded", on: backend).shape)
        worst = max(
            worst,
            assertMatchesGolden(
                try backend.download(decoded), try io.floats("\(name)/decoded"), tolerance: tolerance,
                "\(name) decoded"))
        print("LTX-2 video VAE \(file ?? name) on \(backend.device.backend)\(storeAs.map { " (\($0) weights)" } ?? ""): worst |Δ|/scale \(worst)")
        return worst
    }

    func testSmallConfigurationsMatchDiffusersOnCPU() throws {
        let cpu = try GoldenBackends.cpuBackend()
        try check("a", on: cpu, tolerance: 1e-4)
        try check("b", on: cpu, tolerance: 1e-4)
    }

    func testRealWidthsMatchDiffusersOnCPU() throws {
        try check("real", on: try GoldenBackends.cpuBackend(), tolerance: 1e-4)
    }

    func testMatchesDiffusersOnVulkan() throws {
        let vulkan = try GoldenBackends.vulkanBackend()
        try check("a", on: vulkan, tolerance: 1e-3)
        try check("b", on: vulkan, tolerance: 1e-3)
    }

    /// Weights stored bf16 (as LTX-2 ships them) against the f32 golden: rounding the weights moves
    /// the result by ~1e-2 of its scale; the gate is 5e-2.
    func testBF16StorageStaysWithinTolerance() throws {
        let worst = try check("a", on: try GoldenBackends.cpuBackend(), tolerance: 5e-2, storeAs: .bf16)
        XCTAssertGreaterThan(worst, 0, "bf16 weights must differ from f32 somewhere")
    }

    /// The same weights under LTX-2's single-file names, config from ltx-core's block lists in the metadata.
    func testTheSingleFileLayoutLoadsTheSameModel() throws {
        try check("b", on: try GoldenBackends.cpuBackend(), tolerance: 1e-4, from: "b_single.safetensors")
        let single = try load("b_single.safetensors", on: try GoldenBackends.cpuBackend()).config
        let folder = try load("b", on: try GoldenBackends.cpuBackend()).config
        XCTAssertEqual(single.blockOutChannels, folder.blockOutChannels)
        XCTAssertEqual(single.decoderBlockOutChannels, folder.decoderBlockOutChannels)
        XCTAssertEqual(single.decoderLayersPerBlock, folder.decoderLayersPerBlock)
    }

    func testTheConfigAndStatisticsAreRead() throws {
        let vae = try load("a", on: try GoldenBackends.cpuBackend())
        XCTAssertEqual(vae.latentChannels, 8)
        XCTAssertEqual(vae.spatialCompression, 8)
        XCTAssertEqual(vae.temporalCompression, 8)
        XCTAssertEqual(vae.latentsMean.shape, [8])
        XCTAssertEqual(vae.latentsStd.shape, [8])
        let b = try load("b", on: try GoldenBackends.cpuBackend())
        XCTAssertEqual(b.spatialCompression, 16)
        XCTAssertFalse(b.config.decoderCausal)
    }

    /// The causal caches make the chunk size irrelevant: one long chunk equals the default.
    func testChunkSizesGiveTheSameResult() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let io = try LTX2Golden.io("video_vae_io.safetensors")
        let vae = try load("a", on: cpu)
        let video = try io.tensor("a/video_17", on: cpu)
        let whole = try cpu.download(try vae.encodeMean(video, on: cpu, framesPerChunk: 16))
        assertMatchesGolden(whole, try io.floats("a/mean_17"), tolerance: 1e-4, "one 16-frame chunk")
        let latent = try io.tensor("a/latent", on: cpu)
        let decoded = try cpu.download(try vae.decode(latent, on: cpu, latentFramesPerChunk: 3))
        assertMatchesGolden(decoded, try io.floats("a/decoded"), tolerance: 1e-4, "three latent frames at once")
    }

    func testBadInputIsNamed() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let vae = try load("a", on: cpu)
        for shape in [[3, 16, 40, 24], [3, 9, 36, 24], [4, 9, 40, 24], [3, 9, 40]] {
            let x = try cpu.upload(Array(repeating: 0, count: shape.reduce(1, *)), shape: shape, dtype: .f32)
            XCTAssertThrowsError(try vae.encodeMean(x, on: cpu)) {
                XCTAssertTrue("\($0)".contains("\(shape)") && "\($0)".contains("1 + 8·k"), "\($0)")
            }
        }
        let z = try cpu.upload(Array(repeating: 0, count: 7 * 2 * 3 * 3), shape: [7, 2, 3, 3], dtype: .f32)
        XCTAssertThrowsError(try vae.decode(z, on: cpu)) {
            XCTAssertTrue("\($0)".contains("[7, 2, 3, 3]") && "\($0)".contains("[8, frames"), "\($0)")
        }
    }

    func testConfigSwitchesWeDoNotImplementAreRefusedByName() throws {
        let base = try String(
            contentsOf: LTX2Golden.folder.appendingPathComponent("video_vae_a/config.json"), encoding: .utf8)
        for (from, to, field) in [
            (#""timestep_conditioning": false"#, #""timestep_conditioning": true"#, "timestep_conditioning"),
            (#""encoder_spatial_padding_mode": "zeros""#, #""encoder_spatial_padding_mode": "circular""#,
             "encoder_spatial_padding_mode"),
            (#""timestep_conditioning": false"#, #""timestep_conditioning": false, "use_magic": 1"#, "use_magic"),
            (#""spatial_compression_ratio": 8"#, #""spatial_compression_ratio": 32"#, "spatial_compression_ratio"),
        ] {
            let text = base.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(text, base, from)
            XCTAssertThrowsError(try JSONDecoder().decode(LTX2VideoVAEConfig.self, from: Data(text.utf8))) {
                XCTAssertTrue("\($0)".contains(field), "\($0)")
            }
        }
        let noise = base.replacingOccurrences(
            of: #""decoder_inject_noise": \[[^\]]*\]"#, with: #""decoder_inject_noise": true"#,
            options: .regularExpression)
        XCTAssertThrowsError(try JSONDecoder().decode(LTX2VideoVAEConfig.self, from: Data(noise.utf8))) {
            XCTAssertTrue("\($0)".contains("decoder_inject_noise"), "\($0)")
        }
    }
}

/// The registry row and bad files (scratch folder and fixture copies from `LTX2LoadingTests`).
extension LTX2LoadingTests {
    func testRegistryFindsTheVideoVAEBesideTheAudioVAE() throws {
        let model = scratch.appendingPathComponent("model")
        _ = try copy("transformer_tiny", to: "model/transformer")
        _ = try copy("connectors_tiny", to: "model/connectors")
        _ = try copy("audio_vae_tiny", to: "model/audio_vae")
        var folder = try LTX2Folder(folder: model)
        XCTAssertNil(folder.videoVAE)
        _ = try copy("video_vae_a", to: "model/vae")
        folder = try LTX2Folder(folder: model)
        XCTAssertEqual(folder.videoVAE?.kind, .ltx2VideoVAE)
        XCTAssertEqual(folder.audioVAE?.kind, .ltx2AudioVAE)
        XCTAssertEqual(folder.videoVAE?.url.deletingLastPathComponent().lastPathComponent, "vae")
        let vae = try LTX2Checkpoint.loadVideoVAE(try XCTUnwrap(folder.videoVAE).url, on: try GoldenBackends.cpuBackend())
        XCTAssertEqual(vae.unused, [])
    }

    func testAMissingTensorAndATruncatedFileAreNamed() throws {
        let folder = try copy("video_vae_a", to: "vae")
        let file = folder.appendingPathComponent("diffusion_pytorch_model.safetensors")
        let checkpoint = try Checkpoint.open(file)
        var w = SafetensorsWriter()
        let cpu = try GoldenBackends.cpuBackend()
        for name in checkpoint.names where name != "decoder.up_blocks.1.conv_in.norm3.weight" {
            try w.add(name, try checkpoint.tensor(name, on: cpu), from: cpu)
        }
        try w.write(to: file)
        XCTAssertThrowsError(try LTX2Checkpoint.loadVideoVAE(folder, on: cpu)) {
            XCTAssertTrue(
                "\($0)".contains("decoder.up_blocks.1.conv_in.norm3.weight") && "\($0)".contains(folder.path), "\($0)")
        }
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        XCTAssertThrowsError(try LTX2Checkpoint.loadVideoVAE(folder, on: cpu)) {
            XCTAssertTrue("\($0)".contains(file.path), "\($0)")
        }
    }
}

final class LTX2VideoVAETilingTests: XCTestCase {
    /// One tile covering the frame is exactly the untiled pass.
    func testOneTileIsTheUntiledVAE() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let io = try LTX2Golden.io("video_vae_io.safetensors")
        let vae = try LTX2Checkpoint.loadVideoVAE(LTX2Golden.folder.appendingPathComponent("video_vae_a"), on: cpu).model
        let latent = try io.tensor("a/latent", on: cpu)
        let tiling = try VAETiling(tile: 8, overlap: 2)
        XCTAssertEqual(
            try cpu.download(vae.decodeTiled(latent, tiling: tiling, on: cpu)),
            try cpu.download(vae.decode(latent, on: cpu)))
        let video = try io.tensor("a/video_9", on: cpu)
        XCTAssertEqual(
            try cpu.download(vae.encodeMeanTiled(video, tiling: tiling, on: cpu)),
            try cpu.download(vae.encodeMean(video, on: cpu)))
    }
}

extension LTX2VideoVAETilingTests {
    /// The built-in AV model's trained VAE (plugin-manifest/Resources/models/avedit/vae, ×16): a smooth
    /// 9-frame 256 × 256 clip encoded, then decoded whole and as 3 × 3 tiles of 8 latent cells overlapping
    /// by 4 (128-pixel tiles, 64-pixel overlaps). The receptive field crosses tile borders, so tiling is an
    /// approximation: measured worst 0.24, mean 0.017 of the output scale (64-pixel tiles gave 0.47 /
    /// 0.054); the gates are 0.5 / 0.05. Deterministic input, so the figure does not vary.
    func testTiledDecodeOfTheTrainedVAEStaysCloseToTheWholeFrame() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("plugin-manifest/Resources/models/avedit/vae")
        let cpu = try GoldenBackends.cpuBackend()
        let vae = try LTX2Checkpoint.loadVideoVAE(folder, on: cpu).model
        let (f, h, w) = (9, 256, 256)
        var values = [Float](repeating: 0, count: 3 * f * h * w)
        for c in 0..<3 {
            for t in 0..<f {
                for y in 0..<h {
                    for x in 0..<w {
                        let phase = Float(c) + Float(t) * 0.2
                        values[((c * f + t) * h + y) * w + x] =
                            0.8 * sin(Float(x) / 17 + phase) * cos(Float(y) / 23 - phase)
                    }
                }
            }
        }
        let video = try cpu.upload(values, shape: [3, f, h, w], dtype: .f32)
        let latent = try vae.encodeMean(video, on: cpu)
        let tiling = try VAETiling(tile: 8, overlap: 4)
        XCTAssertEqual(tiling.ranges(latent.shape[2]).count, 3)
        let whole = try cpu.download(try vae.decode(latent, on: cpu))
        let tiled = try cpu.download(try vae.decodeTiled(latent, tiling: tiling, on: cpu))
        let scale = max(1, whole.reduce(0) { max($0, abs($1)) })
        let worst = zip(whole, tiled).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) } / scale
        let mean = zip(whole, tiled).reduce(Float(0)) { $0 + abs($1.0 - $1.1) } / Float(whole.count) / scale
        print("LTX-2 built-in video VAE, 3×3 tiles vs whole frame: worst \(worst), mean \(mean) of the output scale")
        XCTAssertLessThan(mean, 0.05)
        XCTAssertLessThan(worst, 0.5)
    }
}

/// The second reference: ltx-core 1.0.0's own VideoEncoder / VideoDecoder on the single file
/// (tools/fixtures/ltx2/make_ltx2_video_vae_ltxcore.py). ltx-core normalises inside its encoder and
/// un-normalises inside its decoder, so ours is compared through `normalise` / `denormalise`.
final class LTX2VideoVAELTXCoreTests: XCTestCase {
    private func check(on backend: any Backend, tolerance: Float, _ what: String) throws {
        let io = try LTX2Golden.io("video_vae_ltxcore_io.safetensors")
        XCTAssertEqual(io.metadata["reference"], "ltx-core 1.0.0")
        var worst: Float = 0
        let (vae, unused) = try LTX2Checkpoint.loadVideoVAE(
            LTX2Golden.folder.appendingPathComponent("video_vae_b_single.safetensors"), on: backend)
        XCTAssertEqual(unused, [])
        let latent = try vae.normalise(try vae.encodeMean(try io.tensor("inputs/video", on: backend), on: backend), on: backend)
        XCTAssertEqual(latent.shape, [4, 2, 3, 2])
        worst = max(worst, assertMatchesGolden(
            try backend.download(latent), try io.floats("outputs/latent"), tolerance: tolerance, "latent \(what)"))
        let pixels = try vae.decode(try vae.denormalise(try io.tensor("inputs/latent", on: backend), on: backend), on: backend)
        XCTAssertEqual(pixels.shape, [3, 9, 32, 32])
        worst = max(worst, assertMatchesGolden(
            try backend.download(pixels), try io.floats("outputs/decoded"), tolerance: tolerance, "decoded \(what)"))
        print("LTX-2 video VAE vs ltx-core on \(backend.device.backend): worst |Δ|/scale \(worst)")
    }

    func testSingleFileMatchesLTXCoreOnCPU() throws {
        try check(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4, "vs ltx-core")
    }

    func testSingleFileMatchesLTXCoreOnVulkan() throws {
        try check(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3, "vs ltx-core (vulkan)")
    }

    func testStatisticsNeedTheLatentsShape() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let vae = try LTX2Checkpoint.loadVideoVAE(
            LTX2Golden.folder.appendingPathComponent("video_vae_b_single.safetensors"), on: cpu).model
        let z = try cpu.upload(Array(repeating: 0, count: 5 * 2 * 2 * 2), shape: [5, 2, 2, 2], dtype: .f32)
        XCTAssertThrowsError(try vae.normalise(z, on: cpu)) { XCTAssertTrue("\($0)".contains("[5, 2, 2, 2]"), "\($0)") }
    }
}
