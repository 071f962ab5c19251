/// Wan's patch layout between a latent video and transformer tokens, as views plus one copy.
extension LayoutOps {
    /// Latent `[C, F, H, W]` → tokens `[L, p·q·r·C]` with L = (F/p)·(H/q)·(W/r) in (f, h, w)
    /// row-major order and each token's features ordered (p, q, r, c), c fastest:
    /// `tokens[(f·H/q + h)·W/r + w, ((i·q + j)·r + k)·C + c] = x[c, f·p + i, h·q + j, w·r + k]`.
    /// This is the inverse of `unpatchify` (Wan's head output layout). Throws unless p, q, r divide
    /// F, H, W.
    public func patchify(_ x: Tensor, patch: (p: Int, q: Int, r: Int)) throws -> Tensor {
        guard x.rank == 4, patch.p > 0, patch.q > 0, patch.r > 0, x.shape[1] % patch.p == 0,
            x.shape[2] % patch.q == 0, x.shape[3] % patch.r == 0
        else {
            throw TensorError.shapeMismatch("patchify: x \(x.shape) must be [C, F, H, W] divisible by patch \(patch)")
        }
        let (c, f, h, w) = (x.shape[0], x.shape[1] / patch.p, x.shape[2] / patch.q, x.shape[3] / patch.r)
        // [C, F', p, H', q, W', r] → [F', H', W', p, q, r, C]
        let v = try x.reshaped([c, f, patch.p, h, patch.q, w, patch.r]).permuted([1, 3, 5, 2, 4, 6, 0])
        return try reshape(v, [f * h * w, patch.p * patch.q * patch.r * c])
    }

    /// Tokens `[L, p·q·r·C]` on a grid (F', H', W') → latent `[C, F'·p, H'·q, W'·r]`:
    /// `out[c, f·p + i, h·q + j, w·r + k] = tokens[(f·H' + h)·W' + w, ((i·q + j)·r + k)·C + c]`
    /// (Wan `unpatchify`, models.md §1.3 step 8).
    public func unpatchify(_ tokens: Tensor, grid: (f: Int, h: Int, w: Int), patch: (p: Int, q: Int, r: Int)) throws
        -> Tensor
    {
        let per = patch.p * patch.q * patch.r
        guard tokens.rank == 2, per > 0, tokens.shape[0] == grid.f * grid.h * grid.w, tokens.shape[1] % per == 0 else {
            throw TensorError.shapeMismatch("unpatchify: tokens \(tokens.shape) for grid \(grid) and patch \(patch)")
        }
        let c = tokens.shape[1] / per
        // [F', H', W', p, q, r, C] → [C, F', p, H', q, W', r]
        let v = try tokens.reshaped([grid.f, grid.h, grid.w, patch.p, patch.q, patch.r, c]).permuted([
            6, 0, 3, 1, 4, 2, 5,
        ])
        return try reshape(v, [c, grid.f * patch.p, grid.h * patch.q, grid.w * patch.r])
    }
}
