import Foundation
import Tensor

extension Reference {
    public static func pad(_ x: HostTensor, _ padding: [AxisPadding], _ mode: PadMode) -> HostTensor {
        let shape = zip(x.shape, padding).map { $0 + $1.before + $1.after }
        let out = HostTensor(shape, [Float](repeating: 0, count: shape.reduce(1, *)))
        var values = out.values
        for i in values.indices {
            let idx = out.index(of: i)
            var src: [Int] = []
            var constant: Float?
            for k in idx.indices {
                var j = idx[k] - padding[k].before
                let n = x.shape[k]
                if j < 0 || j >= n {
                    switch mode {
                    case .constant(let v): constant = v
                    case .replicate: j = min(max(j, 0), n - 1)
                    case .reflect: j = j < 0 ? -j : 2 * (n - 1) - j
                    }
                }
                src.append(j)
            }
            values[i] = constant ?? x.values[x.flat(src)]
        }
        return HostTensor(shape, values)
    }

    /// torch `F.interpolate` semantics along one axis.
    public static func resize(_ x: HostTensor, axis: Int, size: Int, mode: ResizeMode) -> HostTensor {
        var shape = x.shape
        let n = x.shape[axis]
        shape[axis] = size
        let out = HostTensor(shape, [Float](repeating: 0, count: shape.reduce(1, *)))
        var values = out.values
        for i in values.indices {
            var idx = out.index(of: i)
            let o = idx[axis]
            switch mode {
            case .nearest:
                idx[axis] = min(Int(floor(Double(o) * Double(n) / Double(size))), n - 1)
                values[i] = x.values[x.flat(idx)]
            case .nearestExact:
                idx[axis] = min(Int(floor((Double(o) + 0.5) * Double(n) / Double(size))), n - 1)
                values[i] = x.values[x.flat(idx)]
            case .linear(let alignCorners):
                let p =
                    alignCorners
                    ? (size > 1 ? Double(o) * Double(n - 1) / Double(size - 1) : 0)
                    : min(max((Double(o) + 0.5) * Double(n) / Double(size) - 0.5, 0), Double(n - 1))
                let lo = Int(floor(p))
                let hi = min(lo + 1, n - 1)
                idx[axis] = lo
                let a = Double(x.values[x.flat(idx)])
                idx[axis] = hi
                let b = Double(x.values[x.flat(idx)])
                values[i] = Float(a + (p - Double(lo)) * (b - a))
            }
        }
        return HostTensor(shape, values)
    }

    public static func reduce(_ op: ReduceOp, _ x: HostTensor, axis: Int) -> HostTensor {
        var shape = x.shape
        let n = shape.remove(at: axis)
        let out = HostTensor(shape, [Float](repeating: 0, count: shape.reduce(1, *)))
        var values = out.values
        for i in values.indices {
            let idx = out.index(of: i)
            var items: [Double] = []
            for j in 0..<n {
                var src = idx
                src.insert(j, at: axis)
                items.append(Double(x.values[x.flat(src)]))
            }
            let r: Double
            switch op {
            case .sum: r = items.reduce(0, +)
            case .mean: r = items.reduce(0, +) / Double(n)
            case .max: r = items.max() ?? -.infinity
            case .min: r = items.min() ?? .infinity
            case .l2Norm: r = items.reduce(0) { $0 + $1 * $1 }.squareRoot()
            }
            values[i] = Float(r)
        }
        return HostTensor(shape, values)
    }

    public static func concat(_ xs: [HostTensor], axis: Int) -> HostTensor {
        var shape = xs[0].shape
        shape[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
        let out = HostTensor(shape, [Float](repeating: 0, count: shape.reduce(1, *)))
        var values = out.values
        for i in values.indices {
            var idx = out.index(of: i)
            var part = 0
            while idx[axis] >= xs[part].shape[axis] {
                idx[axis] -= xs[part].shape[axis]
                part += 1
            }
            values[i] = xs[part].values[xs[part].flat(idx)]
        }
        return HostTensor(shape, values)
    }
}
