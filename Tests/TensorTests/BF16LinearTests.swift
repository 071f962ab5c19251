// The bf16 `linear` (AVX512_BF16 kernel): exact against a Double reference on the same bf16-rounded
// operands, and within its stated error of the f32 product; `auto` runs it only for bf16 weights.
import Tensor
import XCTest

@testable import TensorCPU

final class BF16LinearTests: XCTestCase {
    private func backend(_ precision: CPUPrecision) throws -> CPUBackend {
        let cpu = try CPUBackend(precision: precision)
        guard cpu.bf16Kernel else { throw XCTSkip("this CPU has no AVX512_BF16: \(cpu.blas.features.summary)") }
        return cpu
    }

    /// Deterministic values in [−scale, scale).
    private func values(_ n: Int, seed: UInt64, scale: Float) -> [Float] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15
        return (0..<n).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(s >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    /// x rounded to bf16, nearest-even (the kernel's rounding).
    private func bf16(_ x: Float) -> Float {
        let u = x.bitPattern
        return Float(bitPattern: (u &+ 0x7FFF &+ ((u >> 16) & 1)) & 0xFFFF_0000)
    }

    /// y = x·Wᵀ + b in Double on bf16-rounded operands, and Σ|x·w| per output (the rounding scale).
    private func reference(_ x: [Float], _ w: [Float], _ b: [Float]?, rows: Int, inF: Int, outF: Int)
        -> (y: [Double], magnitude: [Double])
    {
        var y = [Double](repeating: 0, count: rows * outF)
        var m = [Double](repeating: 0, count: rows * outF)
        let xr = x.map { Double(bf16($0)) }
        let wr = w.map { Double(bf16($0)) }
        for r in 0..<rows {
            for o in 0..<outF {
                var sum = Double(b?[o] ?? 0)
                var mag = 0.0
                for k in 0..<inF {
                    let p = xr[r * inF + k] * wr[o * inF + k]
                    sum += p
                    mag += abs(p)
                }
                y[r * outF + o] = sum
                m[r * outF + o] = mag
            }
        }
        return (y, m)
    }

    /// Real DiT sizes on the reduction (1536 = Wan-1.3B dim, 8960 = its FFN), rows and outputs that
    /// are not multiples of the kernel's 12 × 32 tile, an odd inner size; f32 and bf16-stored weights.
    func testMatchesTheReferenceOnBF16RoundedOperands() throws {
        let cpu = try backend(.bf16)
        for (rows, inF, outF, bias, wdtype) in [
            (257, 1536, 300, true, DType.f32), (31, 8960, 70, false, .f32), (13, 301, 33, true, .bf16),
            (1, 1536, 64, false, .bf16),
        ] {
            let x = values(rows * inF, seed: 1, scale: 1)
            let w = values(outF * inF, seed: 2, scale: (3 / Float(inF)).squareRoot())
            let b = bias ? values(outF, seed: 3, scale: 0.1) : nil
            let y = try cpu.download(
                try cpu.linear(
                    try cpu.upload(x, shape: [rows, inF], dtype: .f32),
                    weight: try cpu.upload(w, shape: [outF, inF], dtype: wdtype),
                    bias: try b.map { try cpu.upload($0, shape: [outF], dtype: .f32) }))
            let ref = reference(x, w, b, rows: rows, inF: inF, outF: outF)
            XCTAssertEqual(y.count, ref.y.count)
            // f32 sums of exact bf16 products: a few ulps of the magnitude.
            var worst = 0.0
            for i in 0..<y.count { worst = max(worst, abs(Double(y[i]) - ref.y[i]) / (ref.magnitude[i] + 1e-6)) }
            XCTAssertLessThanOrEqual(worst, 2e-6, "\(rows)×\(inF)·\(outF)ᵀ \(wdtype)")
        }
    }

    /// The stated cost of bf16 against the f32 product: relative L2 error ≤ 1e-2 (measured ~3e-3:
    /// both operands rounded to 8 significant bits, errors averaging over 1536 terms).
    func testStaysWithinItsStatedErrorOfF32() throws {
        let cpu = try backend(.bf16)
        let f32 = try CPUBackend(precision: .f32)
        let (rows, inF, outF) = (200, 1536, 1536)
        let x = try cpu.upload(values(rows * inF, seed: 4, scale: 1), shape: [rows, inF], dtype: .f32)
        let w = try cpu.upload(values(outF * inF, seed: 5, scale: 0.04), shape: [outF, inF], dtype: .f32)
        let lowered = try cpu.download(try cpu.linear(x, weight: w, bias: nil))
        let exact = try f32.download(try f32.linear(x, weight: w, bias: nil))
        let err = zip(lowered, exact).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let norm = exact.reduce(0.0) { $0 + Double($1 * $1) }
        let relative = (err / norm).squareRoot()
        XCTAssertLessThanOrEqual(relative, 1e-2)
        XCTAssertGreaterThan(relative, 1e-4, "bf16 rounding should be visible; is the bf16 kernel running?")
    }

    func testAutoRunsBF16OnlyForBF16Weights() throws {
        let auto = try backend(.auto)
        let f32 = try CPUBackend(precision: .f32)
        let (rows, inF, outF) = (40, 512, 96)
        let xv = values(rows * inF, seed: 6, scale: 1)
        let wv = values(outF * inF, seed: 7, scale: 0.05)
        for dtype in [DType.f32, .bf16, .f16] {
            XCTAssertEqual(
                auto.linearRunsBF16(weight: try auto.upload(wv, shape: [outF, inF], dtype: dtype)), dtype == .bf16)
            let a = try auto.download(
                try auto.linear(
                    try auto.upload(xv, shape: [rows, inF], dtype: .f32),
                    weight: try auto.upload(wv, shape: [outF, inF], dtype: dtype), bias: nil))
            let b = try f32.download(
                try f32.linear(
                    try f32.upload(xv, shape: [rows, inF], dtype: .f32),
                    weight: try f32.upload(wv, shape: [outF, inF], dtype: dtype), bias: nil))
            if dtype == .bf16 { XCTAssertNotEqual(a, b) } else { XCTAssertEqual(a, b, "\(dtype) weights run f32") }
        }
    }

    /// Strided and transposed inputs go through the same kernel (x made contiguous first).
    func testNonContiguousInputs() throws {
        let cpu = try backend(.bf16)
        let (rows, inF, outF) = (24, 64, 40)
        let xt = try cpu.upload(values(rows * inF, seed: 8, scale: 1), shape: [inF, rows], dtype: .f32)
        let x = try xt.transposed(0, 1)
        let w = try cpu.upload(values(outF * inF, seed: 9, scale: 0.1), shape: [outF, inF], dtype: .f32)
        let y = try cpu.download(try cpu.linear(x, weight: w, bias: nil))
        let yc = try cpu.download(try cpu.linear(try cpu.contiguous(x), weight: w, bias: nil))
        XCTAssertEqual(y, yc)
    }
}
