import Tensor

/// The per-call modulation inputs shared by every block (from the model's AdaLN-single embedders).
public struct LTX2BlockModulation: Sendable {
    /// `[6, dim]`: shift/scale/gate of self-attention, shift/scale/gate of the FFN.
    public var video: Tensor
    /// `[6, audioDim]`.
    public var audio: Tensor
    /// `[4, dim]`: a2v scale, a2v shift, v2a scale, v2a shift (video side).
    public var videoCross: Tensor
    /// `[1, dim]`: the a2v gate.
    public var videoCrossGate: Tensor
    /// `[4, audioDim]`: a2v scale, a2v shift, v2a scale, v2a shift (audio side).
    public var audioCross: Tensor
    /// `[1, audioDim]`: the v2a gate.
    public var audioCrossGate: Tensor
}

/// The RoPE tables of one call: self-attention per stream and the time-only cross-modal tables.
public struct LTX2RoPETables: Sendable {
    public var video: LTX2RoPE
    public var audio: LTX2RoPE
    /// Video token times for a2v queries / v2a keys (width = audio inner dim).
    public var videoCross: LTX2RoPE
    /// Audio token times for a2v keys / v2a queries.
    public var audioCross: LTX2RoPE
}

/// One dual-stream block, video `h [Lv, dim]` and audio `a [La, audioDim]` (N = RMS norm without
/// affine, eps from the config; tables rows are `table + modulation`):
/// ```
/// h += g₁ ⊙ Attn1(N(h)(1+s₁)+b₁)            a += ĝ₁ ⊙ AudioAttn1(N(a)(1+ŝ₁)+b̂₁)       RoPE per stream
/// h += Attn2(N(h), text)                     a += AudioAttn2(N(a), audioText)
/// h' = N(h), a' = N(a)
/// h += G_a2v ⊙ A2V(h'(1+S_a2v)+B_a2v, a'(1+Ŝ_a2v)+B̂_a2v)      time-only RoPE on q and k
/// a += G_v2a ⊙ V2A(a'(1+Ŝ_v2a)+B̂_v2a, h'(1+S_v2a)+B_v2a)      (both from the same h', a')
/// h += g₂ ⊙ FF(N(h)(1+s₂)+b₂)               a += ĝ₂ ⊙ AudioFF(N(a)(1+ŝ₂)+b̂₂)
/// ```
///
/// Follows: diffusers `LTX2VideoTransformerBlock.forward`; ltx-core `BasicAVTransformerBlock`.
public struct LTX2Block: Sendable {
    /// `[6, dim]`, `[6, audioDim]`.
    public let table: Tensor
    public let audioTable: Tensor
    /// `[5, dim]`, `[5, audioDim]`: 4 cross-modal scale/shift rows and the gate row.
    public let crossTable: Tensor
    public let audioCrossTable: Tensor
    public let attn1, audioAttn1, attn2, audioAttn2, audioToVideo, videoToAudio: LTX2Attention
    public let ff, audioFF: LTX2FeedForward
    public let eps: Float

    /// Reads `transformer_blocks.<index>.*` (diffusers names).
    public init(_ r: inout WeightReader, index: Int, config c: LTX2TransformerConfig) throws {
        let p = "transformer_blocks.\(index)"
        let (d, ad) = (c.innerDim, c.audioInnerDim)
        table = try r.take("\(p).scale_shift_table", shape: [6, d])
        audioTable = try r.take("\(p).audio_scale_shift_table", shape: [6, ad])
        crossTable = try r.take("\(p).video_a2v_cross_attn_scale_shift_table", shape: [5, d])
        audioCrossTable = try r.take("\(p).audio_a2v_cross_attn_scale_shift_table", shape: [5, ad])
        attn1 = try LTX2Attention(&r, "\(p).attn1", queryDim: d, contextDim: d, heads: c.numHeads, headDim: c.headDim)
        audioAttn1 = try LTX2Attention(
            &r, "\(p).audio_attn1", queryDim: ad, contextDim: ad, heads: c.audioNumHeads, headDim: c.audioHeadDim)
        attn2 = try LTX2Attention(&r, "\(p).attn2", queryDim: d, contextDim: d, heads: c.numHeads, headDim: c.headDim)
        audioAttn2 = try LTX2Attention(
            &r, "\(p).audio_attn2", queryDim: ad, contextDim: ad, heads: c.audioNumHeads, headDim: c.audioHeadDim)
        audioToVideo = try LTX2Attention(
            &r, "\(p).audio_to_video_attn", queryDim: d, contextDim: ad, heads: c.audioNumHeads,
            headDim: c.audioHeadDim)
        videoToAudio = try LTX2Attention(
            &r, "\(p).video_to_audio_attn", queryDim: ad, contextDim: d, heads: c.audioNumHeads,
            headDim: c.audioHeadDim)
        ff = try LTX2FeedForward(&r, "\(p).ff", dim: d)
        audioFF = try LTX2FeedForward(&r, "\(p).audio_ff", dim: ad)
        eps = c.normEps
    }

