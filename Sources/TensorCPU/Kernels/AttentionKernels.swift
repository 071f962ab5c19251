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
        // Heads are handled in groups that share one online-softmax phase per key tile: fewer
        // switches between BLAS threads and Swift threads (each switch is a barrier, and a
        // barrier is expensive when other processes share the cores). Scores ≤ attentionScoreBudget floats.
        let headGroup = max(1, min(heads, attentionScoreBudget / (tq * tk)))
        let scores = try allocate(headGroup * tq * tk * 4, zeroed: false)
        let stats = try allocate(2 * headGroup * tq * 4, zeroed: false)
        let sp = scores.base.assumingMemoryBound(to: Float.self)
        let mp = stats.base.assumingMemoryBound(to: Float.self)  // running max per (head, row)
        let lp = mp + headGroup * tq  // running sum per (head, row)
        let kvGroup = heads / hkv
        let tileStride = tq * tk
        for bi in 0..<b {
            var q0 = 0
            while q0 < lq {
                let nq = min(tq, lq - q0)
                var h0 = 0
                while h0 < heads {
                    let hg = min(headGroup, heads - h0)
                    // Head g of the group: Q/K/V row stride is heads·D (resp. hkv·D); O is written in place.
                    func qTile(_ g: Int) -> BLASMatrix {
                        BLASMatrix(
                            pointer: qr.pointer + ((bi * lq + q0) * heads + h0 + g) * dk, ld: heads * dk,
                            transposed: false)
                    }
                    func oRow(_ g: Int, _ i: Int) -> UnsafeMutablePointer<Float> {
                        dst + ((bi * lq + q0 + i) * heads + h0 + g) * dv
                    }
                    func kvHead(_ g: Int) -> Int { (h0 + g) / kvGroup }
                    for r in 0..<(hg * nq) {
                        mp[r] = -.infinity
                        lp[r] = 0
                    }
                    var k0 = 0
                    while k0 < lk {
                        let nk = min(tk, lk - k0)
                        for g in 0..<hg {
                            try sgemm(
                                nq, nk, dk, alpha: scale, a: qTile(g),
                                b: BLASMatrix(
                                    pointer: kr.pointer + ((bi * lk + k0) * hkv + kvHead(g)) * dk, ld: hkv * dk,
                                    transposed: true),
                                beta: 0, c: sp + g * tileStride, ldc: nk)
                        }
                        let first = k0 == 0
                        parallelRanges(hg * nq, grain: 16, threads: threads) { rows in
                            for r in rows {
                                let g = r / nq
                                let i = r % nq
                                let srow = sp + g * tileStride + i * nk
                                let newMax = Swift.max(mp[r], Self.rowMax(UnsafePointer(srow), nk))
                                let total = Self.expRow(srow, nk, max: newMax)
                                if first {
                                    lp[r] = total
                                } else {
                                    let correction = Foundation.exp(mp[r] - newMax)
                                    lp[r] = lp[r] * correction + total
                                    let o = oRow(g, i)
                                    for j in 0..<dv { o[j] *= correction }
                                }
                                mp[r] = newMax
                            }
                        }
                        for g in 0..<hg {
                            try sgemm(
                                nq, dv, nk, alpha: 1,
                                a: BLASMatrix(pointer: sp + g * tileStride, ld: nk, transposed: false),
                                b: BLASMatrix(
                                    pointer: vr.pointer + ((bi * lk + k0) * hkv + kvHead(g)) * dv, ld: hkv * dv,
                                    transposed: false),
                                beta: first ? 0 : 1, c: oRow(g, 0), ldc: heads * dv)
                        }
                        k0 += nk
                    }
                    parallelRanges(hg * nq, grain: 64, threads: threads) { rows in
                        for r in rows {
                            let inv = 1 / lp[r]
                            let o = oRow(r / nq, r % nq)
                            for j in 0..<dv { o[j] *= inv }
                        }
                    }
                    h0 += hg
                }
                q0 += nq
            }
        }
        _ = (qr, kr, vr, scores, stats)
        return result
    }
}
