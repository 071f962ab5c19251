// The Wan VAE loaded from diffusers' AutoencoderKLWan names and config.json, against diffusers'
// own outputs (tools/fixtures/make_wan_vae.py): a batch of 2, 5 non-square frames.
import Foundation
import Models
import Tensor
import XCTest

final class WanVAEDiffusersTests: XCTestCase {
    static let folder = GoldenFixture.folder.appendingPathComponent("wan_vae_diffusers_tiny")

    func check(on backend: any Backend, tolerance: Float) throws {
        let vae = try WanVAE.load(checkpoint: Self.folder, backend: backend)
        XCTAssertEqual(vae.config.dim, 8)
        let io = try GoldenFixture.open("wan_vae_diffusers_tiny_io")
        let video = try io.tensor("inputs/video", on: backend)
        let mu = try vae.encodeMean(video, on: backend)
        XCTAssertEqual(mu.shape, [2, 16, 2, 2, 3])
        assertMatchesGolden(try backend.download(mu), try io.floats("outputs/mu"), tolerance: tolerance, "mu")
        let latent = try io.tensor("outputs/latent_normalized", on: backend)
        assertMatchesGolden(
            try backend.download(vae.normalize(mu, on: backend)), try io.floats("outputs/latent_normalized"),
            tolerance: tolerance, "latent")
        let raw = try vae.decodeUnclamped(try vae.denormalize(latent, on: backend), on: backend)
        assertMatchesGolden(
            try backend.download(raw), try io.floats("outputs/decoded_unclamped"), tolerance: tolerance,
            "decoded_unclamped")
        assertMatchesGolden(
            try backend.download(vae.decode(latent, on: backend)), try io.floats("outputs/decoded"),
            tolerance: tolerance, "decoded")
    }

    func testDiffusersCheckpointMatchesDiffusersOnCPU() throws {
        try check(on: try GoldenBackends.cpuBackend(), tolerance: 1e-5)
    }

    func testDiffusersCheckpointMatchesDiffusersOnVulkan() throws {
        try check(on: try GoldenBackends.vulkanBackend(), tolerance: 1e-3)
    }

    /// Every diffusers tensor maps to a model key (nothing left unused) and the sizes inferred from
    /// the weights alone equal the config.json ones.
    func testEveryDiffusersKeyIsUsedAndTheConfigCanBeInferred() throws {
        let backend = try GoldenBackends.cpuBackend()
        let checkpoint = try Checkpoint.open(Self.folder)
        let inferred = try WanVAE.inferConfig(from: checkpoint)
        let json = try JSONDecoder().decode(
            WanVAEConfig.self, from: Data(contentsOf: Self.folder.appendingPathComponent("config.json")))
        XCTAssertEqual(inferred, json)
        var reader = try WeightReader(
            checkpoint: checkpoint, rules: WanVAE.keyRules(for: checkpoint, config: json), backend: backend)
        _ = try WanVAE.load(config: json, from: &reader)
        XCTAssertEqual(reader.unusedKeys, [])
    }

    /// The original-name golden still maps to itself (the diffusers table is not applied to it).
    func testOriginalNamesAreNotRenamed() throws {
        let file = try GoldenFixture.open("wan_vae_tiny")
        let rules = WanVAE.keyRules(for: file, config: .wan21)
        XCTAssertEqual(rules, .wanVAE)
        XCTAssertEqual(rules.apply("encoder.conv1.weight"), "encoder.conv1.weight")
        XCTAssertEqual(
            KeyRules.wanVAEDiffusers(.wan21).apply("decoder.up_blocks.1.upsamplers.0.time_conv.weight"),
            "decoder.upsamples.7.time_conv.weight")
        XCTAssertEqual(
            KeyRules.wanVAEDiffusers(.wan21).apply("decoder.up_blocks.2.resnets.0.conv_shortcut.bias"),
            "decoder.upsamples.8.shortcut.bias")
    }
}
