// HuMo DiT (1.7B and 17B layouts) against the goldens computed with HuMo's own model code
// (shared/goldens/README.md §1): every intermediate, then the velocity of every branch.
import Foundation
import Models
import Tensor
import XCTest

final class HuMoGoldenTests: XCTestCase {
    let cpuTolerance: Float = 1e-4
    let vulkanTolerance: Float = 1e-3

    private func inputs(
        _ c: Checkpoint, x: String = "inputs/x", audio: Bool = true, y: String? = nil,
        on backend: any Backend
    ) throws -> WanDiTInputs {
        WanDiTInputs(
            x: try c.tensor(x, on: backend), timestep: Double(try c.floats("inputs/t")[0]),
            context: try c.tensor("inputs/context", on: backend),
            audio: audio ? try c.tensor("inputs/audio", on: backend) : nil,
            y: try y.map { try c.tensor($0, on: backend) })
    }

    func testConfigIsReadFromTheGoldenMetadata() throws {
        let (model, _) = try DiTGolden.model("humo_dit_tiny_17b", on: try GoldenBackends.cpuBackend())
        XCTAssertEqual(model.config.dim, 128)
        XCTAssertEqual(model.config.numHeads, 4)
        XCTAssertEqual(model.config.inDim, 36)
        XCTAssertEqual(model.config.textLen, 8)
        XCTAssertEqual(model.config.audio?.tokenDim, 48)
        XCTAssertEqual(model.blocks.count, 2)
    }

    func testEmbeddingsMatchTheGoldenIntermediates() throws {
        let cpu = try GoldenBackends.cpuBackend()
        for name in ["humo_dit_tiny_1p7b", "humo_dit_tiny_17b"] {
            let (model, c) = try DiTGolden.model(name, on: cpu)
            let ins = try inputs(c, y: name.hasSuffix("17b") ? "inputs/y" : nil, on: cpu)
            let (e, e0) = try model.timeEmbedding(ins.timestep, on: cpu)
            assertMatchesGolden(try cpu.download(e), try c.floats("intermediates/time_e"), tolerance: 1e-5, "\(name) time_e")
            assertMatchesGolden(try cpu.download(e0), try c.floats("intermediates/time_e0"), tolerance: 1e-5, "\(name) e0")
            let text = try model.textContext(ins.context, on: cpu)
            XCTAssertEqual(text.shape, [8, 128])
            assertMatchesGolden(
                try cpu.download(text), try c.floats("intermediates/text_ctx"), tolerance: 1e-5, "\(name) text")
            let audio = try XCTUnwrap(try model.audioTokens(ins.audio, frames: 4, on: cpu))
            assertMatchesGolden(
                try cpu.download(audio), try c.floats("intermediates/audio_tokens"), tolerance: 1e-5, "\(name) audio")
            let null = try XCTUnwrap(try model.audioTokens(nil, frames: 4, on: cpu))
            assertMatchesGolden(
                try cpu.download(null), try c.floats("intermediates/audio_tokens_null"), tolerance: 1e-5,
                "\(name) null audio")
            let tokens = try model.patchEmbedding(try model.modelInput(ins, on: cpu), on: cpu)
            assertMatchesGolden(
                try cpu.download(tokens), try c.floats("intermediates/patch_tokens"), tolerance: 1e-5, "\(name) patches"
            )
            let rope = try model.ropeTables(grid: (4, 4, 6), on: cpu)
            assertMatchesGolden(try cpu.download(rope.cos), try c.floats("intermediates/rope_cos"), tolerance: 1e-6, "cos")
            assertMatchesGolden(try cpu.download(rope.sin), try c.floats("intermediates/rope_sin"), tolerance: 1e-6, "sin")
        }
    }

