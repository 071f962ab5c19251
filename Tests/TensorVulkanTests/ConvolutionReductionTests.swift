import Tensor
import XCTest

@testable import TensorVulkan

/// Convolutions against the direct (no im2col) Double reference; reductions against host loops.
final class ConvolutionReductionTests: VulkanTestCase {
    func testConv1dWithStrideDilationAndGroups() throws {
        try checkConv(
            xShape: [2, 6, 29], wShape: [4, 3, 5], dtype: .f32,
            geometry: try ConvGeometry(
                spatialRank: 1, stride: [2], padding: [AxisPadding(3, 1)], dilation: [2], groups: 2))
    }

    func testConv2dWithF16WeightsAndAsymmetricPadding() throws {
        try checkConv(
            xShape: [1, 5, 11, 9], wShape: [7, 5, 3, 3], dtype: .f16,
            geometry: try ConvGeometry(spatialRank: 2, stride: [1, 2], padding: [.symmetric(1), AxisPadding(0, 2)]))
    }

    func testCausalConv3dPadsOnlyThePast() throws {
        try checkConv(
            xShape: [2, 4, 5, 6, 7], wShape: [3, 4, 3, 3, 3], dtype: .bf16,
            geometry: try ConvGeometry.causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)))
    }

    private func checkConv(xShape: [Int], wShape: [Int], dtype: DType, geometry: ConvGeometry) throws {
        for backend in try styleBackends() {
            try checkConv(backend, xShape: xShape, wShape: wShape, dtype: dtype, geometry: geometry)
        }
    }

    private func checkConv(_ backend: VulkanBackend, xShape: [Int], wShape: [Int], dtype: DType, geometry: ConvGeometry)
        throws
    {
        var random = SeededRandom(UInt64(xShape.reduce(1, *)))
        let x = random.floats(xShape.reduce(1, *))
        let w = HalfConversion.roundTrip(random.floats(wShape.reduce(1, *)), through: dtype)
        let bias = random.floats(wShape[0])
        let y = try backend.conv(
            try backend.upload(x, shape: xShape, dtype: .f32),
            weight: try backend.upload(w, shape: wShape, dtype: dtype),
            bias: try backend.upload(bias, shape: [wShape[0]], dtype: .f32), geometry: geometry)
        let n = geometry.spatialRank
        let outSpatial = try geometry.outputSize(input: Array(xShape.suffix(n)), kernel: Array(wShape.suffix(n)))
        XCTAssertEqual(y.shape, [xShape[0], wShape[0]] + outSpatial)
        let expected = Reference.conv(
            x, xShape: xShape, w, wShape: wShape, bias: bias, stride: geometry.stride,
            padBefore: geometry.padding.map(\.before), dilation: geometry.dilation, groups: geometry.groups,
            outSpatial: outSpatial)
        assertClose(try backend.download(y), expected, atol: 1e-4, rtol: 1e-4, "conv\(n)d \(backend.kernelStyle)")
    }

    func testConvInSlicesOfOutputPositionsMatchesWholeConv() throws {
        for backend in try styleBackends() {
            var random = SeededRandom(31)
            let (xShape, wShape) = ([2, 4, 3, 5, 7], [6, 2, 2, 3, 3])
            let geometry = try ConvGeometry(
                spatialRank: 3, stride: [1, 1, 2], padding: [AxisPadding(1, 0), .symmetric(1), .symmetric(1)], groups: 2
            )
            let x = try backend.upload(random.floats(xShape.reduce(1, *)), shape: xShape, dtype: .f32)
            let w = try backend.upload(random.floats(wShape.reduce(1, *)), shape: wShape, dtype: .bf16)
            let bias = try backend.upload(random.floats(6), shape: [6], dtype: .f32)
            let whole = try backend.download(try backend.conv(x, weight: w, bias: bias, geometry: geometry))
            // 4·18 = 72 column rows; a budget of 72·7 floats gives slices of 7 of the 3·5·4 = 60 output
            // positions (the last one 4 wide). Same sums in the same order: equal to the bit.
            let sliced = try backend.download(
                try backend.conv(
                    checked: x, weight: w, bias: bias, geometry: geometry,
                    outputSize: try geometry.outputSize(input: [3, 5, 7], kernel: [2, 3, 3]), columnBudget: 72 * 7))
            XCTAssertEqual(sliced, whole, "\(backend.kernelStyle)")
        }
    }

    func testConvRejectsWrongInputChannels() throws {
        let backend = try vulkan()
        XCTAssertThrowsError(
            try backend.conv1d(try backend.zeros([1, 4, 8]), weight: try backend.zeros([2, 3, 3]), bias: nil)
        ) { error in
            guard case TensorError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testEveryReductionOverTheMiddleAxis() throws {
        let backend = try vulkan()
        var random = SeededRandom(19)
        let (a, n, c) = (3, 17, 4)
        let x = random.floats(a * n * c)
        let xt = try backend.upload(x, shape: [a, n, c], dtype: .f32)
        for op in ReduceOp.allCases {
            let y = try backend.reduce(op, xt, axis: 1, keepDim: op == .mean)
            XCTAssertEqual(y.shape, op == .mean ? [a, 1, c] : [a, c])
            var expected = [Float]()
            for i in 0..<a {
                for j in 0..<c {
                    let column = (0..<n).map { Double(x[(i * n + $0) * c + j]) }
                    switch op {
                    case .sum: expected.append(Float(column.reduce(0, +)))
                    case .mean: expected.append(Float(column.reduce(0, +) / Double(n)))
                    case .max: expected.append(Float(column.max() ?? 0))
                    case .min: expected.append(Float(column.min() ?? 0))
                    case .l2Norm: expected.append(Float(column.map { $0 * $0 }.reduce(0, +).squareRoot()))
                    }
                }
            }
            assertClose(try backend.download(y), expected, atol: 1e-6, rtol: 1e-5, op.rawValue)
        }
        XCTAssertThrowsError(try backend.reduce(.max, try backend.zeros([2, 0]), axis: 1, keepDim: false))
    }
}
