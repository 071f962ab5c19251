/// Sizes of a Wan2.1-style causal video VAE and its latent statistics. `Codable` with the original
/// `WanVAE_` argument names (`dim`, `z_dim`, `dim_mult`, `num_res_blocks`, `temperal_downsample`).
///
/// Channels per level are `dim·dimMult[i]`; the encoder halves H and W after every level but the
/// last, and also halves T (causally, 1+2m → 1+m) where `temporalDownsample[i]`; the decoder mirrors
/// it. Wan2.1: dim 96, z 16, [1, 2, 4, 4], 2 res blocks, [false, true, true] — stride (4, 8, 8).
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` (`WanVAE_`, `_video_vae`, `WanVAE.mean/std`).
public struct WanVAEConfig: Codable, Sendable, Hashable {
    public var dim: Int
    public var zDim: Int
    public var dimMult: [Int]
    public var numResBlocks: Int
    public var temporalDownsample: [Bool]
    /// Per-channel latent mean and standard deviation: DiT latent = (mu − mean) / std.
    public var latentMean: [Float]
    public var latentStd: [Float]

    enum CodingKeys: String, CodingKey {
        case dim
        case zDim = "z_dim"
        case dimMult = "dim_mult"
        case numResBlocks = "num_res_blocks"
        case temporalDownsample = "temperal_downsample"
        case latentMean = "latents_mean"
        case latentStd = "latents_std"
    }

    public init(
        dim: Int = 96, zDim: Int = 16, dimMult: [Int] = [1, 2, 4, 4], numResBlocks: Int = 2,
        temporalDownsample: [Bool] = [false, true, true], latentMean: [Float] = WanVAEConfig.wan21Mean,
        latentStd: [Float] = WanVAEConfig.wan21Std
    ) {
        self.dim = dim
        self.zDim = zDim
        self.dimMult = dimMult
        self.numResBlocks = numResBlocks
        self.temporalDownsample = temporalDownsample
        self.latentMean = latentMean
        self.latentStd = latentStd
    }

    /// diffusers' `AutoencoderKLWan` config calls `dim` `base_dim`.
    enum DiffusersKeys: String, CodingKey {
        case baseDim = "base_dim"
    }

    /// Missing fields take the Wan2.1 values (the golden files' `config` has no statistics); reads
    /// the original argument names and diffusers' `config.json`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let alt = try decoder.container(keyedBy: DiffusersKeys.self)
        let d = WanVAEConfig()
        self.init(
            dim: try c.decodeIfPresent(Int.self, forKey: .dim) ?? alt.decodeIfPresent(Int.self, forKey: .baseDim)
                ?? d.dim,
            zDim: try c.decodeIfPresent(Int.self, forKey: .zDim) ?? d.zDim,
            dimMult: try c.decodeIfPresent([Int].self, forKey: .dimMult) ?? d.dimMult,
            numResBlocks: try c.decodeIfPresent(Int.self, forKey: .numResBlocks) ?? d.numResBlocks,
            temporalDownsample: try c.decodeIfPresent([Bool].self, forKey: .temporalDownsample)
                ?? d.temporalDownsample,
            latentMean: try c.decodeIfPresent([Float].self, forKey: .latentMean) ?? d.latentMean,
            latentStd: try c.decodeIfPresent([Float].self, forKey: .latentStd) ?? d.latentStd)
    }

    /// The Wan2.1 VAE.
    public static let wan21 = WanVAEConfig()

    /// Wan2.1's latent statistics (`wan/modules/vae.py`, `WanVAE.__init__`).
    public static let wan21Mean: [Float] = [
        -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
        0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
    ]
    public static let wan21Std: [Float] = [
        2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
    ]

    /// Pixels per latent step: (time, height, width) = (2^#temporal downsamples, 2^(levels−1), same).
    public var stride: (t: Int, h: Int, w: Int) {
        let s = 1 << max(0, dimMult.count - 1)
        return (1 << temporalDownsample.filter { $0 }.count, s, s)
    }

    /// Throws unless the sizes make a network (positive sizes, one time flag per downsampling level,
    /// statistics for every latent channel, positive std).
    public func validate() throws {
        // Bounded far above Wan2.1 (dim 96, z 16, 4 levels ×4, 2 blocks) so a hostile file cannot make us allocate without bound.
        guard (1...4096).contains(dim), (1...1024).contains(zDim), (1...8).contains(dimMult.count),
            dimMult.allSatisfy({ (1...64).contains($0) }), (1...16).contains(numResBlocks),
            temporalDownsample.count == dimMult.count - 1, latentMean.count == zDim, latentStd.count == zDim,
            latentStd.allSatisfy({ $0 > 0 && $0.isFinite }), latentMean.allSatisfy(\.isFinite)
        else {
            throw WanVAEError.invalidConfig(
                "dim \(dim), z_dim \(zDim), dim_mult \(dimMult), num_res_blocks \(numResBlocks), temperal_downsample \(temporalDownsample), \(latentMean.count) means, \(latentStd.count) stds"
            )
        }
    }
}

/// Failures of the Wan VAE that are not tensor-shape errors: a bad configuration or a clip whose
/// size the VAE cannot take.
public enum WanVAEError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): "Wan VAE configuration: \(m)"
        case .invalidInput(let m): "Wan VAE input: \(m)"
        }
    }
}
