import Foundation
import Tensor

/// The inputs of one DiT call (one CFG branch; batch 1).
public struct WanDiTInputs: Sendable {
    /// Latent `[C, F, H, W]`: the noisy state (16 channels). For HuMo-1.7B the reference frame is
    /// already in the last frame (see `HuMoReference`).
    public var x: Tensor
    /// The scheduler's timestep (HuMo: an integer in 0…1000, e.g. 937).
    public var timestep: Double
    /// Text-encoder rows `[Lc ≤ textLen, textDim]` (umT5 output cut to its real length); zero-padded
    /// to textLen inside.
    public var context: Tensor
    /// HuMo audio windows `[F, window, groups, channels]`; nil means "no audio" (zero windows).
    public var audio: Tensor?
    /// 17B layout only: conditioning `[inDim − C, F, H, W]` (mask ‖ cond latent), concatenated to x.
    public var y: Tensor?

    public init(x: Tensor, timestep: Double, context: Tensor, audio: Tensor? = nil, y: Tensor? = nil) {
        self.x = x
        self.timestep = timestep
        self.context = context
        self.audio = audio
        self.y = y
    }
}

/// The Wan2.1 DiT with HuMo's additions (audio projection + per-frame audio attention; 16- or
/// 36-channel input). `velocity` maps a latent `[C, F, H, W]` to a velocity `[outDim, F, H, W]`
/// covering every frame (reference frames included; the caller drops them).
///
/// Steps (models.md §1.3): patch embedding → tokens `[L, dim]` in (f, h, w) order; time
/// `e = T₂(SiLU(T₀(sin(t)))`, `e0 = P(SiLU(e))` `[6, dim]`; text `Linear·GELU(tanh)·Linear` of the
/// zero-padded context; audio tokens; the blocks; head `Linear(LN(h)·(1 + hm1) + hm0)` with
/// `hm = head.modulation + e`; unpatchify with the (q, r, c) token layout.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/model.py` `WanModel`; Phantom-video/HuMo
/// `humo/models/wan_modules/model_humo.py` `WanModel`.
public struct WanDiT: Sendable {
    public let config: WanConfig
    public let patchEmbedding: PatchEmbedding3D
    public let text0: Linear
    public let text2: Linear
    public let time0: Linear
    public let time2: Linear
    public let timeProjection: Linear
    public let blocks: [WanBlock]
    /// `[1, 2, dim]`.
    public let headModulation: Tensor
    public let head: Linear
    public let audioProjection: HuMoAudioProjection?

    /// Reads every weight through `reader` and checks that none is missing or mis-shaped
    /// (`WeightsError.incompatible` lists them all). Unused checkpoint tensors are ignored.
    public init(config: WanConfig, reader: inout WeightReader) throws {
        try config.validate()
        let c = config
        self.config = c
        let p = c.patchSize
        patchEmbedding = try PatchEmbedding3D(
            &reader, "patch_embedding", inChannels: c.inDim, dim: c.dim, patch: (p[0], p[1], p[2]))
        text0 = try Linear(&reader, "text_embedding.0", in: c.textDim, out: c.dim)
        text2 = try Linear(&reader, "text_embedding.2", in: c.dim, out: c.dim)
        time0 = try Linear(&reader, "time_embedding.0", in: c.freqDim, out: c.dim)
        time2 = try Linear(&reader, "time_embedding.2", in: c.dim, out: c.dim)
        timeProjection = try Linear(&reader, "time_projection.1", in: c.dim, out: 6 * c.dim)
        blocks = try (0..<c.numLayers).map { try WanBlock(&reader, index: $0, config: c) }
        headModulation = try reader.take("head.modulation", shape: [1, 2, c.dim])
        head = try Linear(&reader, "head.head", in: c.dim, out: c.headOutFeatures)
        audioProjection = try c.audio.map { try HuMoAudioProjection(&reader, config: $0) }
        try reader.finish()
    }

