// Shared by the VAE, Whisper and audio-chain tests: golden files, backends, whole-tensor comparison.
import Foundation
import Models
import Tensor
import TensorCPU
import TensorVulkan
import XCTest

/// Golden files under `Fixtures/` (copied from shared/goldens; conventions in its README).
enum GoldenFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The golden `name` (without extension) as a checkpoint whose `weights/` prefix is dropped.
    static func open(_ name: String) throws -> Checkpoint {
        try Checkpoint.open(folder.appendingPathComponent("\(name).safetensors"))
    }

    static let weightRules = KeyRules([.dropPrefix("weights/")])

    /// The golden's `config` metadata decoded as `T`.
    static func config<T: Decodable>(_ checkpoint: Checkpoint, as type: T.Type) throws -> T {
        guard let text = checkpoint.metadata["config"] else { throw TestFailure("no config metadata") }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// Tensor `name` on `backend` in its stored shape.
    static func tensor(_ checkpoint: Checkpoint, _ name: String, on backend: any Backend) throws -> Tensor {
        try checkpoint.tensor(name, on: backend)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Backends the golden tests run on: CPU always; Vulkan when a device exists (else XCTSkip).
enum GoldenBackends {
    static let cpu: Result<CPUBackend, Error> = Result { try CPUBackend() }
    static let vulkan: Result<VulkanBackend, Error> = Result { try VulkanBackend(policy: .anyDevice) }

    static func cpuBackend() throws -> CPUBackend { try cpu.get() }

    static func vulkanBackend() throws -> VulkanBackend {
        switch vulkan {
        case .success(let b): return b
        case .failure(let e): throw XCTSkip("no Vulkan device on this machine: \(e)")
        }
    }
}

/// Fails unless `max |actual − expected| ≤ tolerance · max(1, max |expected|)` (the tolerance is
/// relative to the output scale); returns the worst error for messages.
@discardableResult
func assertMatchesGolden(
    _ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) -> Float {
    guard actual.count == expected.count else {
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
        worst, tolerance * scale,
        "\(what): element \(at) is \(actual[at]), expected \(expected[at]) (scale \(scale))", file: file, line: line)
    return worst
}
