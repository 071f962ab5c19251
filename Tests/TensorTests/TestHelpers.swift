import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

/// Shared setup: one CPU backend per test case class, comparison helpers.
class CPUTestCase: XCTestCase {
    var backend: CPUBackend!

    override func setUpWithError() throws {
        backend = try CPUBackend()
    }

    func upload(_ h: HostTensor, _ dtype: DType = .f32) throws -> Tensor {
        try backend.upload(h.values, shape: h.shape, dtype: dtype)
    }

    /// Asserts shape equality and |actual − expected| ≤ atol + rtol·|expected| for every element.
    func assertClose(
        _ actual: Tensor, _ expected: HostTensor, atol: Float = 1e-5, rtol: Float = 1e-5,
        _ what: String = "", file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(actual.shape, expected.shape, "shape \(what)", file: file, line: line)
        let values = try backend.download(actual)
        if let problem = Closeness.check(values, expected.values, atol: atol, rtol: rtol) {
            XCTFail("\(what): \(problem)", file: file, line: line)
        }
    }
}
