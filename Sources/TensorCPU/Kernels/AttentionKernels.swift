import Foundation
import Tensor

extension CPUBackend {
    /// In-place softmax step of one score row for the online algorithm: returns the row maximum and
    /// replaces s[j] by exp(s[j] − newMax), returning Σ exp as well.
    @inline(__always)
    static func expRow(_ s: UnsafeMutablePointer<Float>, _ n: Int, max m: Float) -> Float {
        let mv = SIMD8<Float>(repeating: m)
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let e = VectorMath.exp(s.loadVector(i) - mv)
            s.storeVector(e, i)
            acc += e
            i += 8
        }
        var total = acc.sum()
        if i < n {
            var v = SIMD8<Float>(repeating: -.infinity)
            for k in 0..<(n - i) { v[k] = s[i + k] }
            let e = VectorMath.exp(v - mv)
            for k in 0..<(n - i) {
                s[i + k] = e[k]
                total += e[k]
            }
        }
        return total
    }

    @inline(__always)
    static func rowMax(_ s: UnsafePointer<Float>, _ n: Int) -> Float {
        var mv = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            // A compare-and-select; the stdlib's pointwiseMax goes lane by lane.
            let v = s.loadVector(i)
            mv = mv.replacing(with: v, where: mv .< v)
            i += 8
        }
        var m = mv.max()
        while i < n {
            m = Swift.max(m, s[i])
            i += 1
        }
        return m
    }

    public func softmax(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw TensorError.invalidArgument("softmax: rank-0 tensor") }
        let d = x.shape[x.rank - 1]
        let src = try f32(x, "softmax")
        let (result, dst) = try output(x.shape)
        let rows = d == 0 ? 0 : x.count / d
        parallelRanges(rows, grain: max(1, 8192 / max(d, 1)), threads: threads) { range in
            for r in range {
                let o = dst + r * d
                o.update(from: src.pointer + r * d, count: d)
                let m = Self.rowMax(UnsafePointer(o), d)
                let total = Self.expRow(o, d, max: m)
                let inv = 1 / total
                for i in 0..<d { o[i] *= inv }
            }
        }
        _ = src
        return result
    }

    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, pairing: RoPEPairing) throws -> Tensor {
        guard x.rank >= 3 else { throw TensorError.shapeMismatch("rope: x \(x.shape) must be [..., L, H, D]") }
        let l = x.shape[x.rank - 3]
        let h = x.shape[x.rank - 2]
        let d = x.shape[x.rank - 1]
        guard d % 2 == 0, cos.shape == [l, d / 2], sin.shape == [l, d / 2] else {
            throw TensorError.shapeMismatch(
                "rope: x \(x.shape) needs even D and cos/sin [\(l), \(d / 2)], got \(cos.shape), \(sin.shape)")
        }
        let src = try f32(x, "rope")
        let c = try f32(cos, "rope")
        let s = try f32(sin, "rope")
        let (result, dst) = try output(x.shape)
        let half = d / 2
        let rows = d == 0 ? 0 : x.count / d
        parallelRanges(rows, grain: 64, threads: threads) { range in
            for r in range {
                let pos = (r / h) % l
                let cp = c.pointer + pos * half
                let sp = s.pointer + pos * half
                let xi = src.pointer + r * d
                let o = dst + r * d
                switch pairing {
                case .interleaved:
                    for j in 0..<half {
                        let a = xi[2 * j]
                        let b = xi[2 * j + 1]
                        o[2 * j] = a * cp[j] - b * sp[j]
                        o[2 * j + 1] = a * sp[j] + b * cp[j]
                    }
                case .halves:
                    for j in 0..<half {
                        let a = xi[j]
                        let b = xi[j + half]
                        o[j] = a * cp[j] - b * sp[j]
                        o[j + half] = a * sp[j] + b * cp[j]
                    }
                }
            }
        }
        _ = (src, c, s)
        return result
    }

    /// Flash-attention-style SDPA: for each batch item, head and tile of `attentionTile.query`
    /// query rows, walk the keys in tiles of `attentionTile.key`:
    /// S = scale·Q·Kᵀ (GEMM), running max m and sum l per row, O ← O·e^(m_old − m_new) + P·V (GEMM),
    /// finally O /= l. Only one tile of scores exists at a time. Q, K, V are read in place with the
    /// head's row stride as the BLAS leading dimension; O is written straight into the output.
    public func attention(q: Tensor, k: Tensor, v: Tensor, scale: Float) throws -> Tensor {
        let batched = q.rank == 4
        guard q.rank == 3 || q.rank == 4, k.rank == q.rank, v.rank == q.rank else {
            throw TensorError.shapeMismatch(
                "attention: q \(q.shape), k \(k.shape), v \(v.shape) must all be [B, L, H, D] or [L, H, D]")
        }
        let q4 = batched ? q : try q.unsqueezed(0)
        let k4 = batched ? k : try k.unsqueezed(0)
        let v4 = batched ? v : try v.unsqueezed(0)
        let (b, lq, heads, dk) = (q4.shape[0], q4.shape[1], q4.shape[2], q4.shape[3])
        let (lk, hkv) = (k4.shape[1], k4.shape[2])
        let dv = v4.shape[3]
        guard k4.shape[0] == b, v4.shape[0] == b, k4.shape[3] == dk, v4.shape[1] == lk, v4.shape[2] == hkv,
            hkv >= 1, heads % hkv == 0
        else {
            throw TensorError.shapeMismatch(
                "attention: q \(q.shape), k \(k.shape), v \(v.shape) (batch, key length, heads or head dim disagree)")
        }
        guard lk > 0 || lq == 0 else {
            throw TensorError.invalidArgument("attention: \(lq) queries over an empty key sequence")
        }
        let qr = try f32(q4, "attention")
        let kr = try f32(k4, "attention")
        let vr = try f32(v4, "attention")
        let outShape = batched ? [b, lq, heads, dv] : [lq, heads, dv]
        let (result, dst) = try output(outShape)
        if result.count == 0 { return result }
        let tq = min(attentionTile.query, lq)
        let tk = min(attentionTile.key, lk)
        let scores = try allocate(tq * tk * 4, zeroed: false)
        let sp = scores.base.assumingMemoryBound(to: Float.self)
        var rowMax = [Float](repeating: 0, count: tq)
        var rowSum = [Float](repeating: 0, count: tq)
        let group = heads / hkv
        for bi in 0..<b {
            for h in 0..<heads {
                let hk = h / group
                let qBase = qr.pointer + (bi * lq * heads + h) * dk
                let kBase = kr.pointer + (bi * lk * hkv + hk) * dk
                let vBase = vr.pointer + (bi * lk * hkv + hk) * dv
                let oBase = dst + (bi * lq * heads + h) * dv
                var q0 = 0
                while q0 < lq {
                    let nq = min(tq, lq - q0)
                    let qTile = BLASMatrix(pointer: qBase + q0 * heads * dk, ld: heads * dk, transposed: false)
                    let oTile = oBase + q0 * heads * dv
                    for i in 0..<nq {
                        rowMax[i] = -.infinity
                        rowSum[i] = 0
                    }
                    var k0 = 0
                    while k0 < lk {
                        let nk = min(tk, lk - k0)
                        try sgemm(
                            nq, nk, dk, alpha: scale, a: qTile,
                            b: BLASMatrix(pointer: kBase + k0 * hkv * dk, ld: hkv * dk, transposed: true),
                            beta: 0, c: sp, ldc: nk)
                        let first = k0 == 0
                        rowMax.withUnsafeMutableBufferPointer { mBuf in
                            rowSum.withUnsafeMutableBufferPointer { lBuf in
                                let mp = mBuf.baseAddress!
                                let lp = lBuf.baseAddress!
                                parallelRanges(nq, grain: 16, threads: threads) { rows in
                                    for i in rows {
                                        let s = sp + i * nk
                                        let newMax = Swift.max(mp[i], Self.rowMax(UnsafePointer(s), nk))
                                        let total = Self.expRow(s, nk, max: newMax)
                                        if first {
                                            lp[i] = total
                                        } else {
                                            let correction = Foundation.exp(mp[i] - newMax)
                                            lp[i] = lp[i] * correction + total
                                            let o = oTile + i * heads * dv
                                            for j in 0..<dv { o[j] *= correction }
                                        }
                                        mp[i] = newMax
                                    }
                                }
                            }
                        }
                        try sgemm(
                            nq, dv, nk, alpha: 1, a: BLASMatrix(pointer: sp, ld: nk, transposed: false),
                            b: BLASMatrix(pointer: vBase + k0 * hkv * dv, ld: hkv * dv, transposed: false),
                            beta: first ? 0 : 1, c: oTile, ldc: heads * dv)
                        k0 += nk
                    }
                    for i in 0..<nq {
                        let inv = 1 / rowSum[i]
                        let o = oTile + i * heads * dv
                        for j in 0..<dv { o[j] *= inv }
                    }
                    q0 += nq
                }
            }
        }
        _ = (qr, kr, vr, scores)
        return result
    }
}
