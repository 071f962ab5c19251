/// Normalisations. Statistics are computed in f32 (or wider); variance is the biased (1/n) one.
public protocol NormOps: AnyObject, Sendable {
    /// Layer norm over the last axis (size D):
    /// `y = (x − μ) / √(σ² + eps) · weight + bias`, μ and σ² the mean and biased variance of the row.
    /// weight and bias are `[D]` or nil (nil = no affine, as Wan's norm1/norm2).
    /// x `[..., D]` → same shape.
    func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor

    /// RMS norm over the last axis (size D): `y = x / √(mean(x²) + eps) · weight`, weight `[D]` or nil.
    /// Wan applies it to q and k across all heads (D = dim). x `[..., D]` → same shape.
    func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) throws -> Tensor

    /// Group norm: channels split into `groups` groups, statistics over (channels of the group × all
    /// spatial positions) per batch item: `y = (x − μ_g) / √(σ²_g + eps) · weight[c] + bias[c]`.
    /// x `[B, C, ...]` with C % groups == 0; weight, bias `[C]` or nil. Same shape.
    func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor

    /// The Wan VAE's `RMS_norm` (torch `F.normalize(x, dim=1) · √C · γ`): over the channel axis 1,
    /// `y[b, c, p] = x[b, c, p] / max(‖x[b, :, p]‖₂, eps) · √C · gamma[c]`.
    /// x `[B, C, ...]`, gamma `[C]` or nil; eps is 1e-12 in Wan. Same shape.
    func channelRMSNorm(_ x: Tensor, gamma: Tensor?, eps: Float) throws -> Tensor
}
