import Foundation
import Tensor

extension CPUBackend {
    public func contiguous(_ x: Tensor) throws -> Tensor {
        _ = try storage(x, "contiguous")
        return x.isContiguous ? x : try cast(x, to: x.dtype)
    }

    public func cast(_ x: Tensor, to dtype: DType) throws -> Tensor {
        let s = try storage(x, "cast")
        let out = try allocate(x.count * dtype.byteSize, zeroed: false)
        stridedCopy(
            from: x.cpuAddress(s), x.dtype, strides: x.strides, to: out.base, dtype,
            strides: Layout.contiguousStrides(x.shape), shape: x.shape, threads: threads)
        return try Tensor(storage: out, dtype: dtype, shape: x.shape)
    }

    public func concat(checked xs: [Tensor], axis a: Int, shape: [Int]) throws -> Tensor {
        let dtype = xs[0].dtype
        let out = try allocate(try Layout.elementCount(shape, op: "concat") * dtype.byteSize, zeroed: false)
        let outStrides = Layout.contiguousStrides(shape)
        var start = 0
        for x in xs {
            let s = try storage(x, "concat")
            stridedCopy(
                from: x.cpuAddress(s), x.dtype, strides: x.strides,
                to: out.base + start * outStrides[a] * dtype.byteSize, dtype, strides: outStrides,
                shape: x.shape, threads: threads)
            start += x.shape[a]
        }
        return try Tensor(storage: out, dtype: dtype, shape: shape)
    }

    public func pad(checked x: Tensor, padding: [AxisPadding], mode: PadMode) throws -> Tensor {
        let src = try f32(x, "pad")
        let shape = zip(x.shape, padding).map { $0 + $1.before + $1.after }
        let (result, dst) = try output(shape)
        if shape.contains(0) { return result }
        let rank = x.rank
        let inStrides = Layout.contiguousStrides(x.shape)
        let lastIn = x.shape.last ?? 1
        let lastOut = shape.last ?? 1
        let lastPad = padding.last ?? AxisPadding(0, 0)
        // Source index along an axis, or nil for a constant fill.
        @inline(__always) func source(_ i: Int, _ k: Int) -> Int? {
            let j = i - padding[k].before
            let n = x.shape[k]
            if j >= 0 && j < n { return j }
            switch mode {
            case .constant: return nil
            case .replicate: return j < 0 ? 0 : n - 1
            case .reflect: return j < 0 ? -j : 2 * (n - 1) - j
            }
        }
        var fillValue: Float = 0
        if case .constant(let v) = mode { fillValue = v }
        let rows = shape.dropLast().reduce(1, *)
        let outerShape = Array(shape.dropLast())
        parallelRanges(rows, grain: max(1, 16_384 / lastOut), threads: threads) { range in
            for r in range {
                var rest = r
                var base = 0
                var inside = true
                for k in stride(from: rank - 2, through: 0, by: -1) {
                    let i = rest % outerShape[k]
                    rest /= outerShape[k]
                    if let j = source(i, k) { base += j * inStrides[k] } else { inside = false }
                }
                let d = dst + r * lastOut
                if !inside {
                    d.update(repeating: fillValue, count: lastOut)
                    continue
                }
                let s = src.pointer + base
                if rank == 0 {
                    d[0] = s[0]
                    continue
                }
                for i in 0..<lastOut {
                    if i >= lastPad.before && i < lastPad.before + lastIn {
                        d[i] = s[i - lastPad.before]
                    } else if let j = source(i, rank - 1) {
                        d[i] = s[j]
                    } else {
                        d[i] = fillValue
                    }
                }
            }
        }
        return result
    }

    public func resize(checked x: Tensor, axis a: Int, size: Int, mode: ResizeMode) throws -> Tensor {
        let n = x.shape[a]
        let src = try f32(x, "resize")
        var shape = x.shape
        shape[a] = size
        let (result, dst) = try output(shape)
        if result.count == 0 { return result }
        let outer = x.shape[..<a].reduce(1, *)
        let inner = x.shape[(a + 1)...].reduce(1, *)
        // For each output index: two source indices and the weight of the second.
        var i0 = [Int](repeating: 0, count: size)
        var i1 = [Int](repeating: 0, count: size)
        var w1 = [Float](repeating: 0, count: size)
        for i in 0..<size {
            switch mode {
            case .nearest:
                i0[i] = min(i * n / size, n - 1)
                i1[i] = i0[i]
            case .nearestExact:
                i0[i] = min(Int((Double(i) + 0.5) * Double(n) / Double(size)), n - 1)
                i1[i] = i0[i]
            case .linear(let alignCorners):
                var p: Double
                if alignCorners {
                    p = size > 1 ? Double(i) * Double(n - 1) / Double(size - 1) : 0
                } else {
                    p = max((Double(i) + 0.5) * Double(n) / Double(size) - 0.5, 0)
                }
                p = min(p, Double(n - 1))
                let f = Int(p.rounded(.down))
                i0[i] = f
                i1[i] = min(f + 1, n - 1)
                w1[i] = Float(p - Double(f))
            }
        }
        parallelRanges(outer * size, grain: max(1, 16_384 / inner), threads: threads) { range in
            for r in range {
                let o = r / size
                let i = r % size
                let a0 = src.pointer + (o * n + i0[i]) * inner
                let a1 = src.pointer + (o * n + i1[i]) * inner
                let d = dst + r * inner
                let w = w1[i]
                if w == 0 {
                    d.update(from: a0, count: inner)
                } else {
                    for j in 0..<inner { d[j] = a0[j] + w * (a1[j] - a0[j]) }
                }
            }
        }
        return result
    }

    public func embedding(checked table: Tensor, indices: [Int32]) throws -> Tensor {
        let d = table.shape[1]
        let s = try storage(table, "embedding")
        let (result, dst) = try output([indices.count, d])
        let base = table.cpuAddress(s)
        for (r, index) in indices.enumerated() {
            stridedCopy(
                from: base + Int(index) * table.strides[0] * table.dtype.byteSize, table.dtype,
                strides: [table.strides[1]], to: UnsafeMutableRawPointer(dst + r * d), .f32, strides: [1],
                shape: [d], threads: 1)
        }
        return result
    }
}
