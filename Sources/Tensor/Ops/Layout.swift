/// How `pad` fills the new elements.
public enum PadMode: Sendable, Hashable {
    /// A constant value (zero padding is `.constant(0)`).
    case constant(Float)
    /// The nearest edge element (torch `replicate`).
    case replicate
    /// Mirror without repeating the edge (torch `reflect`: padding < size required).
    case reflect
}

/// How `resize` maps output index i to input positions along one axis of size n → m.
public enum ResizeMode: Sendable, Hashable {
    /// torch `nearest`: src = ⌊i · n / m⌋.
    case nearest
    /// torch `nearest-exact` (Wan VAE upsample): src = min(⌊(i + 0.5) · n / m⌋, n − 1).
    case nearestExact
    /// Linear interpolation. alignCorners: src = i·(n−1)/(m−1); otherwise src = (i + 0.5)·n/m − 0.5
    /// clamped to [0, n−1].
    case linear(alignCorners: Bool)
}

/// Copies, casts and shape-changing ops. Results are contiguous. Requirements labelled `checked:`
/// are backend kernels: call the public op of the same name (extension below), which checks first.
public protocol LayoutOps: AnyObject, Sendable {
    /// A contiguous copy of x in x.dtype (x itself when already contiguous).
    func contiguous(_ x: Tensor) throws -> Tensor

    /// A contiguous copy of x stored as `dtype` (round to nearest even for f16/bf16).
    func cast(_ x: Tensor, to dtype: DType) throws -> Tensor

    /// Kernel of `concat(_:axis:)`: `axis` in 0..<rank, `shape` the result's shape.
    func concat(checked xs: [Tensor], axis: Int, shape: [Int]) throws -> Tensor

    /// Kernel of `pad(_:padding:mode:)`.
    func pad(checked x: Tensor, padding: [AxisPadding], mode: PadMode) throws -> Tensor

    /// Kernel of `resize(_:axis:size:mode:)`: `axis` in 0..<rank.
    func resize(checked x: Tensor, axis: Int, size: Int, mode: ResizeMode) throws -> Tensor

    /// Kernel of `embedding(_:indices:)`: every index inside the table.
    func embedding(checked table: Tensor, indices: [Int32]) throws -> Tensor
}

extension LayoutOps {
    /// Tensors joined along `axis` (negative counts from the end); all other axes must match; dtype
    /// of the first (others converted).
    public func concat(_ xs: [Tensor], axis: Int) throws -> Tensor {
        guard let first = xs.first else { throw TensorError.invalidArgument("concat: no tensors") }
        let a = try Layout.axis(axis, rank: first.rank, op: "concat")
        for x in xs where x.rank != first.rank || x.shape.indices.contains(where: { $0 != a && x.shape[$0] != first.shape[$0] }) {
            throw TensorError.shapeMismatch("concat on axis \(a): \(xs.map(\.shape)) differ outside that axis")
        }
        var shape = first.shape
        shape[a] = xs.reduce(0) { $0 + $1.shape[a] }
        return try concat(checked: xs, axis: a, shape: shape)
    }

    /// x padded per axis (`padding.count == x.rank`); output size `before + n + after` per axis.
    /// Replicate and reflect need elements to copy: a padded axis must not be empty, and reflect
    /// padding must be smaller than the axis. f32 result.
    public func pad(_ x: Tensor, padding: [AxisPadding], mode: PadMode) throws -> Tensor {
        guard padding.count == x.rank else {
            throw TensorError.invalidArgument("pad: \(padding.count) paddings for x \(x.shape) of rank \(x.rank)")
        }
        guard padding.allSatisfy({ (0..<Int(Int32.max)).contains($0.before) && (0..<Int(Int32.max)).contains($0.after) })
        else {
            throw TensorError.invalidArgument("pad: padding \(padding) must be ≥ 0 and below 2³¹")
        }
        for (axis, (size, p)) in zip(x.shape, padding).enumerated() where p.before > 0 || p.after > 0 {
            switch mode {
            case .constant: break
            case .replicate:
                guard size > 0 else {
                    throw TensorError.invalidArgument("pad: cannot replicate the empty axis \(axis) of \(x.shape)")
                }
            case .reflect:
                guard p.before < size, p.after < size else {
                    throw TensorError.invalidArgument(
                        "pad: reflect padding \(p) on axis \(axis) of \(x.shape) must be smaller than the axis")
                }
            }
        }
        return try pad(checked: x, padding: padding, mode: mode)
    }

    /// x resampled along one `axis` (negative counts from the end) from n to `size` elements (see
    /// `ResizeMode`). An empty axis can only be resized to 0. f32 result.
    public func resize(_ x: Tensor, axis: Int, size: Int, mode: ResizeMode) throws -> Tensor {
        let a = try Layout.axis(axis, rank: x.rank, op: "resize")
        guard (0..<Int(Int32.max)).contains(size) else {
            throw TensorError.invalidArgument("resize: size \(size) must be ≥ 0 and below 2³¹")
        }
        guard x.shape[a] > 0 || size == 0 else {
            throw TensorError.invalidArgument("resize: cannot resample the empty axis \(a) of \(x.shape) to \(size)")
        }
        return try resize(checked: x, axis: a, size: size, mode: mode)
    }

    /// Row lookup: `y[i] = table[indices[i]]`; table `[V, D]` → `[indices.count, D]` f32.
    /// Throws for an index outside 0..<V.
    public func embedding(_ table: Tensor, indices: [Int32]) throws -> Tensor {
        guard table.rank == 2 else { throw TensorError.shapeMismatch("embedding: table \(table.shape) is not [V, D]") }
        if let bad = indices.first(where: { $0 < 0 || Int($0) >= table.shape[0] }) {
            throw TensorError.invalidArgument("embedding: index \(bad) outside 0..<\(table.shape[0])")
        }
        return try embedding(checked: table, indices: indices)
    }

    /// x with a new shape; a view when possible, a contiguous copy otherwise.
    public func reshape(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
        if let view = try? x.reshaped(shape) { return view }
        return try contiguous(x).reshaped(shape)
    }

    /// Multi-axis interpolation of the trailing spatial axes of x `[B, C, S₁…S_N]` to `size` (as torch
    /// `F.interpolate`), done one axis at a time (exact for nearest and separable linear modes).
    public func interpolate(_ x: Tensor, size: [Int], mode: ResizeMode) throws -> Tensor {
        guard size.count <= x.rank - 2 else {
            throw TensorError.invalidArgument("interpolate: \(size.count) sizes for \(x.shape)")
        }
        var y = x
        for (i, s) in size.enumerated() {
            let axis = x.rank - size.count + i
            if y.shape[axis] != s { y = try resize(y, axis: axis, size: s, mode: mode) }
        }
        return y
    }
}
