import Tensor
import TensorVulkan
import XCTest

/// A shader loop longer than a CPU implementation of Vulkan runs correctly is refused, never cut short.
final class LoopLimitTests: VulkanTestCase {
    private var isCPUImplementation: Bool {
        get throws {
            let cpuKinds: [DeviceDescription.Kind] = [.softwareGPU, .cpu]
            return cpuKinds.contains(try vulkan().device.kind)
        }
    }

    func testReductionOverAnAxisBeyondTheLoopLimitIsRefusedOnACPUImplementation() throws {
        let backend = try vulkan()
        let n = 70_000
        let x = try backend.upload([Float](repeating: 1, count: n), shape: [n], dtype: .f32)
        if try isCPUImplementation {
            XCTAssertThrowsError(try backend.reduce(.sum, x, axis: 0, keepDim: false)) { error in
                guard case TensorError.invalidArgument(let message) = error, message.contains("loop iterations") else {
                    return XCTFail("\(error)")
                }
            }
        } else {
            XCTAssertEqual(try backend.download(try backend.reduce(.sum, x, axis: 0, keepDim: false)), [Float(n)])
        }
        // Within the budget the same reduction runs and is exact (40,000 ones).
        let short = try backend.upload([Float](repeating: 1, count: 40_000), shape: [40_000], dtype: .f32)
        XCTAssertEqual(try backend.download(try backend.reduce(.sum, short, axis: 0, keepDim: false)), [40_000])
    }

    func testDirectGEMMWithAnInnerSizeBeyondTheLoopLimitIsRefusedOnACPUImplementation() throws {
        guard try isCPUImplementation else { throw XCTSkip("GPUs have no loop limit") }
        let backend = VulkanBackend(context: try vulkan().context, kernelStyle: .direct)
        // K = 50,001 (odd: read one value at a time) passes the 48,000-iteration budget.
        let k = 50_001
        let a = try backend.zeros([1, k])
        let b = try backend.zeros([k, 1])
        XCTAssertThrowsError(try backend.matmul(a, b)) { error in
            guard case TensorError.invalidArgument(let message) = error, message.contains("K of 50001") else {
                return XCTFail("\(error)")
            }
        }
    }
}
