// The Wan VAE against the golden computed with Wan's own WanVAE_ (goldens README §2): encode,
// normalisation, decode, on the CPU backend (1e-4 of the output scale) and on Vulkan (1e-3).
import Foundation
import Models
import Tensor
import XCTest

final class WanVAEGoldenTests: XCTestCase {
    /// The golden file, its model and its config.
    struct Golden {
        let file: Checkpoint
        let vae: WanVAE
    }

    static func golden(on backend: any Backend) throws -> Golden {
        let file = try GoldenFixture.open("wan_vae_tiny")
        let config = try GoldenFixture.config(file, as: WanVAEConfig.self)
        var reader = try WeightReader(checkpoint: file, rules: GoldenFixture.weightRules, backend: backend)
        return Golden(file: file, vae: try WanVAE.load(config: config, from: &reader))
    }

    func testConfigFromGoldenMetadataIsTheTinyWanLayout() throws {
        let file = try GoldenFixture.open("wan_vae_tiny")
        let config = try GoldenFixture.config(file, as: WanVAEConfig.self)
        XCTAssertEqual(config.dim, 8)
        XCTAssertEqual(config.dimMult, [1, 2, 4, 4])
        XCTAssertEqual(config.temporalDownsample, [false, true, true])
        XCTAssertEqual(config.latentMean, try file.floats("constants/mean"))
        XCTAssertEqual(config.latentStd, try file.floats("constants/std"))
        XCTAssertTrue(config.stride == (4, 8, 8))
    }

    func checkEncode(on backend: any Backend, tolerance: Float) throws {
        let g = try Self.golden(on: backend)
        let video = try g.file.tensor("inputs/video", on: backend)
        let mu = try g.vae.encodeMean(video, on: backend)
        XCTAssertEqual(mu.shape, [1, 16, 3, 4, 4])
        assertMatchesGolden(try backend.download(mu), try g.file.floats("outputs/mu"), tolerance: tolerance, "mu")
        let latent = try g.vae.normalize(mu, on: backend)
        assertMatchesGolden(
            try backend.download(latent), try g.file.floats("outputs/latent_normalized"), tolerance: tolerance,
            "latent_normalized")
    }

    func checkDecode(on backend: any Backend, tolerance: Float) throws {
        let g = try Self.golden(on: backend)
        let latent = try g.file.tensor("outputs/latent_normalized", on: backend)
        let z = try g.vae.denormalize(latent, on: backend)
        assertMatchesGolden(
            try backend.download(z), try g.file.floats("intermediates/z_denormalized"), tolerance: tolerance,
            "z_denormalized")
        let raw = try g.vae.decodeUnclamped(z, on: backend)
        XCTAssertEqual(raw.shape, [1, 3, 9, 32, 32])
        assertMatchesGolden(
            try backend.download(raw), try g.file.floats("outputs/decoded_unclamped"), tolerance: tolerance,
            "decoded_unclamped")
        let pixels = try g.vae.decode(latent, on: backend)
        assertMatchesGolden(
            try backend.download(pixels), try g.file.floats("outputs/decoded"), tolerance: tolerance, "decoded")
    }

    func testEncodeMatchesGoldenOnCPU() throws {
        try checkEncode(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4)
    }

    func testDecodeMatchesGoldenOnCPU() throws {
        try checkDecode(on: try GoldenBackends.cpuBackend(), tolerance: 1e-4)
    }

