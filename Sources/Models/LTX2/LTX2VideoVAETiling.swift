import Tensor

/// Bounded-memory passes of the LTX-2 video VAE: spatial tiles blended over their overlaps
/// (`VAETiling`, shared with the Wan VAE), each tile streamed through the causal caches chunk by
/// chunk (decode: one latent frame at a time; encode: 1 frame, then `temporalCompression` frames).
/// Working memory then depends on the tile size, not on the frame size or the clip length; only the
/// blended result grows with the clip. A non-causal decoder (LTX-2's own, `decoder_causal: false`)
/// sees every frame of a tile at once, so its memory grows with the clip length.
extension LTX2VideoVAE {
    /// `decode` tile by tile: raw latent `[C, T, h, w]` → pixels `[3, F, s·h, s·w]` (not clamped),
    /// each tile of `tiling.tile` latent cells decoded with its own caches, outputs blended.
    public func decodeTiled(
        _ latent: Tensor, tiling: VAETiling = .ltx2, on backend: any Backend, latentFramesPerChunk: Int = 1
    ) throws -> Tensor {
        guard latent.rank == 4 else {
            throw LTX2Error.invalidInput(
                "video latent \(latent.shape): expected [\(latentChannels), frames, height, width]")
        }
        let out = try tiling.run(try latent.unsqueezed(0), inScale: 1, outScale: spatialCompression, on: backend) {
            piece, _ in
            try decode(try piece.squeezed(0), on: backend, latentFramesPerChunk: latentFramesPerChunk).unsqueezed(0)
        }
        return try out.squeezed(0)
    }

    /// `encodeMean` tile by tile: pixels `[3, F, H, W]` → raw mean, tiles of `tiling.tile` latent
    /// cells (× `spatialCompression` pixels) blended in latent space.
    public func encodeMeanTiled(
        _ pixels: Tensor, tiling: VAETiling = .ltx2, on backend: any Backend, framesPerChunk: Int? = nil
    ) throws -> Tensor {
        let s = spatialCompression
        guard pixels.rank == 4, pixels.shape[2] % s == 0, pixels.shape[3] % s == 0 else {
            throw LTX2Error.invalidInput(
                "video \(pixels.shape): expected [\(config.inChannels), frames, height, width] with height, width multiples of \(s)")
        }
        let out = try tiling.run(try pixels.unsqueezed(0), inScale: s, outScale: 1, on: backend) { piece, _ in
            try encodeMean(try piece.squeezed(0), on: backend, framesPerChunk: framesPerChunk).unsqueezed(0)
        }
        return try out.squeezed(0)
    }
}
