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

/// Copies, casts and shape-changing ops. Results are contiguous.
public protocol LayoutOps: AnyObject, Sendable {
    /// A contiguous copy of x in x.dtype (x itself when already contiguous).
    func contiguous(_ x: Tensor) throws -> Tensor

    /// A contiguous copy of x stored as `dtype` (round to nearest even for f16/bf16).
    func cast(_ x: Tensor, to dtype: DType) throws -> Tensor

    /// Tensors joined along `axis`; all other axes must match; dtype of the first (others converted).
    func concat(_ xs: [Tensor], axis: Int) throws -> Tensor

    /// x padded per axis (`padding.count == x.rank`); output size `before + n + after` per axis.
    /// f32 result.
    func pad(_ x: Tensor, padding: [AxisPadding], mode: PadMode) throws -> Tensor

    /// x resampled along one `axis` from n to `size` elements (see `ResizeMode`). f32 result.
    func resize(_ x: Tensor, axis: Int, size: Int, mode: ResizeMode) throws -> Tensor

    /// Row lookup: `y[i] = table[indices[i]]`; table `[V, D]` → `[indices.count, D]` f32.
    /// Throws for an index outside 0..<V.
    func embedding(_ table: Tensor, indices: [Int32]) throws -> Tensor
}

extension LayoutOps {
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
