// LayoutOps: copies, casts, concat, pad, resize, embedding (shaders copy, pack, pad, resize, embedding).
import Tensor

extension VulkanBackend {
    public func contiguous(_ x: Tensor) throws -> Tensor {
        _ = try buffer(x, "contiguous")
        if x.isContiguous { return x }
        return try cast(x, to: x.dtype)
    }

    public func cast(_ x: Tensor, to dtype: DType) throws -> Tensor {
        let wide = try gather(x, op: "cast")
        guard dtype != .f32 else { return wide }
        let out = try newTensor(x.shape, dtype, op: "cast")
        let count = x.count
        guard count > 0 else { return out }
        let source = try buffer(wide, "cast")
        let destination = try buffer(out, "cast")
        try context.record { recorder in
            try recorder.dispatch(
                "pack", constants: [dtype.shaderCode], buffers: [source, destination], push: ["count": .uint(count)],
                groups: grid((count + 1) / 2))
        }
        return out
    }

    public func concat(checked xs: [Tensor], axis a: Int, shape: [Int]) throws -> Tensor {
        let first = xs[0]
        let out = try newTensor(shape, op: "concat")
        let strides = Layout.contiguousStrides(shape)
        var start = 0
        for x in xs {
            // Each part is scattered into its slab of the output: same strides, shifted start.
            try copy(x, into: out, outStrides: strides, outOffset: start * strides[a], op: "concat")
            start += x.shape[a]
        }
        return first.dtype == .f32 ? out : try cast(out, to: first.dtype)
    }

    public func pad(checked x: Tensor, padding: [AxisPadding], mode: PadMode) throws -> Tensor {
        let shape = zip(x.shape, padding).map { $0 + $1.before + $1.after }
        let (code, value): (UInt32, Float)
        switch mode {
        case .constant(let v): (code, value) = (0, v)
        case .replicate: (code, value) = (1, 0)
        case .reflect: (code, value) = (2, 0)
        }
        let dense = try dense(x, "pad")
        let out = try newTensor(shape, op: "pad")
        let count = out.count
        guard count > 0 else { return out }
        let rankShape = shape.isEmpty ? [1] : shape
        let inShape = x.shape.isEmpty ? [1] : x.shape
        let before = padding.isEmpty ? [0] : padding.map(\.before)
        let table = try meta([rankShape.count] + rankShape + inShape + before, "pad")
        let source = try buffer(dense, "pad")
        let destination = try buffer(out, "pad")
        try context.record { recorder in
            try recorder.dispatch(
                "pad", constants: [code], buffers: [source, destination, table],
                push: ["count": .uint(count), "value": .float(value)], groups: grid(count))
        }
        return out
    }

    public func resize(checked x: Tensor, axis a: Int, size: Int, mode: ResizeMode) throws -> Tensor {
        let n = x.shape[a]
        guard 2 * (n + 1) * (size + 1) < Int(UInt32.max) else {
            throw TensorError.invalidArgument("resize: sizes \(n) → \(size) too large for 32-bit index arithmetic")
        }
        let code: UInt32 =
            switch mode {
            case .nearest: 0
            case .nearestExact: 1
            case .linear(alignCorners: true): 2
            case .linear(alignCorners: false): 3
            }
        var shape = x.shape
        shape[a] = size
        let dense = try dense(x, "resize")
        let out = try newTensor(shape, op: "resize")
        let count = out.count
        guard count > 0 else { return out }
        let inner = x.shape[(a + 1)...].reduce(1, *)
        let source = try buffer(dense, "resize")
        let destination = try buffer(out, "resize")
        let push: PushValues = ["count": .uint(count), "n": .uint(n), "m": .uint(size), "inner": .uint(inner)]
        try context.record { recorder in
            try recorder.dispatch(
                "resize", constants: [code], buffers: [source, destination], push: push, groups: grid(count))
        }
        return out
    }

    public func embedding(checked table: Tensor, indices: [Int32]) throws -> Tensor {
        let dim = table.shape[1]
        let packed = table.isContiguous ? table : try contiguous(table)
        let out = try newTensor([indices.count, dim], op: "embedding")
        let count = out.count
        guard count > 0 else { return out }
        let source = try buffer(packed, "embedding")
        let list = try meta(indices.map { Int($0) }, "embedding")
        let destination = try buffer(out, "embedding")
        let push: PushValues = ["count": .uint(count), "dim": .uint(dim), "table_offset": .uint(packed.offset)]
        try context.record { recorder in
            try recorder.dispatch(
                "embedding", constants: [packed.dtype.shaderCode], buffers: [source, list, destination], push: push,
                groups: grid(count))
        }
        return out
    }
}
