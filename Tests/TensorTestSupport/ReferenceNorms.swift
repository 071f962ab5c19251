import Foundation
import Tensor

extension Reference {
    /// Rows of the last axis: (mean, biased variance) in Double.
    static func stats(_ v: ArraySlice<Float>) -> (Double, Double) {
        let n = Double(v.count)
        let mean = v.reduce(0.0) { $0 + Double($1) } / n
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance)
    }

    public static func layerNorm(_ x: HostTensor, _ w: HostTensor?, _ b: HostTensor?, eps: Float) -> HostTensor {
        let d = x.shape.last ?? 1
        var out = x.values
        for r in 0..<(x.count / d) {
            let (mean, variance) = stats(x.values[(r * d)..<((r + 1) * d)])
            for i in 0..<d {
                var y = (Double(x.values[r * d + i]) - mean) / (variance + Double(eps)).squareRoot()
                if let w { y *= Double(w.values[i]) }
                if let b { y += Double(b.values[i]) }
                out[r * d + i] = Float(y)
            }
        }
        return HostTensor(x.shape, out)
    }

    public static func rmsNorm(_ x: HostTensor, _ w: HostTensor?, eps: Float) -> HostTensor {
        let d = x.shape.last ?? 1
        var out = x.values
        for r in 0..<(x.count / d) {
            let ms = x.values[(r * d)..<((r + 1) * d)].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(d)
            for i in 0..<d {
                out[r * d + i] = Float(
                    Double(x.values[r * d + i]) / (ms + Double(eps)).squareRoot() * Double(w?.values[i] ?? 1))
            }
        }
        return HostTensor(x.shape, out)
    }

    public static func groupNorm(_ x: HostTensor, groups: Int, _ w: HostTensor?, _ b: HostTensor?, eps: Float)
        -> HostTensor
    {
        let c = x.shape[1]
        let spatial = x.shape[2...].reduce(1, *)
        let per = c / groups * spatial
        var out = x.values
        for bg in 0..<(x.shape[0] * groups) {
            let (mean, variance) = stats(x.values[(bg * per)..<((bg + 1) * per)])
            for j in 0..<per {
                let ch = (bg % groups) * (c / groups) + j / spatial
                var y = (Double(x.values[bg * per + j]) - mean) / (variance + Double(eps)).squareRoot()
                y = y * Double(w?.values[ch] ?? 1) + Double(b?.values[ch] ?? 0)
                out[bg * per + j] = Float(y)
            }
        }
        return HostTensor(x.shape, out)
    }

    /// F.normalize(x, dim=1)·√C·γ.
    public static func channelRMSNorm(_ x: HostTensor, _ gamma: HostTensor?, eps: Float) -> HostTensor {
        let c = x.shape[1]
        let spatial = x.shape[2...].reduce(1, *)
        var out = x.values
        for bi in 0..<x.shape[0] {
            for p in 0..<spatial {
                var ss = 0.0
                for ch in 0..<c {
                    ss += Double(x.values[(bi * c + ch) * spatial + p]) * Double(x.values[(bi * c + ch) * spatial + p])
                }
                let norm = max(ss.squareRoot(), Double(eps))
                for ch in 0..<c {
                    let i = (bi * c + ch) * spatial + p
                    out[i] = Float(Double(x.values[i]) / norm * Double(c).squareRoot() * Double(gamma?.values[ch] ?? 1))
                }
            }
        }
        return HostTensor(x.shape, out)
    }

    public static func softmax(_ x: HostTensor) -> HostTensor {
        let d = x.shape.last ?? 1
        var out = x.values
        for r in 0..<(x.count / d) {
            let row = x.values[(r * d)..<((r + 1) * d)].map(Double.init)
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for i in 0..<d { out[r * d + i] = Float(e[i] / s) }
        }
        return HostTensor(x.shape, out)
    }

    /// RoPE with tables cos/sin `[L, D/2]` on x `[..., L, H, D]`.
    public static func rope(_ x: HostTensor, cos: [Float], sin: [Float], pairing: RoPEPairing) -> HostTensor {
        let r = x.shape.count
        let (l, h, d) = (x.shape[r - 3], x.shape[r - 2], x.shape[r - 1])
        var out = x.values
        for row in 0..<(x.count / d) {
            let pos = (row / h) % l
            for j in 0..<(d / 2) {
                let (ia, ib) = pairing == .interleaved ? (2 * j, 2 * j + 1) : (j, j + d / 2)
                let a = Double(x.values[row * d + ia])
                let b = Double(x.values[row * d + ib])
                let c = Double(cos[pos * d / 2 + j])
                let s = Double(sin[pos * d / 2 + j])
                out[row * d + ia] = Float(a * c - b * s)
                out[row * d + ib] = Float(a * s + b * c)
            }
        }
        return HostTensor(x.shape, out)
    }

    /// softmax(scale·Q·Kᵀ)·V with the full score row materialised (the textbook formula).
    /// q `[B, Lq, H, D]`, k `[B, Lk, Hkv, D]`, v `[B, Lk, Hkv, Dv]`.
    /// `bias`, when given, is `[B, H, Lq, Lk]` (already broadcast) and is added to the scaled scores.
    public static func attention(
        q: HostTensor, k: HostTensor, v: HostTensor, scale: Float, bias: HostTensor? = nil
    ) -> HostTensor {
        let (b, lq, h, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (lk, hkv, dv) = (k.shape[1], k.shape[2], v.shape[3])
        var out = [Float](repeating: 0, count: b * lq * h * dv)
        for bi in 0..<b {
            for hi in 0..<h {
                let hk = hi / (h / hkv)
                for i in 0..<lq {
                    var scores = [Double](repeating: 0, count: lk)
                    for j in 0..<lk {
                        var acc = 0.0
                        let qo = ((bi * lq + i) * h + hi) * d
                        let ko = ((bi * lk + j) * hkv + hk) * d
                        for p in 0..<d { acc += Double(q.values[qo + p]) * Double(k.values[ko + p]) }
                        scores[j] = acc * Double(scale)
                        if let bias { scores[j] += Double(bias.values[((bi * h + hi) * lq + i) * lk + j]) }
                    }
                    let m = scores.max() ?? 0
                    let e = scores.map { Foundation.exp($0 - m) }
                    let s = e.reduce(0, +)
                    for p in 0..<dv {
                        var acc = 0.0
                        for j in 0..<lk { acc += e[j] * Double(v.values[((bi * lk + j) * hkv + hk) * dv + p]) }
                        out[((bi * lq + i) * h + hi) * dv + p] = Float(acc / s)
                    }
                }
            }
        }
        return HostTensor([b, lq, h, dv], out)
    }
}
