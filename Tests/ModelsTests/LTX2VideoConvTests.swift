// The not-causal LTX-2 video conv sums the weights of taps that read a repeated edge frame instead of
// padding time (`LTX2VideoConv.edgeMerged`); checked here against the definition — time padded by
// repeating the first and last frames, space by reflection or zeros, then the plain conv — at LTX-2's
// 128-wide stage on feature maps large enough to take that path, for 1, 2, 3 and 5 frames.
import Foundation
@testable import Models
import Tensor
import TensorCPU
import XCTest

final class LTX2VideoConvTests: XCTestCase {
    private func conv(channels: Int, padding: LTX2VideoVAEConfig.Padding, seed: UInt64, on backend: any Backend) throws
        -> LTX2VideoConv
    {
        let box = SeedBox(seed)
        var reader = try WeightReader(
            generating: { key, shape in
                let count = shape.reduce(1, *)
                let scale: Float = key.hasSuffix("bias") ? 0.1 : 1 / Float(count / shape[0]).squareRoot()
                return try backend.upload(box.next(count, scale: scale), shape: shape, dtype: .f32)
            }, backend: backend)
        return try LTX2VideoConv(&reader, "c", in: channels, out: channels, padding: padding)
    }

    /// The definition: repeat the edge frames, pad space, convolve.
    private func reference(_ c: LTX2VideoConv, _ x: Tensor, on backend: any Backend) throws -> Tensor {
        let none = AxisPadding(0, 0)
        var input = try backend.pad(x, padding: [none, none, .symmetric(1), none, none], mode: .replicate)
        var spatial = AxisPadding.symmetric(1)
        if c.padding == .reflect {
            input = try backend.pad(input, padding: [none, none, none, .symmetric(1), .symmetric(1)], mode: .reflect)
            spatial = none
        }
        return try backend.conv(
            input, weight: c.weight, bias: c.bias,
            geometry: try ConvGeometry(spatialRank: 3, padding: [none, spatial, spatial]))
    }

    private func checkEdgeMerged(on backend: any Backend, channels: Int, tolerance: Float) throws {
        let (height, width) = (32, 40)
        XCTAssertGreaterThanOrEqual(height * width, LTX2VideoConv.edgeMergeMinimumPlane, "must take the merged path")
        for (padding, seed) in [(LTX2VideoVAEConfig.Padding.reflect, UInt64(1)), (.zeros, 2)] {
            let c = try conv(channels: channels, padding: padding, seed: seed, on: backend)
            for frames in [1, 2, 3, 5] {
                var rng = SplitMix64(seed: seed * 100 + UInt64(frames))
                let x = try backend.upload(
                    rng.normal(channels * frames * height * width, std: 1),
                    shape: [1, channels, frames, height, width], dtype: .f32)
                var cache = FrameCache()
                let got = try backend.download(try c(x, causal: false, cache: &cache, on: backend))
                let expected = try backend.download(try reference(c, x, on: backend))
                XCTAssertEqual(got.count, expected.count)
                let scale = expected.reduce(0) { max($0, abs($1)) }
                let worst = zip(got, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
                XCTAssertLessThan(worst / scale, tolerance, "\(padding), \(frames) frames on \(backend.device.backend)")
            }
        }
    }

    func testEdgeMergedTimeMatchesRepeatedEdgeFramesOnCPU() throws {
        try checkEdgeMerged(on: try CPUBackend(), channels: 128, tolerance: 1e-5)
    }

    func testEdgeMergedTimeMatchesRepeatedEdgeFramesOnVulkan() throws {
        try checkEdgeMerged(on: try GoldenBackends.vulkanBackend(), channels: 24, tolerance: 1e-5)
    }
}

/// A random stream shared by the weight generator (which must be a Sendable closure).
private final class SeedBox: @unchecked Sendable {
    // @unchecked: used from one thread at a time (the reader calls the generator in order).
    private var rng: SplitMix64
    init(_ seed: UInt64) { rng = SplitMix64(seed: seed) }
    func next(_ count: Int, scale: Float) -> [Float] { rng.normal(count, std: scale) }
}
