import Tensor

/// Affine layer y = x·Wᵀ + b (torch `nn.Linear`).
///
/// - weight: `[out, in]` (f32, f16 or bf16 as stored), bias: `[out]` or nil.
/// - x `[..., in]` → `[..., out]` f32.
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Reads `<prefix>.weight` `[out, in]` and (when `bias`) `<prefix>.bias` `[out]`.
    public init(_ reader: inout WeightReader, _ prefix: String, in inFeatures: Int, out: Int, bias: Bool = true) throws
    {
        weight = try reader.take("\(prefix).weight", shape: [out, inFeatures])
        self.bias = bias ? try reader.take("\(prefix).bias", shape: [out]) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        try backend.linear(x, weight: weight, bias: bias)
    }
}
