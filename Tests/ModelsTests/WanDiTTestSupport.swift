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

/// One CPU backend and (when a device exists) one Vulkan backend per test process.
enum DiTBackends {
    static let cpuResult: Result<CPUBackend, Error> = Result { try CPUBackend() }
    static let vulkanResult: Result<VulkanBackend, Error> = Result { try VulkanBackend(policy: .anyDevice) }

    static func cpu() throws -> CPUBackend { try cpuResult.get() }

    static func vulkan() throws -> VulkanBackend {
        switch vulkanResult {
        case .success(let b): return b
        case .failure(let e): throw XCTSkip("no Vulkan device on this machine: \(e)")
        }
    }
}

/// Fails unless `max |actual − expected| ≤ tolerance · max(1, max |expected|)`; returns the worst
/// error relative to that scale.
@discardableResult
func assertDiTClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String, file: StaticString = #filePath,
    line: UInt = #line
) -> Float {
    guard actual.count == expected.count, !expected.isEmpty else {
        XCTFail("\(what): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return .infinity
    }
    let scale = max(1, expected.reduce(0) { max($0, abs($1)) })
    var worst: Float = 0
    var at = 0
    for i in actual.indices {
        let e = abs(actual[i] - expected[i])
        if !(e <= worst) {
            worst = e.isNaN ? .infinity : e
            at = i
        }
    }
    XCTAssertLessThanOrEqual(
        worst / scale, tolerance, "\(what): element \(at) is \(actual[at]), expected \(expected[at]) (scale \(scale))",
        file: file, line: line)
    return worst / scale
}
