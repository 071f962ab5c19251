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

    public func softmax(checked x: Tensor) throws -> Tensor {
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

    public func rope(checked x: Tensor, cos: Tensor, sin: Tensor, pairing: RoPEPairing) throws -> Tensor {
        let l = x.shape[x.rank - 3]
        let h = x.shape[x.rank - 2]
        let d = x.shape[x.rank - 1]
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

    /// The largest tile ≤ `limit` that splits `length` into equal tiles (the last one shorter by
    /// less than 16): 1560 keys in tiles of ≤ 1024 become 784 + 776 rather than 1024 + 536, and
    /// 1560 queries in tiles of ≤ 512 become 3 × 400 + 360 rather than 3 × 512 + 24, whose thin
    /// last GEMM runs far below the rate of the others.
    static func balancedTile(_ limit: Int, _ length: Int) -> Int {
        guard length > limit else { return max(length, 1) }
        let count = (length + limit - 1) / limit
        let even = (length + count - 1) / count
        return min(limit, (even + 15) / 16 * 16)
    }

    /// Flash-attention-style SDPA, one independent work item per (batch item, head, tile of
    /// `attentionTile.query` query rows). Each item walks the keys in tiles of `attentionTile.key`:
    /// S = scale·Q·Kᵀ (GEMM), running max m and sum l per row, P = e^(S − m_new) with the row sum
    /// taken in the same pass, O ← O·e^(m_old − m_new) + P·V (GEMM), finally O /= l.
    ///
    /// Work items are spread over the Swift threads, and each runs single-threaded BLAS on its own
    /// cache-sized score tile and accumulator (OpenBLAS is held at one thread meanwhile, see
    /// `SingleThreadBLAS`): one parallel phase for the whole call, no barrier per key tile, and the
    /// scores never leave the core's cache. Q, K, V are read in place with the head's row stride as
    /// the BLAS leading dimension.
    public func attention(checked q: Tensor, k: Tensor, v: Tensor, scale: Float, shape: AttentionShape) throws
        -> Tensor
    {
        let batched = shape.batched
        let q4 = batched ? q : try q.unsqueezed(0)
        let k4 = batched ? k : try k.unsqueezed(0)
        let v4 = batched ? v : try v.unsqueezed(0)
        let (b, lq, heads, dk) = (shape.batch, shape.queries, shape.heads, shape.headDim)
        let (lk, hkv, dv) = (shape.keys, shape.kvHeads, shape.valueDim)
        let qr = try f32(q4, "attention")
        let kr = try f32(k4, "attention")
        let vr = try f32(v4, "attention")
        let (result, dst) = try output(shape.output)
        if result.count == 0 { return result }
        if attentionKernel != .blasTiles {
            fusedAttention(q: qr.pointer, k: kr.pointer, v: vr.pointer, o: dst, scale: scale, shape: shape)
            _ = (qr, kr, vr)
            return result
        }
        // Each thread holds one query tile × key tile of scores; together at most attentionScoreBudget.
        let keyTile = Self.balancedTile(attentionTile.key, lk)
        let queryLimit = min(attentionTile.query, max(1, attentionScoreBudget / (threads * keyTile)))
        let tile = AttentionTile(
            query: Self.balancedTile(queryLimit, lq), key: keyTile, dk: dk, dv: dv, scale: scale, blas: blas)
        // The GEMMs below call BLAS directly; check once that every size fits its 32-bit integers.
        guard [heads * dk, hkv * dk, hkv * dv, heads * dv, tile.key, tile.query].allSatisfy({ $0 <= Int(Int32.max) })
        else {
            throw TensorError.invalidArgument("attention: q \(q.shape), k \(k.shape) exceed BLAS's 32-bit sizes")
        }
        let qTiles = (lq + tile.query - 1) / tile.query
        let items = b * heads * qTiles
        let kvGroup = heads / hkv
        // Item order is batch, head, query tile: consecutive items of one thread reuse one head's K and V.
        let body: (Range<Int>) -> Void = { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile.scratchFloats)
            defer { scratch.deallocate() }
            for item in range {
                let qt = item % qTiles
                let h = (item / qTiles) % heads
                let bi = item / (qTiles * heads)
                let q0 = qt * tile.query
                let hk = h / kvGroup
                tile.run(
                    rows: min(tile.query, lq - q0), keys: lk,
                    q: qr.pointer + ((bi * lq + q0) * heads + h) * dk, ldq: heads * dk,
                    k: kr.pointer + (bi * lk * hkv + hk) * dk, ldk: hkv * dk,
                    v: vr.pointer + (bi * lk * hkv + hk) * dv, ldv: hkv * dv,
                    o: dst + ((bi * lq + q0) * heads + h) * dv, ldo: heads * dv, scratch: scratch)
            }
        }
        if threads > 1 && items > 1 {
            SingleThreadBLAS.run(blas) { parallelRanges(items, grain: 1, threads: threads, body) }
        } else {
            // One thread of ours: let BLAS use its own threads on the GEMMs.
            body(0..<items)
        }
        _ = (qr, kr, vr)
        return result
    }
}
