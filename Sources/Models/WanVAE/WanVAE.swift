import Tensor

/// The Wan2.1 causal video VAE: pixels `[B, 3, 1+4k, H, W]` in [−1, 1] ↔ latents
/// `[B, 16, 1+k, H/8, W/8]`, run chunk by chunk with an explicit per-layer `CausalCache`.
///
/// - encode: chunks of [1, n, n, …] frames (n = `framesPerChunk`, 4 by default, a multiple of 4)
///   through the encoder stack; each chunk of 4 frames gives one latent frame; then the 1×1×1
///   `conv1` gives the moments, and mu = moments[:, :z].
/// - decode: the 1×1×1 `conv2` on the whole latent, then chunks of `latentFramesPerChunk` latent
///   frames (1 by default) through the decoder stack: 1 frame for latent frame 0, 4 for each
///   later one.
/// - normalisation (`normalize`/`denormalize`): latent = (mu − mean)·(1/std), z = latent/(1/std) + mean,
///   per channel, with 1/std rounded to f32 first (as the Wan wrapper).
///
/// Memory: the caches hold at most 2 frames per causal layer (`CausalCache.byteCount`), so memory
/// grows with the frame size and the chunk length, not with the clip length; `WanVAETiling`
/// bounds the frame size.
///
/// Progress: `progress(done, total)` is called after every chunk (chunks finished, chunks in the
/// pass); throwing from it stops the pass with that error (the caller's abort).
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` (`WanVAE_.encode/decode`, `WanVAE`).
public struct WanVAE: Sendable {
    /// Called after each chunk with (chunks done, chunks in the pass); throw to abort.
    public typealias Progress = (_ done: Int, _ total: Int) throws -> Void

    public let config: WanVAEConfig
    public let encoder: VAEStack
    /// Top-level `conv1`: encoder output (2z channels) → moments (mu ‖ log-variance).
    public let moments: CausalConv3d
    /// Top-level `conv2`: de-normalised latent → decoder input.
    public let latentIn: CausalConv3d
    public let decoder: VAEStack

    public init(
        config: WanVAEConfig, encoder: VAEStack, moments: CausalConv3d, latentIn: CausalConv3d, decoder: VAEStack
    ) throws {
        try config.validate()
        guard moments.inputChannels == 2 * config.zDim, moments.outputChannels == 2 * config.zDim,
            latentIn.inputChannels == config.zDim, latentIn.outputChannels == config.zDim
        else {
            throw WanVAEError.invalidConfig(
                "conv1 \(moments.weight.shape) / conv2 \(latentIn.weight.shape) for z_dim \(config.zDim)")
        }
        self.config = config
        self.encoder = encoder
        self.moments = moments
        self.latentIn = latentIn
        self.decoder = decoder
    }

    // MARK: Encode

    /// Raw posterior mean: video `[B, 3, 1+4k, H, W]` → mu `[B, z, 1+k, H/8, W/8]` (before
    /// normalisation). H and W must be multiples of 8 (the spatial stride).
    public func encodeMean(
        _ video: Tensor, on backend: any Backend, framesPerChunk: Int = 4, progress: Progress? = nil
    ) throws -> Tensor {
        let s = config.stride
        guard video.rank == 5, video.shape[1] == 3, video.shape[2] >= 1, (video.shape[2] - 1) % s.t == 0,
            video.shape[3] % s.h == 0, video.shape[4] % s.w == 0, video.shape[3] > 0, video.shape[4] > 0
        else {
            throw WanVAEError.invalidInput(
                "video \(video.shape) must be [B, 3, 1+\(s.t)k, H, W] with H, W positive multiples of \(s.h)")
        }
        guard framesPerChunk > 0, framesPerChunk % s.t == 0 else {
            throw WanVAEError.invalidInput("framesPerChunk \(framesPerChunk) must be a positive multiple of \(s.t)")
        }
        var cache = CausalCache(for: encoder)
        var pieces: [Tensor] = []
        var start = 0
        let total = 1 + (video.shape[2] - 1 + framesPerChunk - 1) / framesPerChunk
        while start < video.shape[2] {
            let n = start == 0 ? 1 : min(framesPerChunk, video.shape[2] - start)
            pieces.append(
                try encoder.forward(video.narrowed(axis: 2, start: start, length: n), cache: &cache, on: backend))
            start += n
            try progress?(pieces.count, total)
        }
        let h = pieces.count == 1 ? pieces[0] : try backend.concat(pieces, axis: 2)
        let m = try moments(h, on: backend)
        return try backend.contiguous(m.narrowed(axis: 1, start: 0, length: config.zDim))
    }

    /// The DiT's latent: `normalize(encodeMean(video))`.
    public func encode(
        _ video: Tensor, on backend: any Backend, framesPerChunk: Int = 4, progress: Progress? = nil
    ) throws -> Tensor {
        try normalize(encodeMean(video, on: backend, framesPerChunk: framesPerChunk, progress: progress), on: backend)
    }

    // MARK: Decode

    /// Decoder output before the clamp: z `[B, z, T, h, w]` (de-normalised) → `[B, 3, 1+4(T−1), 8h, 8w]`.
    public func decodeUnclamped(
        _ z: Tensor, on backend: any Backend, latentFramesPerChunk: Int = 1, progress: Progress? = nil
    ) throws -> Tensor {
        guard z.rank == 5, z.shape[1] == config.zDim, z.shape[2] >= 1, z.shape[3] >= 1, z.shape[4] >= 1 else {
            throw WanVAEError.invalidInput("latent \(z.shape) must be [B, \(config.zDim), T ≥ 1, h, w]")
        }
        guard latentFramesPerChunk > 0 else {
            throw WanVAEError.invalidInput("latentFramesPerChunk \(latentFramesPerChunk) must be positive")
        }
        let x = try latentIn(z, on: backend)
        var cache = CausalCache(for: decoder)
        var pieces: [Tensor] = []
        var start = 0
        let total = (x.shape[2] + latentFramesPerChunk - 1) / latentFramesPerChunk
        while start < x.shape[2] {
            let n = min(latentFramesPerChunk, x.shape[2] - start)
            pieces.append(try decoder.forward(x.narrowed(axis: 2, start: start, length: n), cache: &cache, on: backend))
            start += n
            try progress?(pieces.count, total)
        }
        return pieces.count == 1 ? pieces[0] : try backend.concat(pieces, axis: 2)
    }

    /// Pixels in [−1, 1] from the DiT's latent: `clamp(decodeUnclamped(denormalize(latent)), −1, 1)`.
    public func decode(
        _ latent: Tensor, on backend: any Backend, latentFramesPerChunk: Int = 1, progress: Progress? = nil
    ) throws -> Tensor {
        let raw = try decodeUnclamped(
            denormalize(latent, on: backend), on: backend, latentFramesPerChunk: latentFramesPerChunk,
            progress: progress)
        return try backend.clamp(raw, min: -1, max: 1)
    }

    // MARK: Latent statistics

    /// `(mu − mean[c]) · (1/std[c])` over axis 1 of `[B, z, …]`.
    public func normalize(_ mu: Tensor, on backend: any Backend) throws -> Tensor {
        let (mean, inv) = try statistics(for: mu, backend)
        return try backend.mul(try backend.sub(mu, mean), inv)
    }

    /// `latent / (1/std[c]) + mean[c]` over axis 1 of `[B, z, …]`.
    public func denormalize(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        let (mean, inv) = try statistics(for: latent, backend)
        return try backend.add(try backend.div(latent, inv), mean)
    }

    private func statistics(for x: Tensor, _ backend: any Backend) throws -> (mean: Tensor, inv: Tensor) {
        guard x.rank >= 2, x.shape[1] == config.zDim else {
            throw WanVAEError.invalidInput("latent \(x.shape) must have \(config.zDim) channels on axis 1")
        }
        let shape = [1, config.zDim] + Array(repeating: 1, count: x.rank - 2)
        let inv = config.latentStd.map { 1 / $0 }
        return (
            try backend.upload(config.latentMean, shape: shape, dtype: .f32),
            try backend.upload(inv, shape: shape, dtype: .f32)
        )
    }
}