    func testEncodeMatchesGoldenOnVulkan() throws {
        try checkEncode(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }

    func testDecodeMatchesGoldenOnVulkan() throws {
        try checkDecode(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }

    /// The per-layer caches make chunk boundaries invisible: chunks of 4 and of 8 frames (encoder),
    /// and 1 latent frame vs the whole clip at once (decoder), give the same numbers.
    func testChunkSizeDoesNotChangeTheResult() throws {
        let backend = try GoldenBackends.cpuBackend()
        let g = try Self.golden(on: backend)
        let video = try g.file.tensor("inputs/video", on: backend)
        let by4 = try backend.download(g.vae.encodeMean(video, on: backend, framesPerChunk: 4))
        let by8 = try backend.download(g.vae.encodeMean(video, on: backend, framesPerChunk: 8))
        assertMatchesGolden(by8, by4, tolerance: 1e-5, "mu, chunks of 8 vs 4")
        let z = try g.file.tensor("intermediates/z_denormalized", on: backend)
        let one = try backend.download(g.vae.decodeUnclamped(z, on: backend, latentFramesPerChunk: 1))
        let all = try backend.download(g.vae.decodeUnclamped(z, on: backend, latentFramesPerChunk: 3))
        assertMatchesGolden(all, one, tolerance: 1e-5, "decoded, whole clip vs 1 latent frame per chunk")
    }

    /// The whole clip as one chunk (frame 0 kept apart inside the time downsamplers, zero causal
    /// padding) gives the golden too: streaming and the whole-clip computation are the same function.
    func testWholeClipInOneChunkMatchesGolden() throws {
        let backend = try GoldenBackends.cpuBackend()
        let g = try Self.golden(on: backend)
        var cache = CausalCache(for: g.vae.encoder)
        let h = try g.vae.encoder.forward(try g.file.tensor("inputs/video", on: backend), cache: &cache, on: backend)
        let moments = try g.vae.moments(h, on: backend)
        assertMatchesGolden(
            try backend.download(moments), try g.file.floats("intermediates/moments"), tolerance: 1e-4, "moments")
    }

    /// The cache really carries the past: a clip whose first chunk changes gives a different later
    /// latent frame (with fresh caches per chunk it would not).
    func testLaterLatentFramesDependOnEarlierFrames() throws {
        let backend = try GoldenBackends.cpuBackend()
        let g = try Self.golden(on: backend)
        var values = try g.file.floats("inputs/video")
        let base = try backend.download(
            g.vae.encodeMean(try backend.upload(values, shape: [1, 3, 9, 32, 32], dtype: .f32), on: backend))
        // Change frame 0 only (the first chunk): element (c, t=0, h, w).
        for c in 0..<3 { for p in 0..<(32 * 32) { values[c * 9 * 1024 + p] *= -1 } }
        let changed = try backend.download(
            g.vae.encodeMean(try backend.upload(values, shape: [1, 3, 9, 32, 32], dtype: .f32), on: backend))
        // Latent frame 2 is elements [.., 2, .., ..]: 16 per channel-frame.
        let frame2 = (0..<16).flatMap { c in (0..<16).map { c * 48 + 32 + $0 } }
        let diff = frame2.map { abs(base[$0] - changed[$0]) }.max() ?? 0
        XCTAssertGreaterThan(diff, 1e-3, "latent frame 2 ignores frame 0")
    }

    /// Weights stored as bf16 (half the memory) keep the decode within bf16 rounding of the golden.
    func testBF16WeightsStayCloseToTheF32Golden() throws {
        let backend = try GoldenBackends.cpuBackend()
        let file = try GoldenFixture.open("wan_vae_tiny")
        let config = try GoldenFixture.config(file, as: WanVAEConfig.self)
        var reader = try WeightReader(
            checkpoint: file, rules: GoldenFixture.weightRules, backend: backend, storeAs: .bf16)
        let vae = try WanVAE.load(config: config, from: &reader)
        let z = try file.tensor("intermediates/z_denormalized", on: backend)
        let raw = try backend.download(vae.decodeUnclamped(z, on: backend))
        assertMatchesGolden(raw, try file.floats("outputs/decoded_unclamped"), tolerance: 5e-2, "bf16 decode")
        let mu = try backend.download(vae.encodeMean(try file.tensor("inputs/video", on: backend), on: backend))
        assertMatchesGolden(mu, try file.floats("outputs/mu"), tolerance: 5e-2, "bf16 encode")
    }
}
