import Tensor
import TensorVulkan
import XCTest

/// Norms against two-pass Double references. Tolerance 1e-5 abs + 1e-4 rel.
final class NormTests: VulkanTestCase {
    func testLayerNormWithAndWithoutAffineMatchesReference() throws {
        let backend = try vulkan()
        var random = SeededRandom(10)
        let (rows, d) = (13, 333)
        // An offset mean makes a one-pass E[x²] − μ² formula visibly wrong; the two-pass one is not.
        let x = random.floats(rows * d, 99, 101)
        let w = random.floats(d)
        let b = random.floats(d)
        let xt = try backend.upload(x, shape: [rows, d], dtype: .f32)
        let affine = try backend.layerNorm(
            xt, weight: try backend.upload(w, shape: [d], dtype: .f32),
            bias: try backend.upload(b, shape: [d], dtype: .f32),
            eps: 1e-6)
        assertClose(
            try backend.download(affine), Reference.rowNorm(x, n: d, center: true, weight: w, bias: b, eps: 1e-6),
            atol: 1e-4, rtol: 1e-4, "affine")
        let plain = try backend.layerNorm(xt, weight: nil, bias: nil, eps: 1e-6)
        assertClose(
            try backend.download(plain), Reference.rowNorm(x, n: d, center: true, weight: nil, bias: nil, eps: 1e-6),
            atol: 1e-4, rtol: 1e-4, "plain")
    }

    func testRMSNormWithBF16WeightMatchesReference() throws {
        let backend = try vulkan()
        var random = SeededRandom(11)
        let (rows, d) = (7, 1536)
        let x = random.floats(rows * d, -3, 3)
        let w = HalfConversion.roundTrip(random.floats(d), through: .bf16)
        let y = try backend.rmsNorm(
            try backend.upload(x, shape: [rows, d], dtype: .f32),
            weight: try backend.upload(w, shape: [d], dtype: .bf16),
            eps: 1e-6)
        assertClose(
            try backend.download(y), Reference.rowNorm(x, n: d, center: false, weight: w, bias: nil, eps: 1e-6),
            atol: 1e-5, rtol: 1e-4)
    }

    func testGroupNormMatchesReference() throws {
        let backend = try vulkan()
        var random = SeededRandom(12)
        let (b, c, t, h, w) = (2, 12, 3, 5, 7)
        let x = random.floats(b * c * t * h * w, -2, 4)
        let gamma = random.floats(c)
        let beta = random.floats(c)
        let y = try backend.groupNorm(
            try backend.upload(x, shape: [b, c, t, h, w], dtype: .f32), groups: 4,
            weight: try backend.upload(gamma, shape: [c], dtype: .f32),
            bias: try backend.upload(beta, shape: [c], dtype: .f32),
            eps: 1e-5)
        let expected = Reference.groupNorm(x, b: b, c: c, s: t * h * w, groups: 4, weight: gamma, bias: beta, eps: 1e-5)
        assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-4)
    }

    func testChannelRMSNormMatchesWanFormula() throws {
        let backend = try vulkan()
        var random = SeededRandom(13)
        let (b, c, p) = (2, 9, 31)
        let x = random.floats(b * c * p)
        let gamma = random.floats(c)
        let y = try backend.channelRMSNorm(
            try backend.upload(x, shape: [b, c, p], dtype: .f32),
            gamma: try backend.upload(gamma, shape: [c], dtype: .f32),
            eps: 1e-12)
        var expected = x
        for bi in 0..<b {
            for pi in 0..<p {
                let norm = (0..<c).map { Double(x[(bi * c + $0) * p + pi]) }.map { $0 * $0 }.reduce(0, +).squareRoot()
                for ci in 0..<c {
                    let i = (bi * c + ci) * p + pi
                    expected[i] = Float(Double(x[i]) / max(norm, 1e-12) * Double(c).squareRoot() * Double(gamma[ci]))
                }
            }
        }
        assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-4)
    }

    func testGroupNormRejectsIndivisibleChannels() throws {
        let backend = try vulkan()
        XCTAssertThrowsError(
            try backend.groupNorm(try backend.zeros([1, 10, 4]), groups: 3, weight: nil, bias: nil, eps: 1e-5))
    }
}
