// Shared by the TextTests files: backends and the whole-tensor comparison.
import Foundation
import Models
import Tensor
import TensorCPU
import TensorVulkan
import XCTest

enum TextBackends {
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

/// Fails unless `max |actual − expected| ≤ tolerance · max(1, max |expected|)`; returns that relative error.
@discardableResult
func assertClose(
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

extension Checkpoint {
    /// A tensor stored as f32 that holds integers (token ids).
    func ids(_ name: String) throws -> [Int] { try floats(name).map { Int($0) } }
}
