import Foundation

/// One query tile of the online-softmax attention, run start to finish by one thread with its own
/// scratch: the score tile (query × key floats), the output accumulator (query × dv) and the
/// running max and sum per row. Sized so that one thread's scratch stays in its core's L2 cache.
struct AttentionTile {
    /// Most query rows and key rows per step.
    let query: Int
    let key: Int
    let dk: Int
    let dv: Int
    let scale: Float
    let blas: OpenBLAS

    /// Floats of scratch `run` needs.
    var scratchFloats: Int { query * key + query * dv + 2 * query }

    /// O[rows, dv] (row stride ldo) = softmax(scale·Q·Kᵀ)·V for `rows` ≤ `query` rows of Q (stride
    /// ldq) over `keys` ≥ 1 rows of K and V (strides ldk, ldv); every size fits in Int32. BLAS must
    /// be safe to call from this thread (held at one thread, or this is the only caller).
    func run(
        rows nq: Int, keys lk: Int, q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int,
        v: UnsafePointer<Float>, ldv: Int, o: UnsafeMutablePointer<Float>, ldo: Int,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let s = scratch
        let acc = s + query * key  // [nq, dv], row stride dv
        let mx = acc + query * dv  // running max per row
        let sum = mx + query  // running Σ exp per row
        // Scores in log₂ units: e^(scale·q·k − m) = 2^(scale·log₂e·q·k − m′), so the exponential
        // below is a base-2 one (see exp2NonPositive); the max and sum are those of the base-2 scores.
        let log2e: Float = 1.442_695_04
        var k0 = 0
        while k0 < lk {
            let nk = min(key, lk - k0)
            let first = k0 == 0
            blas.sgemm(
                transA: false, transB: true, nq, nk, dk, alpha: scale * log2e, q, lda: max(ldq, 1), k + k0 * ldk,
                ldb: max(ldk, 1), beta: 0, s, ldc: nk)
            for i in 0..<nq {
                let row = s + i * nk
                let rowMax = CPUBackend.rowMax(UnsafePointer(row), nk)
                if first {
                    mx[i] = rowMax
                    sum[i] = Self.exp2Row(row, nk, max: rowMax)
                } else {
                    let newMax = Swift.max(mx[i], rowMax)
                    let total = Self.exp2Row(row, nk, max: newMax)
                    let correction = Foundation.exp2(mx[i] - newMax)
                    sum[i] = sum[i] * correction + total
                    mx[i] = newMax
                    // An unchanged max leaves the accumulator as it is (the common case after a few tiles).
                    if correction != 1 { Self.scale(acc + i * dv, dv, by: correction) }
                }
            }
            blas.sgemm(
                transA: false, transB: false, nq, dv, nk, alpha: 1, s, lda: nk, v + k0 * ldv, ldb: max(ldv, 1),
                beta: first ? 0 : 1, acc, ldc: max(dv, 1))
            k0 += nk
        }
        for i in 0..<nq {
            let inv = 1 / sum[i]
            let a = acc + i * dv
            let out = o + i * ldo
            var j = 0
            while j + 8 <= dv {
                out.storeVector(a.loadVector(j) * inv, j)
                j += 8
            }
            while j < dv {
                out[j] = a[j] * inv
                j += 1
            }
        }
    }

    /// s[j] ← 2^(s[j] − m) for a row whose maximum is at most m; returns Σ of the new values.
    @inline(__always)
    static func exp2Row(_ s: UnsafeMutablePointer<Float>, _ n: Int, max m: Float) -> Float {
        let mv = SIMD8<Float>(repeating: m)
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let e = exp2NonPositive(s.loadVector(i) - mv)
            s.storeVector(e, i)
            acc += e
            i += 8
        }
        var total = acc.sum()
        if i < n {
            var x = SIMD8<Float>(repeating: -.infinity)
            for k in 0..<(n - i) { x[k] = s[i + k] - m }
            let e = exp2NonPositive(x)
            for k in 0..<(n - i) {
                s[i + k] = e[k]
                total += e[k]
            }
        }
        return total
    }

    /// 2ˣ for x ≤ 0 (a score in log₂ units minus its row maximum), relative error ≲ 2e-7 like
    /// `VectorMath.exp`, in fewer instructions (the hot loop of attention after the GEMMs):
    /// - base 2, because the scores arrive pre-multiplied by log₂e (folded into the GEMM's alpha), so
    ///   the reduction x = n + r, |r| ≤ ½, is exact: no ln 2 multiply, no Cody–Waite correction;
    /// - 2ʳ by a degree-5 polynomial (coefficients fitted to relative error on [−½, ½]: 1.9e-7
    ///   evaluated in f32), and 2ⁿ built in the exponent bits;
    /// - no overflow branch (x ≤ 0), and x below −126 clamped there instead of flushed to 0, so
    ///   2ˣ ≈ 1.2e-38 rather than 0 — invisible next to the row's largest term, 2⁰ = 1. (A select
    ///   is three instructions at the baseline x86-64 level this code is compiled for.)
    @inline(__always)
    static func exp2NonPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let c = x.replacing(with: -126, where: x .< -126)
        let magic = V(repeating: 12_582_912)
        let t = c + magic  // round(c) sits in the low mantissa bits of t
        let r = c - (t - magic)
        var p: V = V(repeating: 1.326_472_498e-3)
        p = p * r + 9.671_512_991e-3
        p = p * r + 5.550_733_581e-2
        p = p * r + 2.402_224_243e-1
        p = p * r + 6.931_470_037e-1
        p = p * r + 1
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return p * unsafeBitCast((ni &+ 127) &<< 23, to: V.self)
    }

    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, by c: Float) {
        var j = 0
        while j + 8 <= n {
            x.storeVector(x.loadVector(j) * c, j)
            j += 8
        }
        while j < n {
            x[j] *= c
            j += 1
        }
    }
}

/// Holds OpenBLAS at one thread while several Swift threads call it at once (nesting its threads
/// inside ours would oversubscribe the cores), then restores the previous count. Process-wide and
/// counted, so overlapping callers (several backends on several threads) restore it exactly once.
enum SingleThreadBLAS {
    private static let state = Locked()

    private final class Locked: @unchecked Sendable {
        // @unchecked: every access goes through `lock`.
        let lock = NSLock()
        var depth = 0
        var saved: Int32 = 1
    }

    static func run(_ blas: OpenBLAS, _ body: () -> Void) {
        state.lock.lock()
        if state.depth == 0 {
            state.saved = blas.getThreads()
            if state.saved != 1 { blas.setThreads(1) }
        }
        state.depth += 1
        state.lock.unlock()
        defer {
            state.lock.lock()
            state.depth -= 1
            if state.depth == 0 && state.saved != 1 { blas.setThreads(state.saved) }
            state.lock.unlock()
        }
        body()
    }
}
