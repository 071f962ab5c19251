import Foundation
import Tensor

/// One pre-LN Whisper encoder layer:
/// `x += out_proj(MHA(self_attn_layer_norm(x)))`, `x += fc2(GELU(fc1(final_layer_norm(x))))`,
/// GELU the exact (erf) one; q = q_proj(z)·hd^(−1/2) with bias, k = k_proj(z) **without** bias,
/// v = v_proj(z) with bias, heads contiguous slices of d_model.
///
/// Follows: huggingface/transformers `WhisperEncoderLayer` (eager attention).
public struct WhisperEncoderLayer: Sendable {
    public let attentionNorm: LayerNorm
    public let q: Linear
    public let k: Linear
    public let v: Linear
    public let out: Linear
    public let ffnNorm: LayerNorm
    public let fc1: Linear
    public let fc2: Linear
    public let heads: Int

    /// x `[B, T, d]` or `[T, d]` → same shape.
    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        let z = try attentionNorm(x, on: backend)
        let o = try multiHeadAttention(
            q: q(z, on: backend), k: k(z, on: backend), v: v(z, on: backend), heads: heads, on: backend)
        let h = try backend.add(x, try out(o, on: backend))
        let f = try fc2(try backend.unary(.geluErf, fc1(ffnNorm(h, on: backend), on: backend)), on: backend)
        return try backend.add(h, f)
    }
}

/// The Whisper audio encoder: log-mel `[B, mel, 2T]` → hidden states at 50 Hz.
///
/// 1. x = GELU(conv1(mel)), Conv1d mel → d, kernel 3, padding 1;
/// 2. x = GELU(conv2(x)), Conv1d d → d, kernel 3, stride 2, padding 1 → `[B, d, T]`, transposed to `[B, T, d]`;
/// 3. x += embed_positions[0..<T] (the stored sinusoid table);
/// 4. the layers, then the final `layer_norm`.
///
/// `hiddenStates` returns n+1 states (n = layers), as transformers' `output_hidden_states`:
/// state 0 = the embeddings (after step 3), state i (1 ≤ i < n) = raw output of layer i, state n =
/// `layer_norm`(output of layer n) — the raw last-layer output is not among them. large-v3 gives
/// the 33 states HuMo groups.
///
/// Follows: huggingface/transformers `WhisperEncoder`.
public struct WhisperEncoder: Sendable {
    public let config: WhisperEncoderConfig
    /// `[d, mel, 3]`, `[d]`.
    public let conv1Weight: Tensor
    public let conv1Bias: Tensor
    /// `[d, d, 3]`, `[d]`.
    public let conv2Weight: Tensor
    public let conv2Bias: Tensor
    /// `[maxSourcePositions, d]`.
    public let positions: Tensor
    public let layers: [WhisperEncoderLayer]
    public let finalNorm: LayerNorm

    /// The states of `hiddenStates` for log-mel `mel` `[melBins, 2T]` or `[B, melBins, 2T]` (2T even,
    /// T ≤ maxSourcePositions; Whisper itself always uses 3000 frames, i.e. one 30 s chunk).
    /// Each state is `[T, d]` (or `[B, T, d]`).
    public func hiddenStates(_ mel: Tensor, on backend: any Backend) throws -> [Tensor] {
        var states: [Tensor] = []
        try forEachHiddenState(mel, on: backend) { states.append($1) }
        return states
    }

    /// Calls `body(i, state_i)` for i = 0…n in order without keeping earlier states alive (HuMo's
    /// grouping sums them as they come).
    public func forEachHiddenState(
        _ mel: Tensor, on backend: any Backend, _ body: (Int, Tensor) throws -> Void
    ) throws {
        let batched = mel.rank == 3
        guard mel.rank == 2 || batched, mel.shape[mel.rank - 2] == config.melBins else {
            throw WhisperError.invalidInput(
                "log-mel \(mel.shape) must be [\(config.melBins), frames] or [B, \(config.melBins), frames]")
        }
        let frames = mel.shape[mel.rank - 1]
        guard frames >= 2, frames % 2 == 0, frames / 2 <= config.maxSourcePositions else {
            throw WhisperError.invalidInput(
                "log-mel has \(frames) frames; it must be even and at most \(2 * config.maxSourcePositions)")
        }
        let x = batched ? mel : try mel.unsqueezed(0)
        var h = try backend.unary(
            .geluErf, backend.conv1d(x, weight: conv1Weight, bias: conv1Bias, padding: .symmetric(1)))
        h = try backend.unary(
            .geluErf, backend.conv1d(h, weight: conv2Weight, bias: conv2Bias, stride: 2, padding: .symmetric(1)))
        let t = h.shape[2]
        h = try backend.add(try h.transposed(1, 2), try positions.narrowed(axis: 0, start: 0, length: t))
        let unbatch: (Tensor) throws -> Tensor = { batched ? $0 : try $0.squeezed(0) }
        try body(0, try unbatch(h))
        for (i, layer) in layers.enumerated() {
            h = try layer(h, on: backend)
            if i < layers.count - 1 { try body(i + 1, try unbatch(h)) }
        }
        try body(layers.count, try unbatch(try finalNorm(h, on: backend)))
    }
}
