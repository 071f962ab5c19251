import Tensor
import TensorTestSupport
import XCTest

final class HalfConversionTests: XCTestCase {
    /// Values spanning normals, subnormals, overflow, ties and specials.
    private func samples() -> [Float] {
        var g = SeededRandom(seed: 7)
        var v: [Float] = [
            0, -0, 1, -1, 65504, 65519.99, 65520, 1e-8, 6e-8, 5.96e-8, 2.98e-8, 3e-8, 6.1035e-5,
            6.0976e-5, .infinity, -.infinity, .greatestFiniteMagnitude, 1 + 0x1p-11, 1 + 0x1p-10 + 0x1p-11,
            Float(bitPattern: 0x3380_0000), Float(bitPattern: 0x3380_0001),
        ]
        for _ in 0..<20_000 {
            let e = Float(g.uniform() * 40 - 28)
            v.append(Float(g.normal()) * Float(pow(2, Double(e))))
        }
        return v
    }

    func testF16RoundingMatchesSwiftFloat16() {
        // Swift's Float16 (hardware/compiler-rt conversion) is the independent reference.
        for x in samples() {
            let ours = HalfConversion.f16Bits(x)
            let theirs = Float16(x).bitPattern
            XCTAssertEqual(ours, theirs, "f16 bits of \(x)")
            XCTAssertEqual(
                HalfConversion.float(f16Bits: theirs), Float(Float16(bitPattern: theirs)), "f16 → f32 of \(theirs)")
        }
        XCTAssertTrue(HalfConversion.float(f16Bits: HalfConversion.f16Bits(.nan)).isNaN)
    }

    func testBF16RoundsToNearestEven() {
        for x in samples() where x.isFinite {
            let bits = x.bitPattern
            let down = Float(bitPattern: bits & 0xFFFF_0000)
            let up = Float(bitPattern: (bits & 0xFFFF_0000) &+ 0x1_0000)
            let dd = abs(Double(x) - Double(down))
            // Past the largest finite bf16 the next step up is 2¹²⁸ (which rounds to infinity).
            let upValue = up.isInfinite ? (x < 0 ? -0x1p128 : 0x1p128) : Double(up)
            let du = abs(Double(x) - upValue)
            let expected: Float = dd < du ? down : (du < dd ? up : (((bits >> 16) & 1) == 0 ? down : up))
            let got = HalfConversion.float(bf16Bits: HalfConversion.bf16Bits(x))
            XCTAssertEqual(got.bitPattern, expected.bitPattern, "bf16 of \(x)")
        }
        XCTAssertTrue(HalfConversion.float(bf16Bits: HalfConversion.bf16Bits(.nan)).isNaN)
    }

    func testEncodeDecodeRoundTripsEachDType() throws {
        let v: [Float] = [0.5, -2, 3.25, 1024]
        for dt in DType.allCases {
            let bytes = HalfConversion.encode(v, as: dt)
            XCTAssertEqual(bytes.count, v.count * dt.byteSize)
            XCTAssertEqual(try bytes.withUnsafeBytes { try HalfConversion.decode($0, as: dt) }, v)
        }
        XCTAssertThrowsError(
            try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try HalfConversion.decode($0, as: .f32) })
    }
}

final class HalfWideningTests: CPUTestCase {
    /// The vectorised f16 → f32 path (contiguous casts) agrees with the scalar conversion on all
    /// 65 536 bit patterns (NaNs compared as NaN).
    func testVectorisedF16WideningIsExactForEveryBitPattern() throws {
        let bits = (0..<65_536).map { UInt16($0) }
        let bytes = bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let x = try backend.upload(bytes: bytes, shape: [65_536], dtype: .f16)
        let got = try backend.download(try backend.cast(x, to: .f32))
        for (i, b) in bits.enumerated() {
            let expected = HalfConversion.float(f16Bits: b)
            if expected.isNaN {
                XCTAssertTrue(got[i].isNaN, "bits \(b)")
            } else {
                XCTAssertEqual(got[i].bitPattern, expected.bitPattern, "bits \(b)")
            }
        }
    }
}
