// Bad inputs and bad checkpoints give errors that name the problem, never a trap.
import Foundation
import Models
import Tensor
import XCTest

final class WanVAEInputTests: XCTestCase {
    func testVideoOfWrongFrameCountOrSizeIsRejected() throws {
        let backend = try GoldenBackends.cpuBackend()
        let vae = try WanVAEGoldenTests.golden(on: backend).vae
        for shape in [[1, 3, 8, 32, 32], [1, 3, 9, 30, 32], [1, 4, 9, 32, 32], [3, 9, 32, 32], [1, 3, 0, 32, 32]] {
            let x = try backend.zeros(shape)
            XCTAssertThrowsError(try vae.encodeMean(x, on: backend), "\(shape)") { error in
                XCTAssertTrue("\(error)".contains("video"), "\(error)")
            }
        }
        XCTAssertThrowsError(try vae.encodeMean(try backend.zeros([1, 3, 9, 32, 32]), on: backend, framesPerChunk: 3))
        for shape in [[1, 15, 3, 4, 4], [16, 3, 4, 4], [1, 16, 0, 4, 4]] {
            XCTAssertThrowsError(try vae.decode(try backend.zeros(shape), on: backend), "\(shape)")
        }
    }

    func testCheckpointWithoutAWeightNamesIt() throws {
        let backend = try GoldenBackends.cpuBackend()
        let file = try GoldenFixture.open("wan_vae_tiny")
        let config = try GoldenFixture.config(file, as: WanVAEConfig.self)
        // Hide one weight by renaming it away.
        let rules = KeyRules([
            .dropPrefix("weights/"), .replace("decoder.upsamples.7.time_conv.weight", "hidden.time_conv.weight"),
        ])
        var reader = try WeightReader(checkpoint: file, rules: rules, backend: backend)
        XCTAssertThrowsError(try WanVAE.load(config: config, from: &reader)) { error in
            XCTAssertTrue("\(error)".contains("decoder.upsamples.7.time_conv.weight"), "\(error)")
        }
    }

    func testConfigOfTheWrongSizeNamesTheMisshapedWeights() throws {
        let backend = try GoldenBackends.cpuBackend()
        let file = try GoldenFixture.open("wan_vae_tiny")
        var reader = try WeightReader(checkpoint: file, rules: GoldenFixture.weightRules, backend: backend)
        // The real dim 96 against the tiny (dim 8) file.
        XCTAssertThrowsError(try WanVAE.load(config: .wan21, from: &reader)) { error in
            XCTAssertTrue(
                "\(error)".contains("decoder.conv1.weight: expected [384, 16, 3, 3, 3], found [32, 16, 3, 3, 3]"),
                "\(error)")
        }
        XCTAssertThrowsError(try WanVAEConfig(dimMult: [1, 2], temporalDownsample: [true, true]).validate())
        XCTAssertThrowsError(try WanVAEConfig(latentStd: Array(repeating: 0, count: 16)).validate())
    }
}
