import Foundation

/// Which use of noise a draw serves; part of the counter, so two uses never share numbers.
public enum NoiseStream: UInt8, Hashable, Sendable, CaseIterable {
    /// `ε` mixed into the estimated noise at an OmniEdit edit step (spec §4), or the whole `n'` of the
    /// random-noise variant (spec §5).
    case editMixing = 1
    /// FlowEdit's fresh `n` at an edit step (spec §5).
    case flowEditStep = 2
    /// FlowEdit's single re-noising at the first plain step (spec §5).
    case flowEditRenoise = 3
    /// The single realisation that is both `X0` and `n` of a generated part (SamplerConfiguration.swift).
    case generatedStart = 4
}

/// The identity of one noise tensor: `(seed, window, step, stream, part)` (spec §6 "Determinism").
public struct NoiseKey: Hashable, Sendable {
    /// The user's seed.
    public var seed: UInt64
    /// The window of the clip being rendered.
    public var window: UInt32
    /// The step index `i` of the grid at which the noise is drawn.
    public var step: Int
    /// What the noise is for.
    public var stream: NoiseStream
    /// The latent part it fills (each part of a joint latent has its own noise, spec §4 "AV Edit").
    public var part: String

    /// Creates a key.
    public init(seed: UInt64, window: UInt32, step: Int, stream: NoiseStream, part: String) {
        self.seed = seed
        self.window = window
        self.step = step
        self.stream = stream
        self.part = part
    }
}

/// Standard-normal f32 noise from Philox-4×32-10 and the Box–Muller transform, addressable per element.
///
/// Element `j` of a tensor comes from Philox block `j / 4`, lane `j % 4`, with
/// - key `(seed mod 2³², seed >> 32)`,
/// - counter `(j / 4, step, window, stream << 24 | tag(part))`, `tag` = the low 24 bits of FNV-1a-32 of
///   the part's UTF-8 name.
///
/// Lanes pair up for Box–Muller: `u₁ = (w₀ + 1)·2⁻³² ∈ (0, 1]`, `u₂ = w₁·2⁻³² ∈ [0, 1)`,
/// `r = √(-2 ln u₁)`, `x₀ = r cos 2πu₂`, `x₁ = r sin 2πu₂` (likewise lanes 2, 3), computed in Double with
/// our own libm-free `ln` and `sincos` and rounded once to Float, so the numbers depend neither on the
/// platform's libm nor on the chunking, the core count or the order in which tensors are generated.
public enum GaussianNoise {
    /// The 24-bit tag that places `part` in the counter.
    public static func partTag(_ part: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for byte in part.utf8 {
            h ^= UInt32(byte)
            h &*= 0x0100_0193
        }
        return h & 0x00FF_FFFF
    }

    /// Largest tensor one key can fill: the block index is a 32-bit counter word.
    public static let maxCount = 4 * (Int(UInt32.max) + 1)

    /// Fills `count` standard-normal values for `key`.
    /// - Throws: ``SamplerError/invalidConfiguration(_:)`` when `count` exceeds ``maxCount`` or the step
    ///   does not fit in 32 bits.
    public static func values(count: Int, key: NoiseKey) throws -> [Float] {
        guard count >= 0, count <= maxCount else {
            throw SamplerError.invalidConfiguration("noise tensor of \(count) elements exceeds \(maxCount)")
        }
        guard let step = UInt32(exactly: key.step) else {
            throw SamplerError.invalidConfiguration("noise step \(key.step) does not fit in 32 bits")
        }
        let philoxKey = SIMD2<UInt32>(UInt32(truncatingIfNeeded: key.seed), UInt32(truncatingIfNeeded: key.seed >> 32))
        let word3 = UInt32(key.stream.rawValue) << 24 | partTag(key.part)
        return Kernels.make(count) { out, range in
            // Chunks start at multiples of 4 (Kernels.chunkSize), so each chunk owns whole blocks.
            var j = range.lowerBound
            while j + 16 <= range.upperBound {
                let (a, b, c, d) = sixteenNormals(
                    firstBlock: UInt32(truncatingIfNeeded: j >> 2), word1: step, word2: key.window, word3: word3,
                    key: philoxKey)
                for lane in 0..<4 {
                    out[j + lane] = a[lane]
                    out[j + 4 + lane] = b[lane]
                    out[j + 8 + lane] = c[lane]
                    out[j + 12 + lane] = d[lane]
                }
                j += 16
            }
            while j < range.upperBound {
                let block = Philox4x32.block(
                    counter: SIMD4(UInt32(truncatingIfNeeded: j >> 2), step, key.window, word3), key: philoxKey)
                let normals = boxMuller(block)
                let n = min(4, range.upperBound - j)
                for lane in 0..<n { out[j + lane] = normals[lane] }
                j += 4
            }
        }
    }

    /// A latent with `layout`'s parts, each filled for `key` with that part's name.
    static func latent(like layout: Latent, seed: UInt64, window: UInt32, step: Int, stream: NoiseStream) throws
        -> Latent
    {
        var parts: [LatentPart] = []
        for part in layout.parts {
            let key = NoiseKey(seed: seed, window: window, step: step, stream: stream, part: part.name)
            parts.append(
                LatentPart(unchecked: part.name, shape: part.shape, values: try values(count: part.count, key: key)))
        }
        return Latent(uncheckedParts: parts)
    }

    /// Box–Muller of one Philox block: lanes (0, 1) and (2, 3) give two normals each.
    @inline(__always)
    static func boxMuller(_ w: SIMD4<UInt32>) -> SIMD4<Float> {
        // Lanes 0 and 1 carry the two Box–Muller pairs (the wide path's functions, so both paths share
        // one definition and are bit-identical by construction).
        let r = (-2 * logUniform(SIMD4(w.x, w.z, w.x, w.z))).squareRoot()
        let (c, s) = cosSinTurn(SIMD4(w.y, w.w, w.y, w.w))
        return SIMD4(Float(r[0] * c[0]), Float(r[0] * s[0]), Float(r[1] * c[1]), Float(r[1] * s[1]))
    }

    // The transcendental functions (GaussianNoise+Wide.swift) use only +, -, ×, ÷ (IEEE-exact, never fused by
    // Swift), so the noise is bit-identical on every platform and libm; they are also several times faster
    // than libm calls, and accurate to a few units in the last place of a Double (tested against Foundation),
    // far below the Float rounding applied to the result.

    /// `ln u₁` for `u₁ = (w + 1)·2⁻³²` (one lane of the wide ``logUniform(_:)-(SIMD4<UInt32>)``).
    @inline(__always)
    static func logUniform(_ w: UInt32) -> Double { logUniform(SIMD4(repeating: w))[0] }

    /// `(cos 2πu₂, sin 2πu₂)` for `u₂ = w·2⁻³²` (one lane of the wide ``cosSinTurn(_:)-(SIMD4<UInt32>)``).
    @inline(__always)
    static func cosSinTurn(_ w: UInt32) -> (Double, Double) {
        let (c, s) = cosSinTurn(SIMD4(repeating: w))
        return (c[0], s[0])
    }
}
