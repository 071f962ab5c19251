import Tensor
import TensorVulkan
import XCTest

/// GEMM paths against the Double-accumulating naive product. f32 tolerance: 1e-4 abs + 1e-4 rel.
final class LinearAlgebraTests: VulkanTestCase {
    func testLinearMatchesNaiveForOddSizesAndEveryWeightDType() throws {
        for backend in try styleBackends() { try linearMatchesNaiveForOddSizesAndEveryWeightDType(backend) }
    }

    private func linearMatchesNaiveForOddSizesAndEveryWeightDType(_ backend: VulkanBackend) throws {
        var random = SeededRandom(2)
        // 141 rows = 18 blocks of 8: one full panel of 16 and a partial one. in = 70 reads k one value
        // at a time; in = 72 takes the 4-at-a-time path of the direct kernel.
        for (rows, inF, outF) in [(141, 70, 45), (141, 72, 45)] {
            let x = random.floats(rows * inF)
            let w = random.floats(outF * inF)
            let bias = random.floats(outF)
            for dtype in DType.allCases {
                // The reference uses the weights as stored, so only the product's rounding is compared.
                let stored = HalfConversion.roundTrip(w, through: dtype)
                let expected = Reference.linear(x, stored, bias, rows: rows, inF: inF, outF: outF)
                let y = try backend.linear(
                    try backend.upload(x, shape: [rows, inF], dtype: .f32),
                    weight: try backend.upload(w, shape: [outF, inF], dtype: dtype),
                    bias: try backend.upload(bias, shape: [outF], dtype: .f32))
                XCTAssertEqual(y.shape, [rows, outF])
                assertClose(
                    try backend.download(y), expected, atol: 1e-4, rtol: 1e-4,
                    "linear in \(inF) \(dtype) \(backend.kernelStyle)")
            }
        }
    }

    func testHalfWeightsStayWithinTheirRoundingOfTheF32Result() throws {
        for backend in try styleBackends() { try halfWeightsStayWithinTheirRoundingOfTheF32Result(backend) }
    }

    private func halfWeightsStayWithinTheirRoundingOfTheF32Result(_ backend: VulkanBackend) throws {
        var random = SeededRandom(3)
        let (rows, inF, outF) = (9, 128, 33)
        let x = random.floats(rows * inF)
        let w = random.floats(outF * inF)
        let xt = try backend.upload(x, shape: [rows, inF], dtype: .f32)
        let full = try backend.download(
            try backend.linear(xt, weight: try backend.upload(w, shape: [outF, inF], dtype: .f32), bias: nil))
        // Σ|x·δw| with |δw| ≤ 2⁻¹¹|w| (f16) or 2⁻⁸|w| (bf16) bounds the change, ≈ 128·0.5·2⁻ᵖ.
        for (dtype, bound) in [(DType.f16, Float(0.04)), (.bf16, 0.3)] {
            let half = try backend.download(
                try backend.linear(xt, weight: try backend.upload(w, shape: [outF, inF], dtype: dtype), bias: nil))
            assertClose(half, full, atol: bound, rtol: 0, "\(dtype) vs f32")
        }
    }

    func testLinearReadsNonContiguousRowsAndLeadingAxes() throws {
        for backend in try styleBackends() { try linearReadsNonContiguousRowsAndLeadingAxes(backend) }
    }

    private func linearReadsNonContiguousRowsAndLeadingAxes(_ backend: VulkanBackend) throws {
        var random = SeededRandom(4)
        let x = random.floats(2 * 5 * 24)
        let w = random.floats(7 * 12)
        // x [2, 5, 24] narrowed to its last 12 features: a strided view with an offset.
        let view = try backend.upload(x, shape: [2, 5, 24], dtype: .f32).narrowed(axis: 2, start: 12, length: 12)
        let y = try backend.linear(view, weight: try backend.upload(w, shape: [7, 12], dtype: .f32), bias: nil)
        XCTAssertEqual(y.shape, [2, 5, 7])
        let rows = (0..<10).flatMap { r in x[(r * 24 + 12)..<(r * 24 + 24)] }
        assertClose(
            try backend.download(y), Reference.linear(rows, w, nil, rows: 10, inF: 12, outF: 7), atol: 1e-4, rtol: 1e-4)
    }

    func testBatchedMatmulWithTransposesAndBroadcastBatch() throws {
        for backend in try styleBackends() { try batchedMatmulWithTransposesAndBroadcastBatch(backend) }
    }

    private func batchedMatmulWithTransposesAndBroadcastBatch(_ backend: VulkanBackend) throws {
        var random = SeededRandom(5)
        let (batch, m, k, n) = (3, 19, 66, 23)
        let a = random.floats(batch * m * k)
        let b = random.floats(k * n)
        let expected = Reference.matmul(
            a, Array(repeating: b, count: batch).flatMap { $0 }, batch: batch, m: m, k: k, n: n)
        let at = try backend.upload(a, shape: [batch, m, k], dtype: .f32)
        let bt = try backend.upload(b, shape: [k, n], dtype: .f32)
        assertClose(try backend.download(try backend.matmul(at, bt)), expected, atol: 1e-4, rtol: 1e-4, "plain")
        // The same product from transposed storage: Aᵀ stored [batch, k, m], Bᵀ stored [n, k].
        let aT = try backend.contiguous(try at.transposed(1, 2))
        let bT = try backend.contiguous(try bt.transposed(0, 1))
        let y = try backend.matmul(aT, bT, transposeA: true, transposeB: true)
        XCTAssertEqual(y.shape, [batch, m, n])
        assertClose(try backend.download(y), expected, atol: 1e-4, rtol: 1e-4, "transposed")
    }

    func testMismatchedInnerSizesThrowShapeMismatch() throws {
        let backend = try vulkan()
        let a = try backend.zeros([4, 5])
        let b = try backend.zeros([6, 3])
        XCTAssertThrowsError(try backend.matmul(a, b)) { error in
            guard case TensorError.shapeMismatch(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("matmul"), message)
        }
        XCTAssertThrowsError(try backend.linear(a, weight: b, bias: nil))
    }
}
