import Foundation
import Tensor

extension CPUBackend {
    /// Σ p[i] and Σ p[i]² over n floats, 8 lanes at a time (lane partial sums limit rounding growth).
    @inline(__always)
    static func sums(_ p: UnsafePointer<Float>, _ n: Int) -> (sum: Float, squares: Float) {
        var s = SIMD8<Float>(repeating: 0)
        var q = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let v = p.loadVector(i)
            s += v
            q += v * v
            i += 8
        }
        var ts = s.sum()
        var tq = q.sum()
        while i < n {
            ts += p[i]
            tq += p[i] * p[i]
            i += 1
        }
        return (ts, tq)
    }

    /// Σ (p[i] − mean)² over n floats (second pass of a two-pass variance).
    @inline(__always)
    static func centredSquares(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Float {
        var q = SIMD8<Float>(repeating: 0)
        let m = SIMD8<Float>(repeating: mean)
        var i = 0
        while i + 8 <= n {
            let d = p.loadVector(i) - m
            q += d * d
            i += 8
        }
        var t = q.sum()
        while i < n {
            t += (p[i] - mean) * (p[i] - mean)
            i += 1
        }
        return t
    }

    public func layerNorm(checked x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor {
        let d = x.shape[x.rank - 1]
        let w = try vector(weight, "layerNorm")
        let b = try vector(bias, "layerNorm")
        let src = try f32(x, "layerNorm")
        let (result, dst) = try output(x.shape)
        let rows = d == 0 ? 0 : x.count / d
        parallelRanges(rows, grain: max(1, 8192 / max(d, 1)), threads: threads) { range in
            for r in range {
                let s = UnsafePointer(src.pointer + r * d)
                let mean = Self.sums(s, d).sum / Float(d)
                let variance = Self.centredSquares(s, d, mean: mean) / Float(d)
                let inv = 1 / (variance + eps).squareRoot()
                let o = dst + r * d
                for i in 0..<d {
                    var y = (s[i] - mean) * inv
                    if let w { y *= w.pointer[i] }
                    if let b { y += b.pointer[i] }
                    o[i] = y
                }
            }
        }
        _ = (src, w, b)
        return result
    }

    public func rmsNorm(checked x: Tensor, weight: Tensor?, eps: Float) throws -> Tensor {
        let d = x.shape[x.rank - 1]
        let w = try vector(weight, "rmsNorm")
        let src = try f32(x, "rmsNorm")
        let (result, dst) = try output(x.shape)
        let rows = d == 0 ? 0 : x.count / d
        parallelRanges(rows, grain: max(1, 8192 / max(d, 1)), threads: threads) { range in
            for r in range {
                let s = UnsafePointer(src.pointer + r * d)
                let inv = 1 / (Self.sums(s, d).squares / Float(d) + eps).squareRoot()
                let o = dst + r * d
                if let w {
                    for i in 0..<d { o[i] = s[i] * inv * w.pointer[i] }
                } else {
                    for i in 0..<d { o[i] = s[i] * inv }
                }
            }
        }
        _ = (src, w)
        return result
    }

    public func groupNorm(checked x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor {
        let c = x.shape[1]
        let spatial = x.shape[2...].reduce(1, *)
        let w = try vector(weight, "groupNorm")
        let b = try vector(bias, "groupNorm")
        let src = try f32(x, "groupNorm")
        let (result, dst) = try output(x.shape)
        let perGroup = c / groups * spatial
        if perGroup == 0 { return result }
        parallelRanges(x.shape[0] * groups, grain: 1, threads: threads) { range in
            for bg in range {
                let s = UnsafePointer(src.pointer + bg * perGroup)
                let mean = Self.sums(s, perGroup).sum / Float(perGroup)
                let variance = Self.centredSquares(s, perGroup, mean: mean) / Float(perGroup)
                let inv = 1 / (variance + eps).squareRoot()
                let c0 = (bg % groups) * (c / groups)
                for ci in 0..<(c / groups) {
                    let scale = inv * (w?.pointer[c0 + ci] ?? 1)
                    let shift = (b?.pointer[c0 + ci] ?? 0) - mean * scale
                    let si = s + ci * spatial
                    let o = dst + bg * perGroup + ci * spatial
                    for i in 0..<spatial { o[i] = si[i] * scale + shift }
                }
            }
        }
        _ = (src, w, b)
        return result
    }

    public func channelRMSNorm(checked x: Tensor, gamma: Tensor?, eps: Float) throws -> Tensor {
        let c = x.shape[1]
        let spatial = x.shape[2...].reduce(1, *)
        let g = try vector(gamma, "channelRMSNorm")
        let src = try f32(x, "channelRMSNorm")
        let (result, dst) = try output(x.shape)
        let rootC = Float(c).squareRoot()
        let tile = 512
        let tiles = (spatial + tile - 1) / tile
        parallelRanges(x.shape[0] * tiles, grain: 1, threads: threads) { range in
            var acc = [Float](repeating: 0, count: tile)
            for job in range {
                let bi = job / tiles
                let p0 = (job % tiles) * tile
                let np = min(tile, spatial - p0)
                let base = bi * c * spatial + p0
                for i in 0..<np { acc[i] = 0 }
                for ci in 0..<c {
                    let s = src.pointer + base + ci * spatial
                    for i in 0..<np { acc[i] += s[i] * s[i] }
                }
                for i in 0..<np { acc[i] = rootC / Swift.max(acc[i].squareRoot(), eps) }
                for ci in 0..<c {
                    let s = src.pointer + base + ci * spatial
                    let o = dst + base + ci * spatial
                    let gc = g?.pointer[ci] ?? 1
                    for i in 0..<np { o[i] = s[i] * acc[i] * gc }
                }
            }
        }
        _ = (src, g)
        return result
    }
}
