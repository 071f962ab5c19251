import Tensor

/// Layer norm over the last axis: `y = (x − μ)/√(σ² + eps) · weight + bias` (biased variance),
/// with or without the affine part (Wan's norm1/norm2 have none). x `[..., D]` → same shape.
public struct LayerNorm: Sendable {
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float

    /// Without affine parameters.
    public init(eps: Float) {
        weight = nil
        bias = nil
        self.eps = eps
    }

    /// Reads `<prefix>.weight` and `<prefix>.bias`, both `[dim]`.
    public init(_ reader: inout WeightReader, _ prefix: String, dim: Int, eps: Float) throws {
        weight = try reader.take("\(prefix).weight", shape: [dim])
        bias = try reader.take("\(prefix).bias", shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        try backend.layerNorm(x, weight: weight, bias: bias, eps: eps)
    }
}

/// RMS norm over the last axis: `y = x / √(mean(x²) + eps) · weight`. Wan applies it to q and k
/// over the whole model dim, before the split into heads. x `[..., D]` → same shape.
public struct RMSNorm: Sendable {
    public let weight: Tensor
    public let eps: Float

    /// Reads `<prefix>.weight` `[dim]`.
    public init(_ reader: inout WeightReader, _ prefix: String, dim: Int, eps: Float) throws {
        weight = try reader.take("\(prefix).weight", shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        try backend.rmsNorm(x, weight: weight, eps: eps)
    }
}
