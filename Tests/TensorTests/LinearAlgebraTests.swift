import Foundation
import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class LinearAlgebraTests: CPUTestCase {
    func testMatmulMatchesNaiveForAllTransposesOnOddSizes() throws {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let (m, k, n) = (13, 37, 9)
            let a = HostTensor.random(ta ? [k, m] : [m, k], seed: 60)
            let b = HostTensor.random(tb ? [n, k] : [k, n], seed: 61)
            let got = try backend.matmul(try upload(a), try upload(b), transposeA: ta, transposeB: tb)
            try assertClose(
                got, try Reference.matmul(a, b, transposeA: ta, transposeB: tb), atol: 1e-4, rtol: 1e-4,
                "ta \(ta) tb \(tb)")
        }
    }

    func testBatchedMatmulBroadcastsBatchAxes() throws {
        let a = HostTensor.random([2, 3, 5, 7], seed: 62)
        let shared = HostTensor.random([7, 4], seed: 63)
        try assertClose(
            try backend.matmul(try upload(a), try upload(shared)), try Reference.matmul(a, shared), atol: 1e-4,
            rtol: 1e-4, "shared B")
        let perBatch = HostTensor.random([3, 7, 4], seed: 64)
        try assertClose(
            try backend.matmul(try upload(a), try upload(perBatch)), try Reference.matmul(a, perBatch), atol: 1e-4,
            rtol: 1e-4, "broadcast batch")
        let b1 = HostTensor.random([2, 1, 7, 4], seed: 65)
        try assertClose(
            try backend.matmul(try upload(a), try upload(b1)), try Reference.matmul(a, b1), atol: 1e-4, rtol: 1e-4,
            "size-1 batch")
    }

    func testMatmulReadsTransposedAndPermutedViewsInPlace() throws {
        // Q·Kᵀ per head from [L, H, D] views, the attention layout.
        let q = HostTensor.random([11, 3, 8], seed: 66)
        let k = HostTensor.random([17, 3, 8], seed: 67)
        let qh = try upload(q).permuted([1, 0, 2])
        let kh = try upload(k).permuted([1, 0, 2])
        let got = try backend.matmul(qh, kh, transposeA: false, transposeB: true)
        let expected = try Reference.matmul(
            Reference.permute(q, [1, 0, 2]), Reference.permute(k, [1, 0, 2]), transposeB: true)
        try assertClose(got, expected, atol: 1e-4, rtol: 1e-4)
        XCTAssertThrowsError(try backend.matmul(try upload(q), try upload(q)))
    }

    func testLinearMatchesNaiveWithAndWithoutBias() throws {
        let x = HostTensor.random([2, 7, 48], seed: 70)
        let w = HostTensor.random([29, 48], seed: 71, scale: 0.2)
        let b = HostTensor.random([29], seed: 72)
        try assertClose(
            try backend.linear(try upload(x), weight: try upload(w), bias: try upload(b)), Reference.linear(x, w, b),
            atol: 1e-4, rtol: 1e-4, "bias")
        try assertClose(
            try backend.linear(try upload(x), weight: try upload(w), bias: nil), Reference.linear(x, w, nil),
            atol: 1e-4, rtol: 1e-4, "no bias")
        // A strided x (every other token) and a weight given as a transposed view.
        let xs = try upload(x).strided(axis: 1, start: 1, step: 2, count: 3)
        let wt = try upload(Reference.permute(w, [1, 0])).transposed(0, 1)
        let xsHost = HostTensor([2, 3, 48], try backend.download(xs))
        try assertClose(
            try backend.linear(xs, weight: wt, bias: nil), Reference.linear(xsHost, w, nil), atol: 1e-4, rtol: 1e-4,
            "views")
    }

    func testHalfWeightsGiveTheProductOfTheRoundedWeights() throws {
        // The half path must equal the f32 product of the rounded weights (tight), and be close to
        // the f32 product of the original weights (loose, the rounding error itself).
        let x = HostTensor.random([9, 96], seed: 73)
        let w = HostTensor.random([40, 96], seed: 74, scale: 0.1)
        let b = HostTensor.random([40], seed: 75)
        for dt in [DType.f16, .bf16] {
            let rounded = HostTensor(w.shape, HalfConversion.roundTrip(w.values, through: dt))
            let got = try backend.linear(try upload(x), weight: try upload(w, dt), bias: try upload(b))
            try assertClose(got, Reference.linear(x, rounded, b), atol: 1e-4, rtol: 1e-4, "\(dt) exact")
            try assertClose(got, Reference.linear(x, w, b), atol: dt == .f16 ? 5e-3 : 4e-2, rtol: 1e-2, "\(dt) vs f32")
        }
    }

    func testLinearRejectsMismatchedShapes() throws {
        let x = try upload(.random([3, 8], seed: 1))
        XCTAssertThrowsError(try backend.linear(x, weight: try upload(.random([4, 7], seed: 2)), bias: nil))
        XCTAssertThrowsError(
            try backend.linear(
                x, weight: try upload(.random([4, 8], seed: 2)), bias: try upload(.random([5], seed: 3))))
    }
}

final class ConcurrencyTests: XCTestCase {
    /// Two effect instances may render at once: two backends used from two threads at the same time
    /// must both give the reference result (no shared mutable state, OpenBLAS called concurrently).
    func testTwoBackendsRunConcurrentlyWithCorrectResults() throws {
        let x = HostTensor.random([64, 96], seed: 950)
        let w = HostTensor.random([80, 96], seed: 951, scale: 0.1)
        let q = HostTensor.random([1, 70, 2, 16], seed: 952)
        let expectedLinear = Reference.linear(x, w, nil).values
        let expectedAttention = Reference.attention(q: q, k: q, v: q, scale: 0.25).values
        let backends = [try CPUBackend(), try CPUBackend(attentionTile: (16, 24))]
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                let be = backends[i]
                for _ in 0..<5 {
                    let y = try be.linear(
                        try be.upload(x.values, shape: x.shape, dtype: .f32),
                        weight: try be.upload(w.values, shape: w.shape, dtype: .f32), bias: nil)
                    if let p = Closeness.check(try be.download(y), expectedLinear, atol: 1e-4, rtol: 1e-4) {
                        failures.add("linear on backend \(i): \(p)")
                    }
                    let qt = try be.upload(q.values, shape: q.shape, dtype: .f32)
                    let o = try be.attention(q: qt, k: qt, v: qt, scale: 0.25)
                    if let p = Closeness.check(try be.download(o), expectedAttention, atol: 1e-5, rtol: 1e-4) {
                        failures.add("attention on backend \(i): \(p)")
                    }
                }
            } catch {
                failures.add("backend \(i) threw \(error)")
            }
        }
        XCTAssertEqual(failures.messages, [])
    }
}

/// Thread-safe list of failure messages collected on worker threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ m: String) {
        lock.lock()
        list.append(m)
        lock.unlock()
    }
    var messages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}
