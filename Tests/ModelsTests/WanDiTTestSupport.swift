// Shared by the DiT and weights tests: the HuMo DiT goldens, backends, whole-tensor comparison.
import Foundation
import Models
import Tensor
import TensorCPU
import TensorVulkan
import XCTest

/// The DiT golden files under `Fixtures/` (copied from shared/goldens; conventions in its README §1).
enum DiTGolden {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Golden weights are stored as `weights/<original name>`.
    static let rules = KeyRules([.dropPrefix("weights/")] + KeyRules.wanDiT.rules)

    static func checkpoint(_ name: String) throws -> Checkpoint {
        try Checkpoint.open(folder.appendingPathComponent("\(name).safetensors"))
    }

    /// The model of golden `name` on `backend`, with its checkpoint.
    static func model(_ name: String, on backend: any Backend) throws -> (WanDiT, Checkpoint) {
        let c = try checkpoint(name)
        var reader = try WeightReader(checkpoint: c, rules: rules, backend: backend)
        let config = try WanCheckpoint.config(reader)
        return (try WanDiT(config: config, reader: &reader), c)
    }
}