    /// (video, audio) after the block. `text` `[Lt, dim]` and `audioText` `[Lt', audioDim]` are the
    /// projected captions with masked rows already removed.
    public func callAsFunction(
        video h0: Tensor, audio a0: Tensor, text: Tensor, audioText: Tensor, modulation m: LTX2BlockModulation,
        rope: LTX2RoPETables, on backend: any Backend
    ) throws -> (video: Tensor, audio: Tensor) {
        func rows(_ t: Tensor) throws -> [Tensor] {
            try (0..<t.shape[0]).map { try t.narrowed(axis: 0, start: $0, length: 1) }
        }
        func norm(_ x: Tensor) throws -> Tensor { try backend.rmsNorm(x, weight: nil, eps: eps) }
        let v = try rows(try backend.add(table, m.video))
        let a = try rows(try backend.add(audioTable, m.audio))
        var h = h0
        var au = a0

        let hn = try backend.modulate(try norm(h), scale: v[1], shift: v[0])
        h = try backend.gatedAdd(
            h, try attn1(hn, context: hn, queryRoPE: rope.video, keyRoPE: rope.video, on: backend), gate: v[2])
        let an = try backend.modulate(try norm(au), scale: a[1], shift: a[0])
        au = try backend.gatedAdd(
            au, try audioAttn1(an, context: an, queryRoPE: rope.audio, keyRoPE: rope.audio, on: backend), gate: a[2])

        h = try backend.add(h, try attn2(try norm(h), context: text, on: backend))
        au = try backend.add(au, try audioAttn2(try norm(au), context: audioText, on: backend))

        let hc = try norm(h)
        let ac = try norm(au)
        let vc = try rows(try backend.add(crossTable.narrowed(axis: 0, start: 0, length: 4), m.videoCross))
        let vg = try backend.add(crossTable.narrowed(axis: 0, start: 4, length: 1), m.videoCrossGate)
        let ac4 = try rows(try backend.add(audioCrossTable.narrowed(axis: 0, start: 0, length: 4), m.audioCross))
        let ag = try backend.add(audioCrossTable.narrowed(axis: 0, start: 4, length: 1), m.audioCrossGate)
        // Rows: 0 a2v scale, 1 a2v shift, 2 v2a scale, 3 v2a shift.
        let a2v = try audioToVideo(
            try backend.modulate(hc, scale: vc[0], shift: vc[1]),
            context: try backend.modulate(ac, scale: ac4[0], shift: ac4[1]),
            queryRoPE: rope.videoCross, keyRoPE: rope.audioCross, on: backend)
        let v2a = try videoToAudio(
            try backend.modulate(ac, scale: ac4[2], shift: ac4[3]),
            context: try backend.modulate(hc, scale: vc[2], shift: vc[3]),
            queryRoPE: rope.audioCross, keyRoPE: rope.videoCross, on: backend)
        h = try backend.gatedAdd(h, a2v, gate: vg)
        au = try backend.gatedAdd(au, v2a, gate: ag)

        let hf = try backend.modulate(try norm(h), scale: v[4], shift: v[3])
        h = try backend.gatedAdd(h, try ff(hf, on: backend), gate: v[5])
        let af = try backend.modulate(try norm(au), scale: a[4], shift: a[3])
        au = try backend.gatedAdd(au, try audioFF(af, on: backend), gate: a[5])
        return (h, au)
    }
}