    // MARK: Steps (public so that tests can check each against the goldens' intermediates)

    /// e `[dim]` and e0 `[6, dim]` for timestep t.
    public func timeEmbedding(_ t: Double, on backend: any Backend) throws -> (e: Tensor, e0: Tensor) {
        let s = try backend.upload(
            try sinusoidalEmbedding(t, dim: config.freqDim), shape: [1, config.freqDim], dtype: .f32)
        let e = try time2(try backend.unary(.silu, try time0(s, on: backend)), on: backend)
        let e0 = try timeProjection(try backend.unary(.silu, e), on: backend)
        return (try e.reshaped([config.dim]), try e0.reshaped([6, config.dim]))
    }

    /// Context `[Lc, textDim]` zero-padded to textLen rows (unless `padsContext` is off, as in
    /// diffusers' model) and embedded → `[textLen or Lc, dim]`.
    public func textContext(_ context: Tensor, on backend: any Backend) throws -> Tensor {
        guard context.rank == 2, context.shape[1] == config.textDim, context.shape[0] <= config.textLen,
            context.shape[0] >= 1
        else {
            throw WanError.invalidInput(
                "context \(context.shape), expected [1 ≤ L ≤ \(config.textLen), \(config.textDim)]")
        }
        let padded =
            config.padsContext
            ? try backend.pad(
                context, padding: [AxisPadding(0, config.textLen - context.shape[0]), AxisPadding(0, 0)],
                mode: .constant(0)) : context
        return try text2(try backend.unary(.geluTanh, try text0(padded, on: backend)), on: backend)
    }

    /// Audio tokens `[F·16, tokenDim]` for windows `[F, …]` (zeros when nil); nil for a plain Wan DiT.
    public func audioTokens(_ audio: Tensor?, frames: Int, on backend: any Backend) throws -> Tensor? {
        guard let proj = audioProjection else {
            if audio != nil { throw WanError.invalidInput("audio given to a DiT without HuMo's audio path") }
            return nil
        }
        let a = proj.config
        if let audio {
            guard audio.rank == 4, audio.shape[0] == frames else {
                throw WanError.invalidInput(
                    "audio \(audio.shape), expected [\(frames), \(a.window), \(a.groups), \(a.channels)] (one window per latent frame)"
                )
            }
            return try proj(audio, on: backend)
        }
        return try proj(try backend.zeros([frames, a.window, a.groups, a.channels]), on: backend)
    }

    /// The 36-channel (or 16-channel) patch-embedding input: x, or x ‖ y along channels.
    public func modelInput(_ inputs: WanDiTInputs, on backend: any Backend) throws -> Tensor {
        try modelInput(x: inputs.x, y: inputs.y, on: backend)
    }

    /// x `[C, F, H, W]`, or x ‖ y along channels (y `[inDim − C, F, H, W]`, HuMo-17B).
    public func modelInput(x: Tensor, y: Tensor?, on backend: any Backend) throws -> Tensor {
        guard x.rank == 4 else { throw WanError.invalidInput("x \(x.shape), expected [C, F, H, W]") }
        if let y {
            guard y.rank == 4, Array(y.shape.dropFirst()) == Array(x.shape.dropFirst()),
                x.shape[0] + y.shape[0] == config.inDim
            else {
                throw WanError.invalidInput(
                    "x \(x.shape) ‖ y \(y.shape) must give [\(config.inDim), F, H, W]")
            }
            return try backend.concat([x, y], axis: 0)
        }
        guard x.shape[0] == config.inDim else {
            throw WanError.invalidInput(
                "x \(x.shape) has \(x.shape[0]) channels, the model takes \(config.inDim)"
                    + (config.inDim > x.shape[0] ? " (pass the conditioning y)" : ""))
        }
        return x
    }

