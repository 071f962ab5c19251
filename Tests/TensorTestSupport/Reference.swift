import Foundation
import Tensor

/// Naive reference implementations of every op: plain loops over multi-indices, Double
/// accumulation, straight from the formulas in the `Backend` docs. Independent of every backend's
/// kernels (no tiling, no BLAS, no SIMD), so a backend is checked against the formula, not itself.
public enum Reference {
    public static func unary(_ op: UnaryOp, _ x: HostTensor) -> HostTensor {
        HostTensor(x.shape, x.values.map { Float(unary(op, Double($0))) })
    }

    public static func unary(_ op: UnaryOp, _ x: Double) -> Double {
        switch op {
        case .silu: x / (1 + Foundation.exp(-x))
        case .geluTanh: 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .geluErf: 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .relu: max(x, 0)
        case .sigmoid: 1 / (1 + Foundation.exp(-x))
        case .tanh: Foundation.tanh(x)
        case .exp: Foundation.exp(x)
        case .log: Foundation.log(x)
        case .neg: -x
        case .abs: Swift.abs(x)
        case .sqrt: x.squareRoot()
        case .rsqrt: 1 / x.squareRoot()
        case .square: x * x
        case .sin: Foundation.sin(x)
        case .cos: Foundation.cos(x)
        }
    }

    public static func binary(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: a / b
        case .maximum: max(a, b)
        case .minimum: min(a, b)
        }
    }

    /// Numpy broadcasting, element by element.
    public static func binary(_ op: BinaryOp, _ a: HostTensor, _ b: HostTensor) throws -> HostTensor {
        let shape = try Layout.broadcast(a.shape, b.shape, op: "reference binary")
        let out = HostTensor(shape, [Float](repeating: 0, count: shape.reduce(1, *)))
        func pick(_ t: HostTensor, _ idx: [Int]) -> Float {
            let lead = idx.count - t.shape.count
            let own = t.shape.indices.map { t.shape[$0] == 1 ? 0 : idx[lead + $0] }
            return t.values[t.flat(own)]
        }
        var values = out.values
        for i in values.indices {
            let idx = out.index(of: i)
            values[i] = Float(binary(op, Double(pick(a, idx)), Double(pick(b, idx))))
        }
        return HostTensor(shape, values)
    }

    /// Elements of x permuted: result axis k is x axis `axes[k]`.
    public static func permute(_ x: HostTensor, _ axes: [Int]) -> HostTensor {
        let shape = axes.map { x.shape[$0] }
        let out = HostTensor(shape, [Float](repeating: 0, count: x.count))
        var values = out.values
        for i in values.indices {
            let idx = out.index(of: i)
            var src = [Int](repeating: 0, count: x.shape.count)
            for k in axes.indices { src[axes[k]] = idx[k] }
            values[i] = x.values[x.flat(src)]
        }
        return HostTensor(shape, values)
    }

    /// C = op(A)·op(B) with batch broadcasting.
    public static func matmul(_ a: HostTensor, _ b: HostTensor, transposeA: Bool = false, transposeB: Bool = false)
        throws -> HostTensor
    {
        let ra = a.shape.count
        let rb = b.shape.count
        let m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
        let k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
        let n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
        let batch = try Layout.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "reference matmul")
        let bc = batch.reduce(1, *)
        let batchT = HostTensor(batch, [Float](repeating: 0, count: bc))
        var out = [Float](repeating: 0, count: bc * m * n)
        func element(_ t: HostTensor, _ bidx: [Int], _ r: Int, _ c: Int) -> Float {
            let lead = bidx.count - (t.shape.count - 2)
            var idx = (0..<(t.shape.count - 2)).map { t.shape[$0] == 1 ? 0 : bidx[lead + $0] }
            idx += [r, c]
            return t.values[t.flat(idx)]
        }
        for t in 0..<bc {
            let bidx = batchT.index(of: t)
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k {
                        let x = transposeA ? element(a, bidx, p, i) : element(a, bidx, i, p)
                        let y = transposeB ? element(b, bidx, j, p) : element(b, bidx, p, j)
                        acc += Double(x) * Double(y)
                    }
                    out[(t * m + i) * n + j] = Float(acc)
                }
            }
        }
        return HostTensor(batch + [m, n], out)
    }

    /// y = x·Wᵀ + b.
    public static func linear(_ x: HostTensor, _ w: HostTensor, _ b: HostTensor?) -> HostTensor {
        let inF = w.shape[1]
        let outF = w.shape[0]
        let rows = x.count / inF
        var out = [Float](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var acc = Double(b?.values[o] ?? 0)
                for i in 0..<inF { acc += Double(x.values[r * inF + i]) * Double(w.values[o * inF + i]) }
                out[r * outF + o] = Float(acc)
            }
        }
        return HostTensor(Array(x.shape.dropLast()) + [outF], out)
    }

    /// N-d convolution by its definition (zero padding, stride, dilation, groups). Plain loops, offsets
    /// computed once per kernel tap (fast enough for the real-size conformance rows).
    public static func conv(_ x: HostTensor, _ w: HostTensor, _ b: HostTensor?, _ g: ConvGeometry) throws -> HostTensor
    {
        let n = g.spatialRank
        let (batch, cin, cout) = (x.shape[0], x.shape[1], w.shape[0])
        let kernel = Array(w.shape[2...])
        let inSize = Array(x.shape[2...])
        let outSize = try g.outputSize(input: inSize, kernel: kernel)
        let outCount = outSize.reduce(1, *)
        let inCount = inSize.reduce(1, *)
        let cinG = cin / g.groups
        let coutG = cout / g.groups
        let kCount = kernel.reduce(1, *)
        let kT = HostTensor(kernel, [Float](repeating: 0, count: kCount))
        let oT = HostTensor(outSize, [Float](repeating: 0, count: outCount))
        let inStrides = Layout.contiguousStrides(inSize)
        let taps = (0..<kCount).map { kT.index(of: $0) }
        var values = [Float](repeating: 0, count: batch * cout * outCount)
        for p in 0..<outCount {
            let pos = oT.index(of: p)
            // The input offset of every kernel tap at this output position (nil: in the padding).
            let offsets: [Int?] = taps.map { kidx in
                var offset = 0
                for s in 0..<n {
                    let q = pos[s] * g.stride[s] - g.padding[s].before + kidx[s] * g.dilation[s]
                    if q < 0 || q >= inSize[s] { return nil }
                    offset += q * inStrides[s]
                }
                return offset
            }
            for bi in 0..<batch {
                for o in 0..<cout {
                    let group = o / coutG
                    var acc = Double(b?.values[o] ?? 0)
                    for c in 0..<cinG {
                        let xBase = (bi * cin + group * cinG + c) * inCount
                        let wBase = (o * cinG + c) * kCount
                        for kk in 0..<kCount {
                            guard let offset = offsets[kk] else { continue }
                            acc += Double(x.values[xBase + offset]) * Double(w.values[wBase + kk])
                        }
                    }
                    values[(bi * cout + o) * outCount + p] = Float(acc)
                }
            }
        }
        return HostTensor([batch, cout] + outSize, values)
    }
}