    func testEachBlockAndTheHeadMatchFromTheGoldenInputs() throws {
        let cpu = try GoldenBackends.cpuBackend()
        for name in ["humo_dit_tiny_1p7b", "humo_dit_tiny_17b"] {
            let (model, c) = try DiTGolden.model(name, on: cpu)
            let ins = try inputs(c, on: cpu)
            let (e, e0) = try model.timeEmbedding(ins.timestep, on: cpu)
            let text = try model.textContext(ins.context, on: cpu)
            let audio = try model.audioTokens(ins.audio, frames: 4, on: cpu)
            let rope = try model.ropeTables(grid: (4, 4, 6), on: cpu)
            // Each block starts from the golden's previous state, so a mismatch points at one block.
            var previous = "intermediates/patch_tokens"
            for (i, block) in model.blocks.enumerated() {
                let h = try c.tensor(previous, on: cpu)
                let out = try block(h, e0: e0, text: text, audio: audio, frames: 4, rope: rope, on: cpu)
                previous = "intermediates/block\(i)_out"
                assertMatchesGolden(try cpu.download(out), try c.floats(previous), tolerance: 1e-5, "\(name) block \(i)")
            }
            let head = try model.headOutput(try c.tensor(previous, on: cpu), e: e, on: cpu)
            assertMatchesGolden(
                try cpu.download(head), try c.floats("intermediates/head_out"), tolerance: 1e-5, "\(name) head")
        }
    }

