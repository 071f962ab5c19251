// PyTorch `torch.save` checkpoints read directly (tools/fixtures/make_torch_checkpoints.py wrote the
// fixtures with torch itself), and hostile pickles refused by name without running anything.
import Foundation
import Models
import Tensor
import XCTest

final class TorchCheckpointTests: XCTestCase {
    static let folder = DiTGolden.folder.appendingPathComponent("torch")

    func open(_ name: String) throws -> Checkpoint { try Checkpoint.open(Self.folder.appendingPathComponent(name)) }

    func bytes(_ c: Checkpoint, _ name: String) throws -> [UInt8] {
        let (file, _) = try c.locate(name)
        return try file.withBytes(name) { [UInt8]($0) }
    }

    func testAStateDictGivesEveryTensorBitForBitIncludingSharedStorageAndOffsets() throws {
        let expected = try open("expected.safetensors")
        for file in ["state_dict.pth", "nested.pth"] {
            let pth = try open(file)
            XCTAssertEqual(pth.names, expected.names, file)
            for name in expected.names {
                let (_, e) = try expected.locate(name)
                let (_, p) = try pth.locate(name)
                XCTAssertEqual(p.dtype, e.dtype, "\(file) \(name)")
                XCTAssertEqual(p.shape, e.shape, "\(file) \(name)")
                XCTAssertEqual(try bytes(pth, name), try bytes(expected, name), "\(file) \(name)")
            }
        }
        XCTAssertEqual(try open("state_dict.pth").floats("shared.view"), [2, 3, 4, 5])
    }

    func testTheHuMoDiTLoadsFromATorchSaveStateDict() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let golden = try DiTGolden.checkpoint("humo_dit_tiny_1p7b")
        let config = try WanCheckpoint.config(try WeightReader(checkpoint: golden, rules: DiTGolden.rules, backend: cpu))
        let (model, unused) = try WanCheckpoint.load(
            Self.folder.appendingPathComponent("humo_dit_tiny_1p7b_bf16.pth"), on: cpu, config: config)
        XCTAssertEqual(unused, [])
        XCTAssertEqual(model.blocks[0].ffnIn.weight.dtype, .bf16)
        let v = try model.velocity(
            WanDiTInputs(
                x: try golden.tensor("inputs/x", on: cpu), timestep: Double(try golden.floats("inputs/t")[0]),
                context: try golden.tensor("inputs/context", on: cpu), audio: try golden.tensor("inputs/audio", on: cpu)),
            on: cpu)
        assertMatchesGolden(try cpu.download(v), try golden.floats("outputs/velocity"), tolerance: 2e-2, "DiT from .pth (bf16)")
    }

    func testHostilePicklesAreRefusedByNameAndNothingRuns() throws {
        let cases = [
            ("hostile_os_system.pth", "refusing global 'posix.system'"),
            ("hostile_eval.pth", "refusing global '__builtin__.eval'"),  // protocol 2 spells builtins so
            ("hostile_deep.pth", "nesting deeper than 1000"),
            ("truncated.pth", "no end-of-central-directory record"),
        ]
        for (file, expected) in cases {
            XCTAssertThrowsError(try open(file), file) { XCTAssertTrue("\($0)".contains(expected), "\(file): \($0)") }
        }
    }
}
