import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class LayoutTests: CPUTestCase {
    func testConcatAndSplitRoundTrip() throws {
        let a = HostTensor.random([2, 3, 4], seed: 500)
        let b = HostTensor.random([2, 5, 4], seed: 501)
        let c = try backend.concat([try upload(a), try upload(b).permuted([0, 1, 2])], axis: 1)
        try assertClose(c, Reference.concat([a, b], axis: 1), atol: 0, rtol: 0)
        let parts = try c.split(axis: 1, sizes: [3, 5])
        XCTAssertEqual(try backend.download(parts[1]), b.values)
        XCTAssertThrowsError(try backend.concat([try upload(a), try upload(b)], axis: 2))
    }

    func testPadModes() throws {
        let x = HostTensor.random([2, 4, 5], seed: 510)
        let padding = [AxisPadding(0, 0), AxisPadding(1, 2), AxisPadding(3, 1)]
        for mode in [PadMode.constant(0), .constant(-2.5), .replicate, .reflect] {
            try assertClose(
                try backend.pad(try upload(x), padding: padding, mode: mode), Reference.pad(x, padding, mode), atol: 0,
                rtol: 0, "\(mode)")
        }
        XCTAssertThrowsError(
            try backend.pad(
                try upload(x), padding: [AxisPadding(0, 0), AxisPadding(4, 0), AxisPadding(0, 0)], mode: .reflect))
    }

    func testResizeModesIncludingVAENearestExactUpsample() throws {
        let x = HostTensor.random([1, 2, 5, 7], seed: 520)
        for mode in [ResizeMode.nearest, .nearestExact, .linear(alignCorners: true), .linear(alignCorners: false)] {
            for (axis, size) in [(3, 14), (2, 3), (3, 4), (2, 11)] {
                try assertClose(
                    try backend.resize(try upload(x), axis: axis, size: size, mode: mode),
                    Reference.resize(x, axis: axis, size: size, mode: mode), atol: 1e-6, rtol: 1e-6,
                    "\(mode) axis \(axis) → \(size)")
            }
        }
        // Nearest-exact ×2 on H and W, as the VAE's Up2d does.
        let up = try backend.interpolate(try upload(x), size: [10, 14], mode: .nearestExact)
        let expected = Reference.resize(
            Reference.resize(x, axis: 2, size: 10, mode: .nearestExact), axis: 3, size: 14, mode: .nearestExact)
        try assertClose(up, expected, atol: 0, rtol: 0, "2x")
        XCTAssertEqual(expected[0, 1, 7, 9], x[0, 1, 3, 4])
    }

    func testReductionsOverEachAxis() throws {
        let x = HostTensor.random([3, 4, 5], seed: 530)
        for op in ReduceOp.allCases {
            for axis in 0..<3 {
                let got = try backend.reduce(op, try upload(x), axis: axis, keepDim: false)
                try assertClose(got, Reference.reduce(op, x, axis: axis), atol: 1e-5, rtol: 1e-5, "\(op) axis \(axis)")
            }
        }
        XCTAssertEqual(try backend.reduce(.sum, try upload(x), axis: -1, keepDim: true).shape, [3, 4, 1])
        XCTAssertThrowsError(try backend.reduce(.max, try backend.zeros([2, 0]), axis: 1, keepDim: false))
    }

    func testEmbeddingCastAndFill() throws {
        let table = HostTensor.random([6, 5], seed: 540)
        let got = try backend.embedding(try upload(table, .bf16), indices: [5, 0, 5, 2])
        let rounded = HalfConversion.roundTrip(table.values, through: .bf16)
        XCTAssertEqual(try backend.download(got), [5, 0, 5, 2].flatMap { Array(rounded[($0 * 5)..<($0 * 5 + 5)]) })
        XCTAssertThrowsError(try backend.embedding(try upload(table), indices: [6]))
        let filled = try backend.fill(shape: [2, 3], value: 1.5, dtype: .f16)
        XCTAssertEqual(try backend.download(filled), Array(repeating: 1.5, count: 6))
        XCTAssertEqual(try backend.cast(try upload(table), to: .f16).dtype, .f16)
    }

    func testForeignStorageIsRejected() throws {
        final class OtherStorage: TensorStorage, @unchecked Sendable { let byteCount = 64 }
        let alien = try Tensor(storage: OtherStorage(), dtype: .f32, shape: [4])
        XCTAssertThrowsError(try backend.unary(.relu, alien)) { error in
            guard case TensorError.foreignStorage = error else { return XCTFail("\(error)") }
        }
    }
}

final class BufferReuseTests: CPUTestCase {
    func testRecycledBuffersComeBackZeroedWhereZerosArePromised() throws {
        // A large result is freed into the pool; the next same-size zeros() may reuse its memory.
        let n = 100_000
        for _ in 0..<3 {
            _ = try backend.fill(shape: [n], value: 7, dtype: .f32)
            let z = try backend.zeros([n])
            XCTAssertTrue(try backend.download(z).allSatisfy { $0 == 0 })
            let storage = try backend.makeStorage(dtype: .f32, count: n)
            let t = try Tensor(storage: storage, dtype: .f32, shape: [n])
            XCTAssertTrue(try backend.download(t).allSatisfy { $0 == 0 })
        }
    }

    func testReleasingCachedMemoryEmptiesThePoolButKeepsLiveTensors() throws {
        let kept = try backend.fill(shape: [200_000], value: 2, dtype: .f32)
        _ = try backend.fill(shape: [300_000], value: 3, dtype: .f32)
        XCTAssertGreaterThanOrEqual(backend.cachedMemory, 300_000 * 4)
        XCTAssertGreaterThanOrEqual(backend.releaseCachedMemory(), 300_000 * 4)
        XCTAssertEqual(backend.cachedMemory, 0)
        XCTAssertTrue(try backend.download(kept).allSatisfy { $0 == 2 })
    }

    func testResultsStayIntactWhileOtherTensorsAreFreed() throws {
        let x = HostTensor.random([300, 100], seed: 600)
        let kept = try backend.unary(.neg, try upload(x))
        for _ in 0..<4 { _ = try backend.unary(.square, try upload(x)) }
        XCTAssertEqual(try backend.download(kept), x.values.map { -$0 })
    }
}
