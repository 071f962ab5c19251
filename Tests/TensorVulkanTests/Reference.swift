// Naive reference implementations on host arrays (row-major), accumulating in Double: the
// independent truth the Vulkan shaders are checked against. Written for clarity, not speed.
import Foundation

enum Reference {
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var step = 1
        for k in shape.indices.reversed() {
            s[k] = step
            step *= shape[k]
        }
        return s
    }

    /// Row-major multi-index of linear index i.
    static func index(_ i: Int, _ shape: [Int]) -> [Int] {
        var rest = i
        var idx = [Int](repeating: 0, count: shape.count)
        for k in shape.indices.reversed() {
            idx[k] = rest % shape[k]
            rest /= shape[k]
        }
        return idx
    }

    /// `x[..., M, K] · y[..., K, N]` with batch axes equal (no broadcast here).
    static func matmul(_ a: [Float], _ b: [Float], batch: Int, m: Int, k: Int, n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: batch * m * n)
        for z in 0..<batch {
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k { acc += Double(a[z * m * k + i * k + p]) * Double(b[z * k * n + p * n + j]) }
                    out[z * m * n + i * n + j] = Float(acc)
                }
            }
        }
        return out
    }

    /// y = x·Wᵀ + b: x [rows, in], W [out, in].
    static func linear(_ x: [Float], _ w: [Float], _ bias: [Float]?, rows: Int, inF: Int, outF: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var acc = Double(bias?[o] ?? 0)
                for i in 0..<inF { acc += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                out[r * outF + o] = Float(acc)
            }
        }
        return out
    }

    /// Multi-head attention with a full softmax: q [L, H, D], k/v [M, Hkv, D|Dv].
    static func attention(
        _ q: [Float], _ k: [Float], _ v: [Float], lq: Int, lk: Int, heads: Int, kvHeads: Int, d: Int, dv: Int,
        scale: Float
    ) -> [Float] {
        var out = [Float](repeating: 0, count: lq * heads * dv)
        for l in 0..<lq {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                var scores = [Double](repeating: 0, count: lk)
                for m in 0..<lk {
                    var dot = 0.0
                    for e in 0..<d { dot += Double(q[(l * heads + h) * d + e]) * Double(k[(m * kvHeads + g) * d + e]) }
                    scores[m] = dot * Double(scale)
                }
                let top = scores.max() ?? 0
                let weights = scores.map { Foundation.exp($0 - top) }
                let total = weights.reduce(0, +)
                for e in 0..<dv {
                    var acc = 0.0
                    for m in 0..<lk { acc += weights[m] * Double(v[(m * kvHeads + g) * dv + e]) }
                    out[(l * heads + h) * dv + e] = Float(acc / total)
                }
            }
        }
        return out
    }

    /// Layer norm (center) or RMS norm over rows of length n.
    static func rowNorm(_ x: [Float], n: Int, center: Bool, weight: [Float]?, bias: [Float]?, eps: Float) -> [Float] {
        var out = x
        for r in 0..<(x.count / n) {
            let row = x[(r * n)..<(r * n + n)].map(Double.init)
            let mean = center ? row.reduce(0, +) / Double(n) : 0
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            let inv = 1 / (variance + Double(eps)).squareRoot()
            for i in 0..<n {
                out[r * n + i] = Float((row[i] - mean) * inv * Double(weight?[i] ?? 1) + Double(bias?[i] ?? 0))
            }
        }
        return out
    }

    /// Group norm of x [B, C, S] (S = all spatial positions).
    static func groupNorm(
        _ x: [Float], b: Int, c: Int, s: Int, groups: Int, weight: [Float]?, bias: [Float]?, eps: Float
    )
        -> [Float]
    {
        var out = x
        let per = c / groups
        for bi in 0..<b {
            for g in 0..<groups {
                let start = (bi * c + g * per) * s
                let slab = x[start..<(start + per * s)].map(Double.init)
                let mean = slab.reduce(0, +) / Double(slab.count)
                let variance = slab.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(slab.count)
                let inv = 1 / (variance + Double(eps)).squareRoot()
                for i in 0..<slab.count {
                    let ch = g * per + i / s
                    out[start + i] = Float((slab[i] - mean) * inv * Double(weight?[ch] ?? 1) + Double(bias?[ch] ?? 0))
                }
            }
        }
        return out
    }

    /// RoPE on x [L, H, D] with tables [L, D/2].
    static func rope(_ x: [Float], l: Int, h: Int, d: Int, cos: [Float], sin: [Float], halves: Bool) -> [Float] {
        var out = x
        for li in 0..<l {
            for hi in 0..<h {
                let base = (li * h + hi) * d
                for j in 0..<(d / 2) {
                    let (ia, ib) = halves ? (base + j, base + j + d / 2) : (base + 2 * j, base + 2 * j + 1)
                    let (a, b) = (Double(x[ia]), Double(x[ib]))
                    let (c, s) = (Double(cos[li * d / 2 + j]), Double(sin[li * d / 2 + j]))
                    out[ia] = Float(a * c - b * s)
                    out[ib] = Float(a * s + b * c)
                }
            }
        }
        return out
    }

    /// Direct N-d convolution (N = 1…3) of x [B, Cin, S…] with w [Cout, Cin/G, K…].
    static func conv(
        _ x: [Float], xShape: [Int], _ w: [Float], wShape: [Int], bias: [Float]?, stride: [Int], padBefore: [Int],
        dilation: [Int], groups: Int, outSpatial: [Int]
    ) -> [Float] {
        let n = xShape.count - 2
        let (b, cin, cout) = (xShape[0], xShape[1], wShape[0])
        let cinG = cin / groups
        let coutG = cout / groups
        let spatial = Array(xShape.suffix(n))
        let kernel = Array(wShape.suffix(n))
        let outCount = outSpatial.reduce(1, *)
        let taps = kernel.reduce(1, *)
        var out = [Float](repeating: 0, count: b * cout * outCount)
        for bi in 0..<b {
            for o in 0..<cout {
                let g = o / coutG
                for p in 0..<outCount {
                    let op = index(p, outSpatial)
                    var acc = Double(bias?[o] ?? 0)
                    for c in 0..<cinG {
                        for t in 0..<taps {
                            let kp = index(t, kernel)
                            var inside = true
                            var offset = 0
                            for a in 0..<n {
                                let pos = op[a] * stride[a] + kp[a] * dilation[a] - padBefore[a]
                                if pos < 0 || pos >= spatial[a] { inside = false }
                                offset = offset * spatial[a] + pos
                            }
                            guard inside else { continue }
                            let xi = (bi * cin + g * cinG + c) * spatial.reduce(1, *) + offset
                            let wi = (o * cinG + c) * taps + t
                            acc += Double(x[xi]) * Double(w[wi])
                        }
                    }
                    out[(bi * cout + o) * outCount + p] = Float(acc)
                }
            }
        }
        return out
    }
}
