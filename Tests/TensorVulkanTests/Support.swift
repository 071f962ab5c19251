// Shared test support: one Vulkan backend per test process (pipelines compile once), seeded random
// data, whole-tensor comparison with atol + rtol·|ref|.
import Tensor
import TensorVulkan
import XCTest

/// The backend every test uses, opened once; nil (with the reason) when this machine has no Vulkan.
enum SharedVulkan {
    static let backend: Result<VulkanBackend, Error> = Result { try VulkanBackend(policy: .anyDevice) }
}

class VulkanTestCase: XCTestCase {
    /// The shared backend, or an XCTSkip naming why there is none (no loader, driver or device).
    func vulkan() throws -> VulkanBackend {
        switch SharedVulkan.backend {
        case .success(let backend): return backend
        case .failure(let error): throw XCTSkip("no Vulkan device on this machine: \(error)")
        }
    }

    /// The shared device once per kernel style, so both the tiled and the direct shaders are proven
    /// whichever one this device would pick.
    func styleBackends() throws -> [VulkanBackend] {
        let shared = try vulkan()
        return KernelStyle.allCases.map { VulkanBackend(context: shared.context, kernelStyle: $0) }
    }
}

/// Deterministic pseudo-random floats (64-bit LCG, top bits), uniform in [lo, hi).
struct SeededRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }

    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24)
    }

    mutating func floats(_ count: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<count).map { _ in lo + (hi - lo) * next() }
    }
}

/// Fails unless every |actual − expected| ≤ atol + rtol·|expected|; reports the worst element.
func assertClose(
    _ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(what): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    var worst: (index: Int, excess: Float)?
    for i in actual.indices {
        let bound = atol + rtol * abs(expected[i])
        let error = abs(actual[i] - expected[i])
        if !(error <= bound) {
            let excess = error.isNaN ? .infinity : error / bound
            if worst == nil || excess > worst!.excess { worst = (i, excess) }
        }
    }
    if let worst {
        XCTFail(
            "\(what): element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index]) "
                + "(atol \(atol), rtol \(rtol))", file: file, line: line)
    }
}
