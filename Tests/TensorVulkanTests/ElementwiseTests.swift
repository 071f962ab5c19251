import Foundation
import Tensor
import TensorVulkan
import XCTest

/// Elementwise ops against Foundation's functions in Double.
final class ElementwiseTests: VulkanTestCase {
    func testEveryUnaryOpMatchesFoundation() throws {
        let backend = try vulkan()
        var random = SeededRandom(14)
        let x = random.floats(517, -4, 4)
        let positive = x.map { abs($0) + 0.01 }
        for op in UnaryOp.allCases {
            let input = [.log, .sqrt, .rsqrt].contains(op) ? positive : x
            let f: (Double) -> Double
            switch op {
            case .silu: f = { $0 / (1 + Foundation.exp(-$0)) }
            case .geluTanh:
                f = { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
            case .geluErf: f = { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
            case .relu: f = { max($0, 0) }
            case .sigmoid: f = { 1 / (1 + Foundation.exp(-$0)) }
            case .tanh: f = { Foundation.tanh($0) }
            case .exp: f = { Foundation.exp($0) }
            case .log: f = { Foundation.log($0) }
            case .neg: f = { -$0 }
            case .abs: f = { Swift.abs($0) }
            case .sqrt: f = { $0.squareRoot() }
            case .rsqrt: f = { 1 / $0.squareRoot() }
            case .square: f = { $0 * $0 }
            case .sin: f = { Foundation.sin($0) }
            case .cos: f = { Foundation.cos($0) }
            }
            let y = try backend.unary(op, try backend.upload(input, shape: [11, 47], dtype: .f32))
            // Transcendentals on GPUs are accurate to a few ulp; 2e-6 abs + 1e-5 rel covers that.
            assertClose(
                try backend.download(y), input.map { Float(f(Double($0))) }, atol: 2e-6, rtol: 1e-5, op.rawValue)
        }
    }

    func testBinaryOpsBroadcastLikeNumpy() throws {
        let backend = try vulkan()
        var random = SeededRandom(15)
        let a = random.floats(3 * 1 * 5)
        let b = random.floats(4 * 1, 0.5, 2)
        let at = try backend.upload(a, shape: [3, 1, 5], dtype: .f32)
        let bt = try backend.upload(b, shape: [4, 1], dtype: .bf16)
        let bStored = HalfConversion.roundTrip(b, through: .bf16)
        for op in BinaryOp.allCases {
            let y = try backend.binary(op, at, bt)
            XCTAssertEqual(y.shape, [3, 4, 5])
            var expected = [Float]()
            for i in 0..<3 {
                for j in 0..<4 {
                    for k in 0..<5 {
                        let (u, v) = (a[i * 5 + k], bStored[j])
                        switch op {
                        case .add: expected.append(u + v)
                        case .sub: expected.append(u - v)
                        case .mul: expected.append(u * v)
                        case .div: expected.append(u / v)
                        case .maximum: expected.append(max(u, v))
                        case .minimum: expected.append(min(u, v))
                        }
                    }
                }
            }
            assertClose(try backend.download(y), expected, atol: 1e-6, rtol: 1e-6, op.rawValue)
        }
        XCTAssertThrowsError(try backend.add(at, try backend.zeros([2, 4]))) { error in
            guard case TensorError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testScalarClampModulateAndGatedAddOnViews() throws {
        let backend = try vulkan()
        var random = SeededRandom(16)
        let (l, d) = (6, 10)
        let x = random.floats(l * d)
        let scale = random.floats(d)
        let shift = random.floats(d)
        // x read through a transpose of its [d, l] storage: a non-contiguous operand.
        let xt = try backend.upload((0..<(l * d)).map { x[($0 % l) * d + $0 / l] }, shape: [d, l], dtype: .f32)
            .transposed(0, 1)
        let st = try backend.upload(scale, shape: [1, d], dtype: .f32)
        let sh = try backend.upload(shift, shape: [1, d], dtype: .f32)
        let modulated = try backend.modulate(xt, scale: st, shift: sh)
        let expected = x.indices.map { x[$0] * (1 + scale[$0 % d]) + shift[$0 % d] }
        assertClose(try backend.download(modulated), expected, atol: 1e-6, rtol: 1e-6, "modulate")
        let gated = try backend.gatedAdd(xt, modulated, gate: st)
        assertClose(
            try backend.download(gated), x.indices.map { x[$0] + expected[$0] * scale[$0 % d] }, atol: 1e-6, rtol: 1e-6,
            "gatedAdd")
        assertClose(
            try backend.download(try backend.scalar(.mul, xt, 3)), x.map { $0 * 3 }, atol: 0, rtol: 1e-7, "scalar")
        assertClose(
            try backend.download(try backend.clamp(xt, min: -0.25, max: 0.5)), x.map { min(max($0, -0.25), 0.5) },
            atol: 0,
            rtol: 0, "clamp")
        XCTAssertThrowsError(try backend.clamp(xt, min: 1, max: 0))
    }
}
