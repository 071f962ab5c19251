import Foundation
import Tensor

/// Shape and per-operand strides with size-1 axes dropped and mergeable neighbours merged, so that
/// most copies and broadcasts run as one or two nested loops.
struct Coalesced {
    var shape: [Int]
    var strides: [[Int]]

    init(shape: [Int], strides operands: [[Int]]) {
        var s: [Int] = []
        var st: [[Int]] = Array(repeating: [], count: operands.count)
        for k in shape.indices where shape[k] != 1 {
            if let last = s.indices.last,
                operands.indices.allSatisfy({ operands[$0][k] * shape[k] == st[$0][last] })
            {
                // Axis k continues the previous kept axis for every operand: merge.
                s[last] *= shape[k]
                for o in operands.indices { st[o][last] = operands[o][k] }
            } else {
                s.append(shape[k])
                for o in operands.indices { st[o].append(operands[o][k]) }
            }
        }
        if s.isEmpty {
            s = [1]
            st = operands.map { _ in [1] }
        }
        self.shape = s
        self.strides = st
    }

    /// Size of the innermost axis.
    var inner: Int { shape[shape.count - 1] }
    /// Number of rows (product of all axes but the innermost).
    var rows: Int { shape.dropLast().reduce(1, *) }
}

/// Walks rows (all axes but the last) of up to three strided operands, giving each row's element
/// offsets; an odometer avoids a division per row.
struct RowWalker {
    let outer: [Int]
    let s0: [Int]
    let s1: [Int]
    let s2: [Int]

    init(_ c: Coalesced) {
        let outer = Array(c.shape.dropLast())
        func pick(_ i: Int) -> [Int] { i < c.strides.count ? Array(c.strides[i].dropLast()) : outer.map { _ in 0 } }
        self.outer = outer
        s0 = pick(0)
        s1 = pick(1)
        s2 = pick(2)
    }

    @inline(__always)
    func walk(_ range: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        let n = outer.count
        if n == 0 {
            if !range.isEmpty { body(0, 0, 0) }
            return
        }
        var index = [Int](repeating: 0, count: n)
        var rest = range.lowerBound
        var o0 = 0
        var o1 = 0
        var o2 = 0
        for k in stride(from: n - 1, through: 0, by: -1) {
            index[k] = rest % outer[k]
            rest /= outer[k]
            o0 += index[k] * s0[k]
            o1 += index[k] * s1[k]
            o2 += index[k] * s2[k]
        }
        for _ in range {
            body(o0, o1, o2)
            var k = n - 1
            while k >= 0 {
                index[k] += 1
                o0 += s0[k]
                o1 += s1[k]
                o2 += s2[k]
                if index[k] < outer[k] { break }
                o0 -= outer[k] * s0[k]
                o1 -= outer[k] * s1[k]
                o2 -= outer[k] * s2[k]
                index[k] = 0
                k -= 1
            }
        }
    }
}

@inline(__always)
func loadElement(_ p: UnsafeRawPointer, _ i: Int, _ dtype: DType) -> Float {
    switch dtype {
    case .f32: p.load(fromByteOffset: 4 * i, as: Float.self)
    case .f16: HalfConversion.float(f16Bits: p.load(fromByteOffset: 2 * i, as: UInt16.self))
    case .bf16: HalfConversion.float(bf16Bits: p.load(fromByteOffset: 2 * i, as: UInt16.self))
    }
}

@inline(__always)
func storeElement(_ v: Float, _ p: UnsafeMutableRawPointer, _ i: Int, _ dtype: DType) {
    switch dtype {
    case .f32: p.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self)
    case .f16: p.storeBytes(of: HalfConversion.f16Bits(v), toByteOffset: 2 * i, as: UInt16.self)
    case .bf16: p.storeBytes(of: HalfConversion.bf16Bits(v), toByteOffset: 2 * i, as: UInt16.self)
    }
}

