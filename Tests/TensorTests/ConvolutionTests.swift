import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class ConvolutionTests: CPUTestCase {
    private func check(
        x: [Int], w: [Int], geometry: ConvGeometry, bias: Bool = true, weightType: DType = .f32, seed: UInt64,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let xh = HostTensor.random(x, seed: seed)
        var wh = HostTensor.random(w, seed: seed + 1, scale: 0.3)
        wh = HostTensor(wh.shape, HalfConversion.roundTrip(wh.values, through: weightType))
        let bh = bias ? HostTensor.random([w[0]], seed: seed + 2) : nil
        let got = try backend.conv(
            try upload(xh), weight: try upload(wh, weightType), bias: try bh.map { try upload($0) }, geometry: geometry)
        try assertClose(
            got, try Reference.conv(xh, wh, bh, geometry), atol: 1e-4, rtol: 1e-4, "conv x \(x) w \(w)", file: file,
            line: line)
    }

    func testConv1dLikeWhisperStem() throws {
        // conv1 k3 p1 then conv2 k3 s2 p1, scaled down (odd length).
        try check(
            x: [1, 8, 31], w: [12, 8, 3], geometry: try ConvGeometry(spatialRank: 1, padding: [.symmetric(1)]),
            seed: 100)
        try check(
            x: [2, 12, 31], w: [12, 12, 3],
            geometry: try ConvGeometry(spatialRank: 1, stride: [2], padding: [.symmetric(1)]), seed: 110)
        try check(
            x: [1, 4, 20], w: [6, 4, 3],
            geometry: try ConvGeometry(spatialRank: 1, padding: [.symmetric(2)], dilation: [2]), seed: 120)
    }

    func testConv2dStridedAsymmetricPaddingLikeVAEDownsample() throws {
        // Down2d: zero pad right/bottom by 1, then 3×3 stride 2.
        let g = try ConvGeometry(spatialRank: 2, stride: [2, 2], padding: [AxisPadding(0, 1), AxisPadding(0, 1)])
        try check(x: [1, 6, 9, 12], w: [6, 6, 3, 3], geometry: g, seed: 130)
        try check(
            x: [2, 4, 7, 5], w: [8, 4, 3, 3],
            geometry: try ConvGeometry(spatialRank: 2, padding: [.symmetric(1), .symmetric(1)]), seed: 140)
    }

    func testGroupedAndHalfWeightConvolutions() throws {
        try check(
            x: [1, 6, 11], w: [9, 2, 3],
            geometry: try ConvGeometry(spatialRank: 1, padding: [.symmetric(1)], groups: 3), seed: 150)
        try check(
            x: [1, 4, 5, 6], w: [5, 4, 3, 3],
            geometry: try ConvGeometry(spatialRank: 2, padding: [.symmetric(1), .symmetric(1)]), weightType: .bf16,
            seed: 160)
    }

    func testConv3dCausalAndPatchEmbedding() throws {
        // Wan CausalConv3d k3: time padded 2 in front, space 1 each side.
        let causal = try ConvGeometry.causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1))
        XCTAssertEqual(causal.padding[0], AxisPadding(2, 0))
        try check(x: [1, 4, 5, 6, 7], w: [6, 4, 3, 3, 3], geometry: causal, seed: 170)
        // Patch embedding Conv3d k = s = (1, 2, 2).
        try check(
            x: [1, 16, 2, 4, 6], w: [12, 16, 1, 2, 2], geometry: try ConvGeometry(spatialRank: 3, stride: [1, 2, 2]),
            seed: 180)
        // Pointwise 1×1×1 (VAE shortcut) and time_conv (3, 1, 1) stride (2, 1, 1).
        try check(x: [1, 8, 3, 4, 5], w: [5, 8, 1, 1, 1], geometry: try ConvGeometry(spatialRank: 3), seed: 190)
        try check(
            x: [1, 4, 5, 3, 2], w: [4, 4, 3, 1, 1], geometry: try ConvGeometry(spatialRank: 3, stride: [2, 1, 1]),
            bias: false, seed: 200)
    }

    func testCausalConvOverCachedChunksEqualsTheFullPass() throws {
        // Streaming: a chunk with the last 2 frames of the previous chunk prepended (and no front
        // padding) must give the same frames as the full causal pass.
        let xh = HostTensor.random([1, 3, 7, 4, 4], seed: 210)
        let wh = HostTensor.random([5, 3, 3, 3, 3], seed: 211, scale: 0.3)
        let x = try upload(xh)
        let w = try upload(wh)
        let full = try backend.conv(
            x, weight: w, bias: nil, geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)))
        let first = try backend.conv(
            try x.narrowed(axis: 2, start: 0, length: 3), weight: w, bias: nil,
            geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)))
        let cache = try x.narrowed(axis: 2, start: 1, length: 2)
        let chunk = try backend.concat([cache, try x.narrowed(axis: 2, start: 3, length: 4)], axis: 2)
        let second = try backend.conv(
            chunk, weight: w, bias: nil,
            geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1), cachedFrames: 2))
        let streamed = try backend.concat([first, second], axis: 2)
        XCTAssertEqual(streamed.shape, full.shape)
        let a = try backend.download(streamed)
        let b = try backend.download(full)
        XCTAssertNil(Closeness.check(a, b, atol: 1e-5, rtol: 1e-5))
    }

    func testChunkedIm2ColStartingMidLineEqualsNaive() throws {
        // A tiny column budget makes every GEMM chunk start in the middle of an output line.
        for budget in [1, 50, 333] {
            backend = try CPUBackend(convColumnBudget: budget)
            try check(
                x: [1, 3, 4, 5, 7], w: [4, 3, 3, 3, 3],
                geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)), seed: 220)
            try check(
                x: [1, 2, 9, 11], w: [3, 2, 3, 3],
                geometry: try ConvGeometry(
                    spatialRank: 2, stride: [2, 2], padding: [AxisPadding(0, 1), AxisPadding(0, 1)]), seed: 230)
            try check(
                x: [1, 2, 13], w: [3, 2, 3],
                geometry: try ConvGeometry(spatialRank: 1, padding: [.symmetric(2)], dilation: [2]), seed: 240)
        }
    }

    func testConvRejectsBadShapes() throws {
        let x = try upload(.random([1, 4, 5], seed: 1))
        let g = try ConvGeometry(spatialRank: 1)
        XCTAssertThrowsError(
            try backend.conv(x, weight: try upload(.random([3, 5, 3], seed: 2)), bias: nil, geometry: g))
        XCTAssertThrowsError(
            try backend.conv(x, weight: try upload(.random([3, 4, 7], seed: 2)), bias: nil, geometry: g))
        XCTAssertThrowsError(try ConvGeometry(spatialRank: 4))
        XCTAssertThrowsError(try ConvGeometry(spatialRank: 2, stride: [0, 1]))
    }
}
