import Foundation
import Tensor

extension CPUBackend {
    public func reduce(checked op: ReduceOp, _ x: Tensor, axis a: Int, keepDim: Bool) throws -> Tensor {
        let n = x.shape[a]
        let outer = x.shape[..<a].reduce(1, *)
        let inner = x.shape[(a + 1)...].reduce(1, *)
        var shape = x.shape
        if keepDim { shape[a] = 1 } else { shape.remove(at: a) }
        let src = try f32(x, "reduce")
        let (result, dst) = try output(shape)
        if outer * inner == 0 { return result }
        let initial: Float = op == .max ? -.infinity : (op == .min ? .infinity : 0)
        parallelRanges(outer, grain: max(1, 16_384 / max(n * inner, 1)), threads: threads) { range in
            for o in range {
                let d = dst + o * inner
                d.update(repeating: initial, count: inner)
                for j in 0..<n {
                    let s = src.pointer + (o * n + j) * inner
                    switch op {
                    case .sum, .mean: for i in 0..<inner { d[i] += s[i] }
                    case .l2Norm: for i in 0..<inner { d[i] += s[i] * s[i] }
                    case .max: for i in 0..<inner { d[i] = Swift.max(d[i], s[i]) }
                    case .min: for i in 0..<inner { d[i] = Swift.min(d[i], s[i]) }
                    }
                }
                if op == .mean {
                    let inv = 1 / Float(n)
                    for i in 0..<inner { d[i] = n == 0 ? .nan : d[i] * inv }
                }
                if op == .l2Norm { for i in 0..<inner { d[i] = d[i].squareRoot() } }
            }
        }
        _ = src
        return result
    }
}
