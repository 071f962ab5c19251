import Tensor
import TensorVulkan
import XCTest

/// Copies, casts, concat, pad, resize and embedding against index-by-index host references.
final class LayoutTests: VulkanTestCase {
    func testContiguousOfPermutedViewReordersElements() throws {
        let backend = try vulkan()
        let values = (0..<60).map(Float.init)
        let x = try backend.upload(values, shape: [3, 4, 5], dtype: .f16).permuted([2, 0, 1])
        let y = try backend.contiguous(x)
        XCTAssertTrue(y.isContiguous)
        XCTAssertEqual(y.dtype, .f16)
        let expected = (0..<60).map { i -> Float in
            let (a, b, c) = (i / 12, (i / 4) % 3, i % 4)  // y[a, b, c] = x[b, c, a]
            return values[b * 20 + c * 5 + a]
        }
        XCTAssertEqual(try backend.download(y), expected)
    }

    func testCastRoundsToNearestEvenBitExactlyLikeTheHost() throws {
        let backend = try vulkan()
        var random = SeededRandom(17)
        // Normal range plus f16 overflow, ties and tiny values (f16 subnormals); no f32 subnormals,
        // which GPUs may flush.
        var values = random.floats(999, -70000, 70000) + random.floats(500, -1e-3, 1e-3)
        values += [
            1 + 0x1p-11, 1 + 3 * 0x1p-11, 65520, -65519, 0x1p-24, 0x1p-25, 1.5 * 0x1p-24, .infinity, -.infinity, 0,
        ]
        let x = try backend.upload(values, shape: [values.count], dtype: .f32)
        for dtype in [DType.f16, .bf16] {
            let y = try backend.cast(x, to: dtype)
            XCTAssertEqual(y.dtype, dtype)
            XCTAssertEqual(try backend.downloadBytes(y), HalfConversion.encode(values, as: dtype), "\(dtype)")
        }
    }

    func testConcatAlongMiddleAxisConvertsToFirstDType() throws {
        let backend = try vulkan()
        let a = (0..<12).map(Float.init)
        let b = (100..<106).map(Float.init)
        let y = try backend.concat(
            [
                try backend.upload(a, shape: [2, 2, 3], dtype: .bf16),
                try backend.upload(b, shape: [2, 1, 3], dtype: .f32),
            ],
            axis: 1)
        XCTAssertEqual(y.shape, [2, 3, 3])
        XCTAssertEqual(y.dtype, .bf16)
        XCTAssertEqual(try backend.download(y), [0, 1, 2, 3, 4, 5, 100, 101, 102, 6, 7, 8, 9, 10, 11, 103, 104, 105])
        XCTAssertThrowsError(
            try backend.concat([try backend.zeros([2, 2]), try backend.zeros([3, 3])], axis: 0))
    }

    func testPadModesMatchTorchSemantics() throws {
        let backend = try vulkan()
        let x = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .f32)
        let padding = [AxisPadding(1, 0), AxisPadding(2, 1)]
        XCTAssertEqual(
            try backend.download(try backend.pad(x, padding: padding, mode: .constant(-1))),
            [-1, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, -1, -1, -1, 4, 5, 6, -1])
        XCTAssertEqual(
            try backend.download(try backend.pad(x, padding: padding, mode: .replicate)),
            [1, 1, 1, 2, 3, 3, 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6])
        XCTAssertEqual(
            try backend.download(try backend.pad(x, padding: padding, mode: .reflect)),
            [6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5])
        XCTAssertThrowsError(try backend.pad(x, padding: [AxisPadding(2, 0), AxisPadding(0, 0)], mode: .reflect))
    }

    func testResizeModesMatchTheirIndexFormulas() throws {
        let backend = try vulkan()
        let x = try backend.upload([0, 10, 20, 30, 40], shape: [1, 5, 1], dtype: .f32)
        XCTAssertEqual(try backend.download(try backend.resize(x, axis: 1, size: 3, mode: .nearest)), [0, 10, 30])
        XCTAssertEqual(try backend.download(try backend.resize(x, axis: 1, size: 3, mode: .nearestExact)), [0, 20, 40])
        XCTAssertEqual(
            try backend.download(try backend.resize(x, axis: 1, size: 9, mode: .linear(alignCorners: true))),
            [0, 5, 10, 15, 20, 25, 30, 35, 40])
        // Half-pixel: src = (i + 0.5)·5/2 − 0.5 = 0.75, 3.25.
        assertClose(
            try backend.download(try backend.resize(x, axis: 1, size: 2, mode: .linear(alignCorners: false))),
            [7.5, 32.5],
            atol: 1e-5, rtol: 0)
        let up = try backend.interpolate(
            try backend.upload([1, 2, 3, 4], shape: [1, 1, 2, 2], dtype: .f32), size: [4, 4], mode: .nearestExact)
        XCTAssertEqual(try backend.download(up), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    func testEmbeddingGathersRowsOfAHalfTableAndRejectsBadIndices() throws {
        let backend = try vulkan()
        var random = SeededRandom(18)
        let table = random.floats(7 * 5)
        let t = try backend.upload(table, shape: [7, 5], dtype: .f16)
        let y = try backend.embedding(t, indices: [6, 0, 3, 3])
        let stored = HalfConversion.roundTrip(table, through: .f16)
        XCTAssertEqual(try backend.download(y), [6, 0, 3, 3].flatMap { stored[($0 * 5)..<($0 * 5 + 5)] })
        XCTAssertThrowsError(try backend.embedding(t, indices: [7])) { error in
            guard case TensorError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("7"), message)
        }
    }

    func testFillAndZerosInEveryDType() throws {
        let backend = try vulkan()
        for dtype in DType.allCases {
            XCTAssertEqual(
                try backend.download(try backend.fill(shape: [3, 3], value: -2.5, dtype: dtype)),
                Array(repeating: -2.5, count: 9))
            XCTAssertEqual(try backend.download(try backend.zeros([5], dtype: dtype)), Array(repeating: 0, count: 5))
        }
    }
}

/// Absurd sizes from user data are errors, never traps.
final class HostileSizeTests: VulkanTestCase {
    func testOverflowingShapesAndSizesThrow() throws {
        let backend = try vulkan()
        XCTAssertThrowsError(try backend.fill(shape: [Int.max / 2, 4], value: 0, dtype: .f32))
        XCTAssertThrowsError(try backend.fill(shape: [3, -1], value: 0, dtype: .f32))
        XCTAssertThrowsError(try backend.makeStorage(dtype: .f32, count: -5))
        XCTAssertThrowsError(try backend.upload([1, 2], shape: [Int.max, 2], dtype: .f32))
        let x = try backend.zeros([2, 3])
        XCTAssertThrowsError(
            try backend.pad(x, padding: [AxisPadding(Int.max, 0), AxisPadding(0, 0)], mode: .constant(0)))
        XCTAssertThrowsError(try backend.resize(x, axis: 1, size: Int.max, mode: .nearest))
        XCTAssertThrowsError(try backend.resize(x, axis: 5, size: 2, mode: .nearest))
        // Above the 2³¹ elements a shader can index, though the product itself fits an Int.
        XCTAssertThrowsError(try backend.fill(shape: [1 << 20, 1 << 12], value: 0, dtype: .f32))
    }
}
