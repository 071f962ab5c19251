import Foundation

/// SIMD transcendental functions for the kernels (8 lanes = one AVX register).
enum VectorMath {
    typealias V = SIMD8<Float>

    /// eˣ, relative error ≲ 2e-7 on [−87, 88]; 0 below −87.3 (so exp(−∞) = 0 as softmax needs),
    /// +∞ above 88.7. Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-6
    /// polynomial for eʳ (the Cephes `expf` coefficients) and 2ⁿ built in the exponent bits.
    /// Rounding and the float→int step use the 1.5·2²³ "magic number" addition, because the
    /// stdlib's generic `rounded(_:)` and `SIMD8<Int32>(_:rounding:)` run lane by lane (13× slower).
    @inline(__always)
    static func exp(_ x: V) -> V {
        // One pair of masks serves the clamp and the final fix-up (each select costs as much as
        // two polynomial steps here).
        let under = x .< -87.3
        let over = x .> 88.7
        let c = x.replacing(with: -87.3, where: under).replacing(with: 88.7, where: over)
        let magic = V(repeating: 12_582_912)
        let t = c * 1.442_695_04 + magic  // round(c·log2 e) sits in the low mantissa bits of t
        let n = t - magic
        var r = c - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p: V = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * (r * r) + r + 1
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let y = p * unsafeBitCast((ni &+ 127) &<< 23, to: V.self)
        return y.replacing(with: 0, where: under).replacing(with: .infinity, where: over)
    }

    /// tanh x = 1 − 2/(e²ˣ + 1): exact limits ±1, absolute error ≲ 3e-7.
    @inline(__always)
    static func tanh(_ x: V) -> V {
        1 - 2 / (exp(2 * x) + 1)
    }

    /// 1/(1 + e⁻ˣ).
    @inline(__always)
    static func sigmoid(_ x: V) -> V {
        1 / (1 + exp(-x))
    }

    /// Horizontal sum of the lanes.
    @inline(__always)
    static func sum(_ x: V) -> Float { x.sum() }
}

extension UnsafePointer where Pointee == Float {
    @inline(__always)
    func loadVector(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always)
    func loadVector(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    func storeVector(_ v: SIMD8<Float>, _ i: Int) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
