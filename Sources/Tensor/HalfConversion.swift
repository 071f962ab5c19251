/// Bit-exact conversions between `Float` and the 16-bit storage formats, written out so that every
/// backend (and every platform, including those without `Float16`) rounds the same way.
public enum HalfConversion {
    /// f32 → f16 bits, round to nearest even; overflow gives ±inf, NaN stays NaN (quiet), values
    /// below the smallest subnormal (2⁻²⁴) round to ±0.
    @inlinable
    public static func f16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {  // inf or NaN
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0)
        }
        let unbiased = exponent - 127
        if unbiased > 15 { return sign | 0x7C00 }
        if unbiased >= -14 {
            // Normal half: keep 10 mantissa bits, round the dropped 13 to nearest even.
            var half = UInt32(unbiased + 15) << 10 | (mantissa >> 13)
            let rest = mantissa & 0x1FFF
            if rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1) { half += 1 }  // may carry into inf: correct
            return sign | UInt16(half)
        }
        if unbiased < -25 { return sign }
        // Subnormal half: value = m · 2⁻²⁴ with the implicit 1 made explicit.
        let full = mantissa | 0x80_0000
        let shift = UInt32(-unbiased - 14 + 13)  // 14…24
        var half = full >> shift
        let rest = full & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if rest > halfway || (rest == halfway && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }

    /// f16 bits → f32 (exact).
    @inlinable
    public static func float(f16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// f32 → bf16 bits, round to nearest even; NaN stays a quiet NaN.
    @inlinable
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        // Adding 0x7FFF plus the lowest kept bit rounds half to even; overflow rounds to inf as it should.
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }

    /// bf16 bits → f32 (exact).
    @inlinable
    public static func float(bf16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// Encodes `values` as little-endian bytes of `dtype`: `values.count · dtype.byteSize` bytes.
    public static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * dtype.byteSize)
        out.withUnsafeMutableBytes { raw in
            switch dtype {
            case .f32:
                let p = raw.bindMemory(to: UInt32.self)
                for i in values.indices { p[i] = values[i].bitPattern.littleEndian }
            case .f16:
                let p = raw.bindMemory(to: UInt16.self)
                for i in values.indices { p[i] = f16Bits(values[i]).littleEndian }
            case .bf16:
                let p = raw.bindMemory(to: UInt16.self)
                for i in values.indices { p[i] = bf16Bits(values[i]).littleEndian }
            }
        }
        return out
    }

    /// Decodes little-endian `dtype` bytes into floats. Throws when the byte count is not a multiple
    /// of the element size.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as dtype: DType) throws -> [Float] {
        guard bytes.count % dtype.byteSize == 0 else {
            throw TensorError.invalidArgument(
                "decode: \(bytes.count) bytes is not a whole number of \(dtype) elements")
        }
        let n = bytes.count / dtype.byteSize
        return [Float](unsafeUninitializedCapacity: n) { out, done in
            switch dtype {
            case .f32:
                for i in 0..<n {
                    out[i] = Float(
                        bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f16:
                for i in 0..<n {
                    out[i] = float(
                        f16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<n {
                    out[i] = float(
                        bf16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
            done = n
        }
    }

    /// Rounds each value through `dtype` and back: what a tensor stored as `dtype` holds.
    public static func roundTrip(_ values: [Float], through dtype: DType) -> [Float] {
        switch dtype {
        case .f32: values
        case .f16: values.map { float(f16Bits: f16Bits($0)) }
        case .bf16: values.map { float(bf16Bits: bf16Bits($0)) }
        }
    }
}
