import Foundation

/// Host-side cos/sin tables for `AttentionOps.rope`: `[positions, pairs]` row-major, angle
/// φ_{l,j} = pos_l · θ_j. Built once per shape, uploaded with `upload(on:)`.
public struct RoPETable: Sendable, Equatable {
    /// Number of token positions (rows).
    public let positions: Int
    /// Number of rotated pairs per token, D/2 (columns).
    public let pairs: Int
    /// cos φ, `positions · pairs` values.
    public let cos: [Float]
    /// sin φ, `positions · pairs` values.
    public let sin: [Float]

    /// 1-D RoPE: token l at position `positions[l]`, pair j of head dim D with θ_j = base^(−2j/D).
    /// Angles are computed in Double and rounded once.
    public static func oneD(positions: [Double], headDim: Int, base: Double = 10_000) throws -> RoPETable {
        guard headDim > 0, headDim % 2 == 0 else {
            throw TensorError.invalidArgument("RoPETable.oneD: head dim \(headDim) must be even and positive")
        }
        let pairs = headDim / 2
        let theta = (0..<pairs).map { Foundation.pow(base, -2.0 * Double($0) / Double(headDim)) }
        var c = [Float](repeating: 0, count: positions.count * pairs)
        var s = c
        for (l, p) in positions.enumerated() {
            for j in 0..<pairs {
                let phi = p * theta[j]
                c[l * pairs + j] = Float(Foundation.cos(phi))
                s[l * pairs + j] = Float(Foundation.sin(phi))
            }
        }
        return RoPETable(positions: positions.count, pairs: pairs, cos: c, sin: s)
    }

    /// Wan2.1 3-D RoPE for tokens in (f, h, w) row-major order, L = frames·height·width.
    ///
    /// Head dim D (128 in Wan) splits its D/2 pairs into time, height and width groups:
    /// height and width get `D/6` pairs each (rounded down: 21 for D = 128), time gets the rest
    /// (22). Within a group of n pairs (axis dim 2n), θ_j = base^(−2j/(2n)), and the position is the
    /// token's frame (plus `frameOffset`), patch row or patch column.
    /// Follows: Wan-Video/Wan2.1 `rope_params` / `rope_apply` (pairs are complex (x[2j], x[2j+1])).
    public static func wan3D(
        frames: Int, height: Int, width: Int, headDim: Int, frameOffset: Int = 0, base: Double = 10_000
    ) throws -> RoPETable {
        guard headDim > 0, headDim % 2 == 0, frames >= 0, height >= 0, width >= 0 else {
            throw TensorError.invalidArgument(
                "RoPETable.wan3D: head dim \(headDim) (even), sizes \(frames)×\(height)×\(width)")
        }
        let pairs = headDim / 2
        let spatialPairs = headDim / 6
        let timePairs = pairs - 2 * spatialPairs
        func thetas(_ n: Int) -> [Double] { (0..<n).map { Foundation.pow(base, -2.0 * Double($0) / Double(2 * n)) } }
        let tTheta = thetas(timePairs)
        let sTheta = thetas(spatialPairs)
        let count = frames * height * width
        var c = [Float](repeating: 0, count: count * pairs)
        var s = c
        var l = 0
        for f in 0..<frames {
            for h in 0..<height {
                for w in 0..<width {
                    for j in 0..<pairs {
                        let phi: Double
                        if j < timePairs {
                            phi = Double(f + frameOffset) * tTheta[j]
                        } else if j < timePairs + spatialPairs {
                            phi = Double(h) * sTheta[j - timePairs]
                        } else {
                            phi = Double(w) * sTheta[j - timePairs - spatialPairs]
                        }
                        c[l * pairs + j] = Float(Foundation.cos(phi))
                        s[l * pairs + j] = Float(Foundation.sin(phi))
                    }
                    l += 1
                }
            }
        }
        return RoPETable(positions: count, pairs: pairs, cos: c, sin: s)
    }

    /// The two tables as f32 tensors `[positions, pairs]` on `backend`.
    public func upload(on backend: some MemoryOps) throws -> (cos: Tensor, sin: Tensor) {
        (
            try backend.upload(cos, shape: [positions, pairs], dtype: .f32),
            try backend.upload(sin, shape: [positions, pairs], dtype: .f32)
        )
    }
}
