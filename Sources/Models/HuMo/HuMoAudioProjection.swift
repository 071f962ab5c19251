import Tensor

/// HuMo's audio projection: one latent frame's Whisper window `[window, groups, channels]`
/// (flattened in that order, channels fastest) → `tokensPerFrame` audio tokens of width tokenDim:
/// `tok = LN_{1e-5}(reshape(L₃(ReLU(L₂(ReLU(L₁(w))))), [16, tokenDim]))`.
///
/// "No audio" (the negative CFG branch) is an all-zero window fed through this projection; the
/// biases make the resulting tokens non-zero.
///
/// Follows: Phantom-video/HuMo `humo/models/audio/audio_proj.py` `AudioProjModel`.
public struct HuMoAudioProjection: Sendable {
    public let config: HuMoAudioConfig
    public let proj1: Linear
    public let proj2: Linear
    public let proj3: Linear
    public let norm: LayerNorm

    /// Reads `audio_proj.audio_proj_glob_{1,2,3}.layer` and `audio_proj.audio_proj_glob_norm.layer`.
    public init(_ r: inout WeightReader, config: HuMoAudioConfig) throws {
        self.config = config
        let p = "audio_proj.audio_proj_glob"
        proj1 = try Linear(&r, "\(p)_1.layer", in: config.windowValues, out: config.intermediate)
        proj2 = try Linear(&r, "\(p)_2.layer", in: config.intermediate, out: config.intermediate)
        proj3 = try Linear(&r, "\(p)_3.layer", in: config.intermediate, out: config.tokensPerFrame * config.tokenDim)
        norm = try LayerNorm(&r, "\(p)_norm.layer", dim: config.tokenDim, eps: config.layernormEps)
    }

    /// windows `[F, window, groups, channels]` → tokens `[F·tokensPerFrame, tokenDim]`, frame-major.
    public func callAsFunction(_ windows: Tensor, on backend: any Backend) throws -> Tensor {
        let c = config
        guard windows.rank == 4, windows.shape[1] == c.window, windows.shape[2] == c.groups,
            windows.shape[3] == c.channels, windows.shape[0] > 0
        else {
            throw WanError.invalidInput(
                "audio windows \(windows.shape), expected [F, \(c.window), \(c.groups), \(c.channels)]")
        }
        let f = windows.shape[0]
        var h = try backend.reshape(windows, [f, c.windowValues])
        h = try backend.unary(.relu, try proj1(h, on: backend))
        h = try backend.unary(.relu, try proj2(h, on: backend))
        h = try proj3(h, on: backend)
        return try norm(try h.reshaped([f * c.tokensPerFrame, c.tokenDim]), on: backend)
    }
}

/// HuMo's per-frame audio cross-attention inside every block: the video tokens of latent frame f
/// attend only to the `tokensPerFrame` audio tokens of frame f. No RoPE, no gate, no modulation:
/// `x ← x + AudioAttn(LN_affine(x), audio[f])`.
///
/// Follows: Phantom-video/HuMo `model_humo.py` `AudioCrossAttentionWrapper`.
public struct HuMoAudioCrossAttention: Sendable {
    public let norm: LayerNorm
    public let attention: WanAttention
    public let tokensPerFrame: Int

    /// Reads `<block>.audio_cross_attn_wrapper.{norm1_audio, audio_cross_attn}`.
    public init(_ r: inout WeightReader, _ block: String, dim: Int, heads: Int, eps: Float, audio: HuMoAudioConfig)
        throws
    {
        let p = "\(block).audio_cross_attn_wrapper"
        norm = try LayerNorm(&r, "\(p).norm1_audio", dim: dim, eps: eps)
        attention = try WanAttention(
            &r, "\(p).audio_cross_attn", dim: dim, contextDim: audio.tokenDim, heads: heads, eps: eps)
        tokensPerFrame = audio.tokensPerFrame
    }

    /// Keys and values `[F, tokensPerFrame, dim]` of audio tokens `[F·tokensPerFrame, tokenDim]`
    /// (constant across sampler steps for one audio clip and branch).
    public func keysValues(audio: Tensor, frames: Int, on backend: any Backend) throws -> WanAttention.KeysValues {
        guard frames > 0, audio.rank == 2, audio.shape[0] == frames * tokensPerFrame else {
            throw WanError.invalidInput(
                "audio tokens \(audio.shape) for \(frames) latent frames (\(tokensPerFrame) tokens each)")
        }
        return try attention.keysValues(
            try audio.reshaped([frames, tokensPerFrame, audio.shape[1]]), on: backend)
    }

    /// The residual update for x `[F·P, dim]` (P tokens per frame) given the audio keys and values
    /// `[F, tokensPerFrame, dim]`; returns the new x.
    public func callAsFunction(_ x: Tensor, keysValues kv: WanAttention.KeysValues, on backend: any Backend) throws
        -> Tensor
    {
        let frames = kv.k.shape[0]
        guard x.rank == 2, frames > 0, x.shape[0] % frames == 0 else {
            throw WanError.invalidInput("tokens \(x.shape) do not split into \(frames) latent frames")
        }
        let dim = x.shape[1]
        let q = try norm(x, on: backend).reshaped([frames, x.shape[0] / frames, dim])
        let a = try attention(q, keysValues: kv, on: backend)
        return try backend.add(x, try a.reshaped([x.shape[0], dim]))
    }

    /// The residual update for x `[F·P, dim]` (P tokens per frame) given audio tokens
    /// `[F·tokensPerFrame, tokenDim]`; returns the new x.
    public func callAsFunction(_ x: Tensor, audio: Tensor, frames: Int, on backend: any Backend) throws -> Tensor {
        try self(x, keysValues: try keysValues(audio: audio, frames: frames, on: backend), on: backend)
    }
}