/// Copies every element of a strided source view into a strided destination view of the same
/// shape, converting dtypes. Addresses point at element [0,…,0] of each view.
func stridedCopy(
    from src: UnsafeRawPointer, _ srcType: DType, strides srcStrides: [Int],
    to dst: UnsafeMutableRawPointer, _ dstType: DType, strides dstStrides: [Int],
    shape: [Int], threads: Int
) {
    if shape.contains(0) { return }
    let c = Coalesced(shape: shape, strides: [srcStrides, dstStrides])
    let walker = RowWalker(c)
    let n = c.inner
    let ss = c.strides[0][c.shape.count - 1]
    let ds = c.strides[1][c.shape.count - 1]
    let grain = max(1, 65_536 / max(n, 1))
    parallelRanges(c.rows, grain: grain, threads: threads) { range in
        walker.walk(range) { so, dso, _ in
            if srcType == dstType && ss == 1 && ds == 1 {
                (dst + dso * dstType.byteSize).copyMemory(
                    from: src + so * srcType.byteSize, byteCount: n * srcType.byteSize)
            } else if srcType == .bf16 && dstType == .f32 && ss == 1 && ds == 1 {
                // bf16 → f32 is a 16-bit shift: 8 lanes at a time (the hot path of half weights).
                let s = (src + so * 2).assumingMemoryBound(to: UInt16.self)
                let d = (dst + dso * 4).assumingMemoryBound(to: UInt32.self)
                var i = 0
                while i + 8 <= n {
                    let h = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<UInt16>.self)
                    UnsafeMutableRawPointer(d + i).storeBytes(
                        of: SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16, as: SIMD8<UInt32>.self)
                    i += 8
                }
                while i < n {
                    d[i] = UInt32(s[i]) << 16
                    i += 1
                }
            } else if srcType == .f16 && dstType == .f32 && ss == 1 && ds == 1 {
                widenF16(
                    (src + so * 2).assumingMemoryBound(to: UInt16.self),
                    into: (dst + dso * 4).assumingMemoryBound(to: UInt32.self), count: n)
            } else if srcType == .f32 && dstType == .f32 {
                let s = src.assumingMemoryBound(to: Float.self) + so
                let d = dst.assumingMemoryBound(to: Float.self) + dso
                for i in 0..<n { d[i * ds] = s[i * ss] }
            } else {
                for i in 0..<n {
                    storeElement(loadElement(src, so + i * ss, srcType), dst, dso + i * ds, dstType)
                }
            }
        }
    }
}

/// f16 bits → f32 bits, 8 lanes at a time, exact for every input (normals, subnormals, ±0, ±inf,
/// NaN): shift exponent and mantissa into place and rebias the exponent by 112; inf/NaN get the
/// full f32 exponent; zeros and subnormals are renormalised by one float subtraction
/// (m·2⁻²⁴ = (2⁻¹⁴ + m·2⁻²⁴) − 2⁻¹⁴ exactly).
func widenF16(_ s: UnsafePointer<UInt16>, into d: UnsafeMutablePointer<UInt32>, count n: Int) {
    typealias U = SIMD8<UInt32>
    var i = 0
    while i + 8 <= n {
        let h = U(truncatingIfNeeded: UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<UInt16>.self))
        let sign = (h & 0x8000) &<< 16
        let magnitude = (h & 0x7FFF) &<< 13
        let exponent = magnitude & 0x0F80_0000
        // Integer-only inf/NaN fix-up (1 exactly when the f16 exponent is 31): the mutating
        // `replace(with:where:)` and scalar-operand compares run lane by lane (15× slower).
        let isMax = (exponent &+ 0x0080_0000) &>> 28
        let bits = magnitude &+ 0x3800_0000 &+ isMax &* 0x3800_0000  // rebias 15 → 127 (inf/NaN → 255)
        // Zero/subnormal: (2⁻¹⁴ + m·2⁻²⁴) as bits, minus 2⁻¹⁴.
        let renormalised = unsafeBitCast(
            unsafeBitCast(bits &+ 0x0080_0000, to: SIMD8<Float>.self) - SIMD8<Float>(repeating: 0x1p-14), to: U.self)
        let widened = bits.replacing(with: renormalised, where: exponent .== U(repeating: 0))
        UnsafeMutableRawPointer(d + i).storeBytes(of: widened | sign, as: U.self)
        i += 8
    }
    while i < n {
        d[i] = HalfConversion.float(f16Bits: s[i]).bitPattern
        i += 1
    }
}
