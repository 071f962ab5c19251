import Tensor

/// Spatial tiling with blended overlaps, so the VAE's working memory depends on the tile size and
/// not on the frame size: the clip is cut into overlapping tiles in (H, W), each tile runs through
/// the whole chunked pass on its own, and the outputs are blended with weights that ramp linearly
/// across every overlap and are normalised to sum to 1 at each pixel.
///
/// Along one axis of n latent cells, tiles of t cells start every t − o cells (o = overlap), the
/// last one moved back to end at n; a tile covering [a, b) weighs output position p by
/// `min(1, (p − a + ½)/ℓ) · min(1, (b − p − ½)/ℓ′)`, ℓ and ℓ′ the overlaps with the previous and
/// next tile (no ramp on a clip edge). The blended result is `Σ wᵢ·yᵢ / Σ wᵢ`.
///
/// Follows the idea of diffusers `AutoencoderKLWan.tiled_decode` (overlapping tiles, linear
/// blends); the plan and weights are ours.
public struct VAETiling: Sendable, Hashable {
    /// Tile side in latent cells (one cell = 8×8 pixels for Wan2.1); 32 = 256 pixels.
    public var tile: Int
    /// Overlap of neighbouring tiles in latent cells; 8 = 64 pixels.
    public var overlap: Int

    public init(tile: Int = 32, overlap: Int = 8) throws {
        guard tile >= 1, overlap >= 0, overlap < tile else {
            throw WanVAEError.invalidInput("tiling: tile \(tile) and overlap \(overlap) need 0 ≤ overlap < tile")
        }
        self.tile = tile
        self.overlap = overlap
    }

    private init(checked tile: Int, overlap: Int) {
        self.tile = tile
        self.overlap = overlap
    }

    /// 32-cell tiles (256 pixels for Wan2.1) overlapping by 8 cells (64 pixels).
    public static let standard = VAETiling(checked: 32, overlap: 8)

    /// LTX-2 (32-pixel cells): 16-cell tiles (512 pixels) overlapping by 2 cells (64 pixels), as
    /// diffusers' `AutoencoderKLLTX2Video` tiling (512-pixel tiles every 448).
    public static let ltx2 = VAETiling(checked: 16, overlap: 2)

    /// Tile ranges `[start, start + length)` along an axis of `n` cells.
    public func ranges(_ n: Int) -> [Range<Int>] {
        guard n > tile else { return [0..<n] }
        let step = tile - overlap
        var out: [Range<Int>] = []
        var start = 0
        while true {
            let s = min(start, n - tile)
            out.append(s..<(s + tile))
            if s + tile >= n { break }
            start += step
        }
        return out
    }

    /// Blend weights for tile `i` of `ranges` at output scale `scale` (pixels per cell), one per
    /// output position of the tile.
    public static func weights(_ ranges: [Range<Int>], _ i: Int, scale: Int) -> [Float] {
        let r = ranges[i]
        let lead = i > 0 ? (ranges[i - 1].upperBound - r.lowerBound) * scale : 0
        let trail = i + 1 < ranges.count ? (r.upperBound - ranges[i + 1].lowerBound) * scale : 0
        let n = r.count * scale
        return (0..<n).map { p in
            var w: Float = 1
            if lead > 0 { w *= min(1, (Float(p) + 0.5) / Float(lead)) }
            if trail > 0 { w *= min(1, (Float(n - p) - 0.5) / Float(trail)) }
            return w
        }
    }

    /// Tiles a frame of `cellsH` × `cellsW` cells is cut into.
    public func tileCount(cellsH: Int, cellsW: Int) -> Int { ranges(cellsH).count * ranges(cellsW).count }

