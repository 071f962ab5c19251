import Foundation
import Tensor

/// LTX-2's rotary position embedding over fractional positions.
///
/// A token's position on each axis is the midpoint of its patch in pixel-space units — (seconds,
/// pixel y, pixel x) for video, seconds for audio — divided by the axis' maximum (`maxPositions`).
/// With n = width / (2·axes) frequencies fⱼ = θ^(j/(n−1))·π/2 (j = 0…n−1), the angle of frequency j on
/// axis a is `(2·pₐ − 1)·fⱼ`; the angles are ordered j-major (index j·axes + a) after
/// `width/2 − n·axes` identity pairs (cos 1, sin 0). `interleaved` rotates pairs (x[2i], x[2i+1]) of
/// the whole width; `split` cuts the width into `groups` heads and rotates (x[i], x[i + D/2]) in each.
///
/// Every step is rounded to f32 where the references compute in f32 (positions, the angle
/// product): angles reach θ·π/2 ≈ 1.6e4 rad, where a difference of one f32 rounding moves the
/// rotation by ~1e-3.
///
/// Follows: diffusers `LTX2AudioVideoRotaryPosEmbed` (`prepare_video_coords`, `prepare_audio_coords`,
/// `forward`), `apply_interleaved_rotary_emb`, `apply_split_rotary_emb`; ltx-core `model/transformer/rope.py`.
public struct LTX2RoPE: Sendable {
    /// cos / sin, `[tokens·groups, width/(2·groups)]` (groups = 1 for interleaved).
    public let cos: Tensor
    public let sin: Tensor
    public let type: LTX2RoPEType
    public let groups: Int
    public let width: Int

    /// Patch-midpoint positions of a latent video grid in (f, h, w) row-major order:
    /// seconds `(max(0, 8f + offset − 8) … max(0, 8(f+1) + offset − 8)) / fps`, pixels `32h + 16`, `32w + 16`.
    public static func videoPositions(
        frames: Int, height: Int, width: Int, fps: Float, config c: LTX2TransformerConfig
    ) -> [[Float]] {
        let (st, sy, sx) = (Float(c.vaeScaleFactors[0]), Float(c.vaeScaleFactors[1]), Float(c.vaeScaleFactors[2]))
        let offset = Float(c.causalOffset)
        func seconds(_ f: Int) -> Float { Swift.max(0, Float(f) * st + offset - st) / fps }
        var t: [Float] = []
        var y: [Float] = []
        var x: [Float] = []
        let count = frames * height * width
        t.reserveCapacity(count)
        y.reserveCapacity(count)
        x.reserveCapacity(count)
        for f in 0..<frames {
            let mid = (seconds(f) + seconds(f + 1)) / 2
            for h in 0..<height {
                for w in 0..<width {
                    t.append(mid)
                    y.append((Float(h) * sy + Float(h + 1) * sy) / 2)
                    x.append((Float(w) * sx + Float(w + 1) * sx) / 2)
                }
            }
        }
        return [t, y, x]
    }

    /// Patch-midpoint times in seconds of audio latent frames: frame f spans mel frames
    /// `max(0, 4f + offset − 4) … max(0, 4(f+1) + offset − 4)`, at hop/sampleRate seconds each.
    public static func audioPositions(frames: Int, config c: LTX2TransformerConfig) -> [Float] {
        let s = Float(c.audioScaleFactor)
        let offset = Float(c.causalOffset)
        func seconds(_ f: Int) -> Float {
            Swift.max(0, Float(f) * s + offset - s) * Float(c.audioHopLength) / Float(c.audioSampleRate)
        }
        return (0..<frames).map { (seconds($0) + seconds($0 + 1)) / 2 }
    }

    /// The tables for positions `positions[axis][token]` divided by `maxPositions[axis]`, for vectors
    /// of `width` features cut into `groups` heads (split RoPE).
    public init(
        positions: [[Float]], maxPositions: [Int], width: Int, groups: Int, type: LTX2RoPEType, theta: Double,
        doublePrecision: Bool, on backend: any Backend
    ) throws {
        let axes = positions.count
        guard axes > 0, maxPositions.count >= axes, width > 0, width % 2 == 0, groups > 0,
            (width / 2) % groups == 0, positions.allSatisfy({ $0.count == positions[0].count })
        else {
            throw LTX2Error.invalidInput(
                "RoPE: \(axes) axes, width \(width), \(groups) groups do not make a table")
        }
        let tokens = positions[0].count
        let n = width / (2 * axes)
        let pad = width / 2 - n * axes
        let freqs = Self.frequencies(count: n, theta: theta, doublePrecision: doublePrecision)
        let half = width / 2
        var c = [Float](repeating: 1, count: tokens * half)
        var s = [Float](repeating: 0, count: tokens * half)
        let grids = (0..<axes).map { a in positions[a].map { $0 / Float(maxPositions[a]) } }
        for l in 0..<tokens {
            let row = l * half + pad
            for a in 0..<axes {
                let g = grids[a][l] * 2 - 1
                for j in 0..<n {
                    let angle = Double(g * freqs[j])
                    c[row + j * axes + a] = Float(Foundation.cos(angle))
                    s[row + j * axes + a] = Float(Foundation.sin(angle))
                }
            }
        }
        let g = type == .split ? groups : 1
        let shape = [tokens * g, half / g]
        self.cos = try backend.upload(c, shape: shape, dtype: .f32)
        self.sin = try backend.upload(s, shape: shape, dtype: .f32)
        self.type = type
        self.groups = g
        self.width = width
    }

    /// fⱼ = θ^(j/(n−1))·π/2 rounded to f32 (exponents from torch's `linspace(0, 1, n)`).
    static func frequencies(count n: Int, theta: Double, doublePrecision: Bool) -> [Float] {
        (0..<n).map { j in
            if doublePrecision {
                return Float(Foundation.pow(theta, linspace(j, n)) * Double.pi / 2)
            }
            let p = Foundation.powf(Float(theta), Float(linspace(j, n)))
            return p * Float.pi / 2
        }
    }

    /// torch `linspace(0, 1, n)[j]`: forward steps in the first half, backward from 1 in the second.
    private static func linspace(_ j: Int, _ n: Int) -> Double {
        guard n > 1 else { return 0 }
        let step = 1.0 / Double(n - 1)
        return j < n / 2 ? Double(j) * step : 1 - step * Double(n - 1 - j)
    }

    /// Rotates x `[tokens, width]` → same shape.
    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == width, x.shape[0] * groups == cos.shape[0] else {
            throw LTX2Error.invalidInput(
                "RoPE: input \(x.shape) does not fit a table for \(cos.shape[0] / groups) tokens × \(width)")
        }
        let tokens = x.shape[0]
        let pairing: RoPEPairing = type == .split ? .halves : .interleaved
        let r = try backend.rope(
            try backend.reshape(x, [tokens * groups, 1, width / groups]), cos: cos, sin: sin, pairing: pairing)
        return try r.reshaped([tokens, width])
    }
}
