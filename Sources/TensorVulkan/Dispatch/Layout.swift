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

    public func concat(_ xs: [Tensor], axis: Int) throws -> Tensor {
        guard let first = xs.first else { throw TensorError.invalidArgument("concat: no tensors") }
        let a = try Layout.axis(axis, rank: first.rank, op: "concat")
        for x in xs {
            guard x.rank == first.rank,
                x.shape.indices.allSatisfy({ $0 == a || x.shape[$0] == first.shape[$0] })
            else {
                throw TensorError.shapeMismatch(
                    "concat: \(x.shape) does not match \(first.shape) outside axis \(a)")
            }
        }
        var shape = first.shape
        shape[a] = xs.reduce(0) { $0 + $1.shape[a] }
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

    public func pad(_ x: Tensor, padding: [AxisPadding], mode: PadMode) throws -> Tensor {
        guard padding.count == x.rank else {
            throw TensorError.invalidArgument("pad: \(padding.count) paddings for rank-\(x.rank) \(x.shape)")
        }
        guard
            padding.allSatisfy({ (0..<Int(Int32.max)).contains($0.before) && (0..<Int(Int32.max)).contains($0.after) })
        else {
            throw TensorError.invalidArgument("pad: padding \(padding) must be ≥ 0 and below 2³¹")
        }
        let shape = zip(x.shape, padding).map { $0 + $1.before + $1.after }
        let (code, value): (UInt32, Float)
        switch mode {
        case .constant(let v): (code, value) = (0, v)
        case .replicate: (code, value) = (1, 0)
        case .reflect: (code, value) = (2, 0)
        }
        for (size, p) in zip(x.shape, padding) where size == 0 && (p.before > 0 || p.after > 0) && code != 0 {
            throw TensorError.invalidArgument("pad: cannot \(mode) an empty axis of \(x.shape)")
        }
        if code == 2 {
            for (size, p) in zip(x.shape, padding) where p.before >= size || p.after >= size {
                if p.before > 0 || p.after > 0 {
                    throw TensorError.invalidArgument("pad: reflect padding \(p) needs less than the axis size \(size)")
                }
            }
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

    public func resize(_ x: Tensor, axis: Int, size: Int, mode: ResizeMode) throws -> Tensor {
        let a = try Layout.axis(axis, rank: x.rank, op: "resize")
        guard (0..<Int(Int32.max)).contains(size) else {
            throw TensorError.invalidArgument("resize: size \(size) must be ≥ 0 and below 2³¹")
        }
        let n = x.shape[a]
        guard n > 0 || size == 0 else {
            throw TensorError.invalidArgument("resize: cannot resample an empty axis \(a) of \(x.shape) to \(size)")
        }
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

    public func embedding(_ table: Tensor, indices: [Int32]) throws -> Tensor {
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch("embedding: table \(table.shape) is not [V, D]")
        }
        let (rows, dim) = (table.shape[0], table.shape[1])
        if let bad = indices.first(where: { $0 < 0 || Int($0) >= rows }) {
            throw TensorError.invalidArgument("embedding: index \(bad) outside 0..<\(rows)")
        }
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