    /// RoPE tables `[L, headDim/2]` for a token grid (Wan's 3-D split; frames continue into the
    /// reference frames).
    public func ropeTables(grid: (f: Int, h: Int, w: Int), on backend: any Backend) throws -> (cos: Tensor, sin: Tensor)
    {
        try RoPETable.wan3D(frames: grid.f, height: grid.h, width: grid.w, headDim: config.headDim).upload(on: backend)
    }

    /// Head: tokens `[L, dim]` and e `[dim]` → `[L, outDim·Πpatch]`.
    public func headOutput(_ h: Tensor, e: Tensor, on backend: any Backend) throws -> Tensor {
        let dim = config.dim
        let hm = try backend.add(headModulation, e).reshaped([2, dim])
        let n = try backend.modulate(
            try LayerNorm(eps: config.eps)(h, on: backend), scale: try hm.narrowed(axis: 0, start: 1, length: 1),
            shift: try hm.narrowed(axis: 0, start: 0, length: 1))
        return try head(n, on: backend)
    }

    // MARK: Forward

    /// The conditions of one branch (text, audio) prepared for every block: the embedded text's and
    /// the audio tokens' keys and values. They do not depend on the latent or the timestep, so a
    /// sampler computes them once per branch and reuses them every step (1.3B: 2·512·1536 floats
    /// per block for the text, 189 MB for 30 blocks; 14B/17B: 839 MB).
    public struct Condition: Sendable {
        /// Latent frames the audio windows were made for (nil audio: any count is fine for a plain Wan DiT).
        public let frames: Int
        public let blocks: [WanBlock.Condition]
    }

    /// The condition for text rows `[Lc, textDim]` and audio windows `[F, window, groups, channels]`
    /// (nil: HuMo's "no audio", zero windows) for a latent of `frames` frames (reference included).
    public func condition(context: Tensor, audio: Tensor?, frames: Int, on backend: any Backend) throws -> Condition {
        guard frames > 0 else { throw WanError.invalidInput("\(frames) latent frames") }
        let text = try textContext(context, on: backend)
        let tokens = try audioTokens(audio, frames: frames, on: backend)
        return Condition(
            frames: frames,
            blocks: try blocks.map { try $0.condition(text: text, audio: tokens, frames: frames, on: backend) })
    }

    /// Velocity `[outDim, F, H, W]` for one call.
    public func velocity(_ inputs: WanDiTInputs, on backend: any Backend) throws -> Tensor {
        guard inputs.x.rank == 4 else { throw WanError.invalidInput("x \(inputs.x.shape), expected [C, F, H, W]") }
        let condition = try condition(
            context: inputs.context, audio: inputs.audio, frames: inputs.x.shape[1], on: backend)
        return try velocity(x: inputs.x, y: inputs.y, timestep: inputs.timestep, condition: condition, on: backend)
    }

    /// Velocity `[outDim, F, H, W]` with a precomputed condition (same result as `velocity(_:on:)`).
    public func velocity(x: Tensor, y: Tensor?, timestep: Double, condition: Condition, on backend: any Backend)
        throws -> Tensor
    {
        let input = try modelInput(x: x, y: y, on: backend)
        let grid = try patchEmbedding.grid(for: input)
        guard grid.f == condition.frames, condition.blocks.count == blocks.count else {
            throw WanError.invalidInput(
                "the condition was prepared for \(condition.frames) latent frames, x has \(grid.f)")
        }
        let p = config.patchSize
        guard p[0] == 1 else { throw WanError.invalidConfig("temporal patch \(p[0]) (Wan2.1 uses 1)") }
        var h = try patchEmbedding(input, on: backend)
        let (e, e0) = try timeEmbedding(timestep, on: backend)
        let rope = try ropeTables(grid: grid, on: backend)
        for (block, c) in zip(blocks, condition.blocks) {
            h = try block(h, e0: e0, condition: c, rope: rope, on: backend)
        }
        let out = try headOutput(h, e: e, on: backend)
        return try backend.unpatchify(out, grid: grid, patch: (p[0], p[1], p[2]))
    }
}