    /// Runs `body(tile, index)` on every tile of x `[B, C, T, H, W]` (tiles of `tile` cells of `inScale` pixels in
    /// H and W, index in row-major order) and blends the outputs `[B, C′, T′, h·outScale, w·outScale]` on the host; returns
    /// `[B, C′, T′, H/inScale·outScale, W/inScale·outScale]` on `backend`.
    func run(
        _ x: Tensor, inScale: Int, outScale: Int, on backend: any Backend, _ body: (Tensor, Int) throws -> Tensor
    ) throws -> Tensor {
        guard x.rank == 5, inScale >= 1, outScale >= 1, x.shape[3] % inScale == 0, x.shape[4] % inScale == 0 else {
            throw WanVAEError.invalidInput(
                "tiling: input \(x.shape) must be [B, C, T, H, W] with H, W multiples of \(inScale)")
        }
        let (cellsH, cellsW) = (x.shape[3] / inScale, x.shape[4] / inScale)
        let rowsH = ranges(cellsH)
        let rowsW = ranges(cellsW)
        if rowsH.count == 1 && rowsW.count == 1 { return try body(x, 0) }
        let (outH, outW) = (cellsH * outScale, cellsW * outScale)
        var sum: [Float] = []
        var outShape: [Int] = []
        var weightSum = [Float](repeating: 0, count: outH * outW)
        for (i, rh) in rowsH.enumerated() {
            let wh = Self.weights(rowsH, i, scale: outScale)
            for (j, rw) in rowsW.enumerated() {
                let ww = Self.weights(rowsW, j, scale: outScale)
                let piece = try x.narrowed(axis: 3, start: rh.lowerBound * inScale, length: rh.count * inScale)
                    .narrowed(axis: 4, start: rw.lowerBound * inScale, length: rw.count * inScale)
                let y = try body(piece, i * rowsW.count + j)
                let (th, tw) = (rh.count * outScale, rw.count * outScale)
                guard y.rank == 5, y.shape[3] == th, y.shape[4] == tw else {
                    throw WanVAEError.invalidInput("tiling: a tile gave \(y.shape), expected [·, ·, ·, \(th), \(tw)]")
                }
                if sum.isEmpty {
                    outShape = [y.shape[0], y.shape[1], y.shape[2], outH, outW]
                    sum = [Float](repeating: 0, count: outShape.reduce(1, *))
                }
                guard Array(y.shape[0..<3]) == Array(outShape[0..<3]) else {
                    throw WanVAEError.invalidInput("tiling: tiles disagree: \(y.shape) vs \(outShape)")
                }
                let values = try backend.download(y)
                let planes = outShape[0] * outShape[1] * outShape[2]
                let (h0, w0) = (rh.lowerBound * outScale, rw.lowerBound * outScale)
                for plane in 0..<planes {
                    for r in 0..<th {
                        let src = (plane * th + r) * tw
                        let dst = (plane * outH + h0 + r) * outW + w0
                        for c in 0..<tw { sum[dst + c] += wh[r] * ww[c] * values[src + c] }
                    }
                }
                for r in 0..<th {
                    for c in 0..<tw { weightSum[(h0 + r) * outW + w0 + c] += wh[r] * ww[c] }
                }
            }
        }
        let pixels = outH * outW
        for i in sum.indices { sum[i] /= weightSum[i % pixels] }
        return try backend.upload(sum, shape: outShape, dtype: .f32)
    }
}

extension WanVAE {
    /// `decode` tile by tile: latent `[B, z, T, h, w]` → pixels in [−1, 1], each tile decoded with
    /// its own caches, outputs blended before the clamp.
    /// `progress` counts chunks over all tiles.
    public func decodeTiled(
        _ latent: Tensor, tiling: VAETiling = .standard, on backend: any Backend, latentFramesPerChunk: Int = 1,
        progress: Progress? = nil
    ) throws -> Tensor {
        let z = try denormalize(latent, on: backend)
        let s = config.stride.h
        let tiles = z.rank == 5 ? tiling.tileCount(cellsH: z.shape[3], cellsW: z.shape[4]) : 1
        let raw = try tiling.run(z, inScale: 1, outScale: s, on: backend) { piece, index in
            try decodeUnclamped(piece, on: backend, latentFramesPerChunk: latentFramesPerChunk) { done, total in
                try progress?(index * total + done, tiles * total)
            }
        }
        return try backend.clamp(raw, min: -1, max: 1)
    }

    /// `encode` tile by tile: video `[B, 3, 1+4k, H, W]` → normalised latent, tiles of
    /// `tiling.tile` latent cells (×8 pixels) blended in latent space.
    public func encodeTiled(
        _ video: Tensor, tiling: VAETiling = .standard, on backend: any Backend, framesPerChunk: Int = 4,
        progress: Progress? = nil
    ) throws -> Tensor {
        try normalize(
            encodeMeanTiled(video, tiling: tiling, on: backend, framesPerChunk: framesPerChunk, progress: progress),
            on: backend)
    }

    /// `encodeMean` tile by tile (the raw posterior mean, blended in latent space).
    public func encodeMeanTiled(
        _ video: Tensor, tiling: VAETiling = .standard, on backend: any Backend, framesPerChunk: Int = 4,
        progress: Progress? = nil
    ) throws -> Tensor {
        let s = config.stride.h
        guard video.rank == 5, video.shape[3] % s == 0, video.shape[4] % s == 0 else {
            throw WanVAEError.invalidInput("video \(video.shape) must be [B, 3, T, H, W] with H, W multiples of \(s)")
        }
        let tiles = tiling.tileCount(cellsH: video.shape[3] / s, cellsW: video.shape[4] / s)
        return try tiling.run(video, inScale: s, outScale: 1, on: backend) { piece, index in
            try encodeMean(piece, on: backend, framesPerChunk: framesPerChunk) { done, total in
                try progress?(index * total + done, tiles * total)
            }
        }
    }
}
