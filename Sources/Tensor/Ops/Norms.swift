/// Normalisations. Statistics are computed in f32 (or wider); variance is the biased (1/n) one.
/// Requirements labelled `checked:` are backend kernels: call the public op of the same name
/// (extension below), which checks the shapes first.
public protocol NormOps: AnyObject, Sendable {
    /// Kernel of `layerNorm(_:weight:bias:eps:)`.
    func layerNorm(checked x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor
    /// Kernel of `rmsNorm(_:weight:eps:)`.
    func rmsNorm(checked x: Tensor, weight: Tensor?, eps: Float) throws -> Tensor
    /// Kernel of `groupNorm(_:groups:weight:bias:eps:)`.
    func groupNorm(checked x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor
    /// Kernel of `channelRMSNorm(_:gamma:eps:)`.
    func channelRMSNorm(checked x: Tensor, gamma: Tensor?, eps: Float) throws -> Tensor
}

extension NormOps {
    /// Layer norm over the last axis (size D):
    /// `y = (x − μ) / √(σ² + eps) · weight + bias`, μ and σ² the mean and biased variance of the row.
    /// weight and bias are `[D]` or nil (nil = no affine, as Wan's norm1/norm2).
    /// x `[..., D]` → same shape.
    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor {
        let d = try ShapeCheck.lastAxis(x, "layerNorm")
        try ShapeCheck.vector(weight, count: d, "weight", "layerNorm")
        try ShapeCheck.vector(bias, count: d, "bias", "layerNorm")
        try ShapeCheck.epsilon(eps, "layerNorm")
        return try layerNorm(checked: x, weight: weight, bias: bias, eps: eps)
    }

    /// RMS norm over the last axis (size D): `y = x / √(mean(x²) + eps) · weight`, weight `[D]` or nil.
    /// Wan applies it to q and k across all heads (D = dim). x `[..., D]` → same shape.
    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) throws -> Tensor {
        let d = try ShapeCheck.lastAxis(x, "rmsNorm")
        try ShapeCheck.vector(weight, count: d, "weight", "rmsNorm")
        try ShapeCheck.epsilon(eps, "rmsNorm")
        return try rmsNorm(checked: x, weight: weight, eps: eps)
    }

    /// Group norm: channels split into `groups` groups, statistics over (channels of the group × all
    /// spatial positions) per batch item: `y = (x − μ_g) / √(σ²_g + eps) · weight[c] + bias[c]`.
    /// x `[B, C, ...]` with C % groups == 0; weight, bias `[C]` or nil. Same shape.
    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor {
        let c = try ShapeCheck.channels(x, "groupNorm")
        guard groups >= 1, c % groups == 0 else {
            throw TensorError.shapeMismatch("groupNorm: \(c) channels of x \(x.shape) do not split into \(groups) groups")
        }
        try ShapeCheck.vector(weight, count: c, "weight", "groupNorm")
        try ShapeCheck.vector(bias, count: c, "bias", "groupNorm")
        try ShapeCheck.epsilon(eps, "groupNorm")
        return try groupNorm(checked: x, groups: groups, weight: weight, bias: bias, eps: eps)
    }

    /// The Wan VAE's `RMS_norm` (torch `F.normalize(x, dim=1) · √C · γ`): over the channel axis 1,
    /// `y[b, c, p] = x[b, c, p] / max(‖x[b, :, p]‖₂, eps) · √C · gamma[c]`.
    /// x `[B, C, ...]`, gamma `[C]` or nil; eps is 1e-12 in Wan. Same shape.
    public func channelRMSNorm(_ x: Tensor, gamma: Tensor?, eps: Float) throws -> Tensor {
        let c = try ShapeCheck.channels(x, "channelRMSNorm")
        try ShapeCheck.vector(gamma, count: c, "gamma", "channelRMSNorm")
        try ShapeCheck.epsilon(eps, "channelRMSNorm")
        return try channelRMSNorm(checked: x, gamma: gamma, eps: eps)
    }
}
