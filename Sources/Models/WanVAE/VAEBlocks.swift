import Tensor

/// The Wan VAE's channel RMS norm: `y[b, c, p] = x[b, c, p] / max(‖x[b, :, p]‖₂, 1e-12) · √C · γ[c]`
/// (an L2 normalisation over the channel axis at every position, no bias).
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` `RMS_norm`.
public struct ChannelRMSNorm: Sendable {
    /// `[C]` (stored in checkpoints as `[C, 1, 1, 1]` or `[C, 1, 1]`).
    public let gamma: Tensor

    public init(gamma: Tensor) throws {
        guard gamma.count >= 1, gamma.shape.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw TensorError.shapeMismatch("ChannelRMSNorm: gamma \(gamma.shape) must be [C] or [C, 1, …]")
        }
        self.gamma = try gamma.reshaped([gamma.shape[0]])
    }

    public var channels: Int { gamma.shape[0] }

    /// x `[B, C, …]` → same shape.
    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        guard x.rank >= 2, x.shape[1] == channels else {
            throw TensorError.shapeMismatch("ChannelRMSNorm: input \(x.shape) for \(channels) channels")
        }
        return try backend.channelRMSNorm(x, gamma: gamma, eps: 1e-12)
    }
}

/// Residual block: `out = shortcut(x) + conv₂(SiLU(norm₂(conv₁(SiLU(norm₁(x))))))`, both convs
/// causal 3×3×3; the shortcut is a 1×1×1 conv when the channel count changes, else the identity.
/// (Dropout sits between SiLU and conv₂ in training; it is the identity at inference.)
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` `ResidualBlock` (`residual.0/2/3/6`, `shortcut`).
public struct VAEResidualBlock: Sendable {
    public let norm1: ChannelRMSNorm
    public let conv1: CausalConv3d
    public let norm2: ChannelRMSNorm
    public let conv2: CausalConv3d
    public let shortcut: CausalConv3d?

    public init(
        norm1: ChannelRMSNorm, conv1: CausalConv3d, norm2: ChannelRMSNorm, conv2: CausalConv3d,
        shortcut: CausalConv3d?
    ) throws {
        let cin = conv1.inputChannels
        let cout = conv2.outputChannels
        guard norm1.channels == cin, norm2.channels == conv1.outputChannels,
            conv2.inputChannels == conv1.outputChannels, cout == conv1.outputChannels,
            shortcut.map({ $0.inputChannels == cin && $0.outputChannels == cout && $0.history == 0 }) ?? (cin == cout)
        else {
            throw TensorError.shapeMismatch(
                "VAEResidualBlock: norm1 \(norm1.channels), conv1 \(conv1.weight.shape), norm2 \(norm2.channels), conv2 \(conv2.weight.shape), shortcut \(shortcut?.weight.shape ?? [])"
            )
        }
        self.norm1 = norm1
        self.conv1 = conv1
        self.norm2 = norm2
        self.conv2 = conv2
        self.shortcut = shortcut
    }

    /// x `[B, Cin, T, H, W]` → `[B, Cout, T, H, W]`; `cache` holds the two convs' caches.
    func callAsFunction(_ x: Tensor, cache: inout [FrameCache], on backend: any Backend) throws -> Tensor {
        var h = try backend.unary(.silu, norm1(x, on: backend))
        h = try conv1(h, cache: &cache[0], on: backend)
        h = try backend.unary(.silu, norm2(h, on: backend))
        h = try conv2(h, cache: &cache[1], on: backend)
        let identity = try shortcut.map { try $0(x, on: backend) } ?? x
        return try backend.add(h, identity)
    }
}

/// Single-head self-attention over the pixels of each frame separately:
/// `z = norm(x)`, `[q k v] = W_qkv·z + b` (1×1 conv, C → 3C), `o = softmax(q·kᵀ/√C)·v` over the H·W
/// positions of the frame, `out = x + W_proj·o + b_proj`.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` `AttentionBlock`.
public struct VAEAttentionBlock: Sendable {
    public let norm: ChannelRMSNorm
    /// `[3C, C]` (the 1×1 conv's kernel) and `[3C]`.
    public let qkvWeight: Tensor
    public let qkvBias: Tensor
    /// `[C, C]` and `[C]`.
    public let projWeight: Tensor
    public let projBias: Tensor

    /// Weights as stored: `to_qkv.weight` `[3C, C, 1, 1]`, `proj.weight` `[C, C, 1, 1]`.
    public init(norm: ChannelRMSNorm, qkvWeight: Tensor, qkvBias: Tensor, projWeight: Tensor, projBias: Tensor) throws {
        let c = norm.channels
        guard qkvWeight.count == 3 * c * c, qkvWeight.shape.first == 3 * c, qkvBias.shape == [3 * c],
            projWeight.count == c * c, projWeight.shape.first == c, projBias.shape == [c]
        else {
            throw TensorError.shapeMismatch(
                "VAEAttentionBlock: \(c) channels, to_qkv \(qkvWeight.shape)/\(qkvBias.shape), proj \(projWeight.shape)/\(projBias.shape)"
            )
        }
        self.norm = norm
        self.qkvWeight = try qkvWeight.reshaped([3 * c, c])
        self.qkvBias = qkvBias
        self.projWeight = try projWeight.reshaped([c, c])
        self.projBias = projBias
    }

    /// x `[B, C, T, H, W]` → same shape.
    func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        guard x.rank == 5, x.shape[1] == norm.channels else {
            throw TensorError.shapeMismatch("VAEAttentionBlock: input \(x.shape) for \(norm.channels) channels")
        }
        let (b, c, t, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        // Frames become the batch, pixels the tokens: [B, C, T, H, W] → [B·T, H·W, C].
        let tokens = try backend.reshape(norm(x, on: backend).permuted([0, 2, 3, 4, 1]), [b * t, h * w, c])
        let qkv = try backend.linear(tokens, weight: qkvWeight, bias: qkvBias)
        let parts = try qkv.split(axis: 2, sizes: [c, c, c]).map { try $0.unsqueezed(2) }
        let o = try backend.attention(q: parts[0], k: parts[1], v: parts[2], scale: 1 / Float(c).squareRoot())
        let projected = try backend.linear(try o.reshaped([b * t, h * w, c]), weight: projWeight, bias: projBias)
        let back = try projected.reshaped([b, t, h, w, c]).permuted([0, 4, 1, 2, 3])
        return try backend.add(back, x)
    }
}