    func testHuMo1p7BVelocityMatchesEveryBranch() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let (model, c) = try DiTGolden.model("humo_dit_tiny_1p7b", on: cpu)
        let branches: [(String, WanDiTInputs)] = [
            ("outputs/velocity", try inputs(c, on: cpu)),
            ("outputs/velocity_null_audio", try inputs(c, audio: false, on: cpu)),
            ("outputs/velocity_zero_ref_null_audio", try inputs(c, x: "inputs/x_zero_ref", audio: false, on: cpu)),
        ]
        for (key, ins) in branches {
            let v = try model.velocity(ins, on: cpu)
            XCTAssertEqual(v.shape, [16, 4, 8, 12])
            assertMatchesGolden(try cpu.download(v), try c.floats(key), tolerance: cpuTolerance, key)
        }
    }

    func testHuMo17BVelocityMatchesEveryBranch() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let (model, c) = try DiTGolden.model("humo_dit_tiny_17b", on: cpu)
        let branches: [(String, WanDiTInputs)] = [
            ("outputs/velocity", try inputs(c, y: "inputs/y", on: cpu)),
            ("outputs/velocity_null_audio", try inputs(c, audio: false, y: "inputs/y", on: cpu)),
            ("outputs/velocity_y_null", try inputs(c, y: "inputs/y_null", on: cpu)),
        ]
        for (key, ins) in branches {
            let v = try model.velocity(ins, on: cpu)
            assertMatchesGolden(try cpu.download(v), try c.floats(key), tolerance: cpuTolerance, key)
        }
    }

    func testHalfPrecisionWeightsStayCloseToTheF32Golden() throws {
        // Weights stored as bf16/f16 (as real checkpoints ship) are widened inside the ops; the
        // result must stay within the README's half-precision bound (2e-2 of the output scale) and
        // must actually differ from the f32 result (the weights were really rounded).
        let cpu = try GoldenBackends.cpuBackend()
        let c = try DiTGolden.checkpoint("humo_dit_tiny_1p7b")
        let expected = try c.floats("outputs/velocity")
        for dtype in [DType.bf16, .f16] {
            var reader = try WeightReader(checkpoint: c, rules: DiTGolden.rules, backend: cpu, storeAs: dtype)
            let model = try WanDiT(config: try WanCheckpoint.config(reader), reader: &reader)
            XCTAssertEqual(model.blocks[0].ffnIn.weight.dtype, dtype)
            let v = try cpu.download(try model.velocity(try inputs(c, on: cpu), on: cpu))
            let error = assertMatchesGolden(v, expected, tolerance: 2e-2, "\(dtype) weights")
            XCTAssertGreaterThan(error, 1e-6, "\(dtype) weights should not reproduce f32 exactly")
        }
    }

    func testAConditionPreparedOnceGivesTheSameVelocityEveryStep() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let (model, c) = try DiTGolden.model("humo_dit_tiny_17b", on: cpu)
        let ins = try inputs(c, y: "inputs/y", on: cpu)
        let condition = try model.condition(context: ins.context, audio: ins.audio, frames: 4, on: cpu)
        // Two "steps": the golden timestep, then another timestep and latent, each against a fresh call.
        let other = try cpu.scalar(.mul, ins.x, 0.5)
        for (x, t) in [(ins.x, ins.timestep), (other, 400.0)] {
            let cached = try model.velocity(x: x, y: ins.y, timestep: t, condition: condition, on: cpu)
            var fresh = ins
            fresh.x = x
            fresh.timestep = t
            XCTAssertEqual(try cpu.download(cached), try cpu.download(try model.velocity(fresh, on: cpu)))
        }
        assertMatchesGolden(
            try cpu.download(
                try model.velocity(x: ins.x, y: ins.y, timestep: ins.timestep, condition: condition, on: cpu)),
            try c.floats("outputs/velocity"), tolerance: cpuTolerance, "cached condition")
        let wrongFrames = try cpu.zeros([16, 3, 8, 12])
        XCTAssertThrowsError(
            try model.velocity(
                x: wrongFrames, y: try cpu.zeros([20, 3, 8, 12]), timestep: 1, condition: condition, on: cpu)
        ) { XCTAssertTrue("\($0)".contains("4 latent frames"), "\($0)") }
    }

    func testReferenceHelpersBuildTheGoldenInputs() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let small = try DiTGolden.checkpoint("humo_dit_tiny_1p7b")
        let noisy = try small.tensor("inputs/latent_noisy", on: cpu)
        let ref = try small.tensor("inputs/ref_latent", on: cpu)
        XCTAssertEqual(
            try cpu.download(try HuMoReference.replaceLastFrames(noisy, with: ref, on: cpu)),
            try small.floats("inputs/x"))
        XCTAssertEqual(
            try cpu.download(try HuMoReference.replaceLastFrames(noisy, with: nil, on: cpu)),
            try small.floats("inputs/x_zero_ref"))

        let big = try DiTGolden.checkpoint("humo_dit_tiny_17b")
        let zeroVAE = try big.tensor("inputs/zero_vae", on: cpu)
        let bigRef = try big.tensor("inputs/ref_latent", on: cpu)
        let y = try HuMoReference.conditioning(zeroVAE: zeroVAE, ref: bigRef, frames: 4, on: cpu)
        XCTAssertEqual(try cpu.download(y), try big.floats("inputs/y"))
        let yNull = try HuMoReference.conditioning(zeroVAE: zeroVAE, ref: nil, frames: 4, on: cpu)
        XCTAssertEqual(try cpu.download(yNull), try big.floats("inputs/y_null"))
    }

    func testVelocityOnVulkanMatchesBothLayouts() throws {
        let gpu = try GoldenBackends.vulkanBackend()
        for (name, y) in [("humo_dit_tiny_1p7b", nil), ("humo_dit_tiny_17b", "inputs/y")] as [(String, String?)] {
            let (model, c) = try DiTGolden.model(name, on: gpu)
            let v = try model.velocity(try inputs(c, y: y, on: gpu), on: gpu)
            assertMatchesGolden(
                try gpu.download(v), try c.floats("outputs/velocity"), tolerance: vulkanTolerance, "\(name) vulkan")
            let n = try model.velocity(try inputs(c, audio: false, y: y, on: gpu), on: gpu)
            assertMatchesGolden(
                try gpu.download(n), try c.floats("outputs/velocity_null_audio"), tolerance: vulkanTolerance,
                "\(name) vulkan null audio")
        }
    }

    func testBadInputsGiveErrorsNamingTheInput() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let (model, c) = try DiTGolden.model("humo_dit_tiny_17b", on: cpu)
        let ins = try inputs(c, on: cpu)
        XCTAssertThrowsError(try model.velocity(ins, on: cpu)) { error in
            XCTAssertTrue("\(error)".contains("channels"), "\(error)")
        }
        var wrongAudio = try inputs(c, y: "inputs/y", on: cpu)
        wrongAudio.audio = try cpu.zeros([3, 8, 5, 16])
        XCTAssertThrowsError(try model.velocity(wrongAudio, on: cpu)) {
            XCTAssertTrue("\($0)".contains("audio"), "\($0)")
        }
        var longText = try inputs(c, y: "inputs/y", on: cpu)
        longText.context = try cpu.zeros([9, 32])
        XCTAssertThrowsError(try model.velocity(longText, on: cpu)) {
            XCTAssertTrue("\($0)".contains("context"), "\($0)")
        }
        var oddSize = try inputs(c, y: "inputs/y", on: cpu)
        oddSize.x = try cpu.zeros([16, 4, 7, 12])
        XCTAssertThrowsError(try model.velocity(oddSize, on: cpu))
    }
}
