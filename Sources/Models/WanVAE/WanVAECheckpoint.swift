import Foundation
import Tensor
import UserMessages

/// Checkpoint names of the Wan VAE. The model's own names are the original ones
/// (`Wan2.1_VAE.pth` converted to safetensors, ComfyUI's `wan_2.1_vae.safetensors`): `encoder.*`,
/// `decoder.*`, the top-level `conv1` (moments) and `conv2` (latent → decoder). The layer layout
/// follows `WanVAEConfig`.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` (`Encoder3d`, `Decoder3d`, `WanVAE_`); diffusers
/// `AutoencoderKLWan` for the second naming.
extension KeyRules {
    /// Original Wan VAE names pass through; a `vae.` or `first_stage_model.` prefix is dropped.
    public static let wanVAE = KeyRules([.dropPrefix("first_stage_model."), .dropPrefix("vae.")])

    /// diffusers `AutoencoderKLWan` names → original names, for the block layout of `config`
    /// (decoder level i holds numResBlocks+1 resnets and one upsampler: flat indices i·(n+2)+j).
    /// Only for diffusers files: its generic renames (`.conv1.` → `.residual.2.`) would break
    /// original names. `WanVAE.keyRules(for:config:)` picks the right table.
    public static func wanVAEDiffusers(_ config: WanVAEConfig) -> KeyRules {
        var rules: [Rule] = [.dropPrefix("vae.")]
        // Inside residual blocks first, while `.conv1.` can only mean a block's first conv.
        rules += [
            .replace(".norm1.", ".residual.0."), .replace(".conv1.", ".residual.2."),
            .replace(".norm2.", ".residual.3."), .replace(".conv2.", ".residual.6."),
            .replace(".conv_shortcut.", ".shortcut."),
            .replace(".conv_in.", ".conv1."), .replace(".norm_out.", ".head.0."), .replace(".conv_out.", ".head.2."),
            .replace(".mid_block.resnets.0.", ".middle.0."), .replace(".mid_block.attentions.0.", ".middle.1."),
            .replace(".mid_block.resnets.1.", ".middle.2."),
            .replacePrefix("encoder.down_blocks.", "encoder.downsamples."),
            .replacePrefix("quant_conv.", "conv1."), .replacePrefix("post_quant_conv.", "conv2."),
        ]
        let perLevel = config.numResBlocks + 2
        for level in 0..<config.dimMult.count {
            for j in 0...config.numResBlocks {
                rules.append(
                    .replacePrefix(
                        "decoder.up_blocks.\(level).resnets.\(j).", "decoder.upsamples.\(level * perLevel + j)."))
            }
            rules.append(
                .replacePrefix(
                    "decoder.up_blocks.\(level).upsamplers.0.",
                    "decoder.upsamples.\(level * perLevel + config.numResBlocks + 1)."))
        }
        return KeyRules(rules)
    }
}

extension WanVAE {
    /// Loads every weight of `config` from `reader` (which throws, via `finish`, listing all missing
    /// and mis-shaped weights).
    public static func load(config: WanVAEConfig, from reader: inout WeightReader) throws -> WanVAE {
        var r = reader
        defer { reader = r }
        let vae = try build(config: config) { try r.take($0, shape: $1) }
        try r.finish()
        return vae
    }

    /// Builds the network of `config`, asking `weight(key, shape)` for every tensor under its
    /// original name (e.g. random weights for a benchmark, or a `WeightReader`).
    public static func build(
        config: WanVAEConfig, weight: (_ key: String, _ shape: [Int]) throws -> Tensor
    ) throws -> WanVAE {
        try config.validate()
        return try withoutActuallyEscaping(weight) { take in
            var loader = VAELoader(take: take)
            let encoder = try loader.encoder(config)
            let decoder = try loader.decoder(config)
            let z2 = 2 * config.zDim
            let moments = try loader.conv("conv1", cout: z2, cin: z2, kernel: [1, 1, 1])
            let post = try loader.conv("conv2", cout: config.zDim, cin: config.zDim, kernel: [1, 1, 1])
            return try WanVAE(config: config, encoder: encoder, moments: moments, latentIn: post, decoder: decoder)
        }
    }

    /// The key table for `checkpoint`: diffusers names when it has `encoder.conv_in.weight`,
    /// the original names otherwise.
    public static func keyRules(for checkpoint: Checkpoint, config: WanVAEConfig) -> KeyRules {
        let diffusers = checkpoint.names.contains { $0.hasSuffix("encoder.conv_in.weight") }
        return diffusers ? .wanVAEDiffusers(config) : .wanVAE
    }

    /// The sizes a checkpoint implies: `dim` from the first encoder conv, `z_dim` from the
    /// post-quant conv; the layout and statistics are Wan2.1's.
    public static func inferConfig(from checkpoint: Checkpoint) throws -> WanVAEConfig {
        var config = WanVAEConfig.wan21
        let rules = keyRules(for: checkpoint, config: config)
        var shapes: [String: [Int]] = [:]
        for name in checkpoint.names { shapes[rules.apply(name)] = try checkpoint.locate(name).entry.shape }
        guard
            let conv = shapes["encoder.conv1.weight"]
                ?? shapes["decoder.head.2.weight"].flatMap({ $0.count > 1 ? [$0[1]] : nil }),
            let post = shapes["conv2.weight"], !conv.isEmpty, !post.isEmpty
        else {
            throw WanVAEError.invalidConfig("\(checkpoint.path): no Wan VAE weights (encoder.conv1 / conv2)")
        }
        config.dim = conv[0]
        config.zDim = post[0]
        if config.zDim != config.latentMean.count {
            throw WanVAEError.invalidConfig(
                "\(checkpoint.path): z_dim \(config.zDim) has no latent statistics (Wan2.1 has 16); give a config")
        }
        return config
    }

    /// Opens a safetensors file or folder and loads it. The config is `config`, else the folder's
    /// `config.json` (diffusers), else inferred from the weights (`inferConfig`).
    /// Nothing is read before every weight is known to be present and to fit in `memoryLimit` bytes.
    public static func load(
        checkpoint url: URL, config: WanVAEConfig? = nil, backend: any Backend, storeAs: DType? = nil,
        memoryLimit: Int? = nil
    ) throws -> WanVAE {
        let checkpoint = try Checkpoint.open(url)
        let json = url.appendingPathComponent("config.json")
        let resolved: WanVAEConfig
        if let config {
            resolved = config
        } else if FileManager.default.fileExists(atPath: json.path) {
            do {
                resolved = try JSONDecoder().decode(WanVAEConfig.self, from: Data(contentsOf: json))
            } catch {
                throw WanVAEError.invalidConfig(UserMessage.text(error, file: json.path))
            }
        } else {
            resolved = try inferConfig(from: checkpoint)
        }
        return try WeightReader.loadWithinBudget(
            checkpoint, rules: keyRules(for: checkpoint, config: resolved), backend: backend, storeAs: storeAs,
            what: "the VAE \(url.path)", memoryLimit: memoryLimit
        ) { try load(config: resolved, from: &$0) }.model
    }
}

/// Reads one layer at a time under its checkpoint name.
private struct VAELoader {
    let take: (String, [Int]) throws -> Tensor

    mutating func conv(_ key: String, cout: Int, cin: Int, kernel: [Int], bias: Bool = true) throws -> CausalConv3d {
        try CausalConv3d(
            weight: take("\(key).weight", [cout, cin] + kernel),
            bias: bias ? take("\(key).bias", [cout]) : nil)
    }

    mutating func norm(_ key: String, channels c: Int, rank: Int = 4) throws -> ChannelRMSNorm {
        try ChannelRMSNorm(gamma: take("\(key).gamma", [c] + Array(repeating: 1, count: rank - 1)))
    }

    mutating func residual(_ key: String, _ cin: Int, _ cout: Int) throws -> VAELayer {
        .residual(
            try VAEResidualBlock(
                norm1: norm("\(key).residual.0", channels: cin),
                conv1: conv("\(key).residual.2", cout: cout, cin: cin, kernel: [3, 3, 3]),
                norm2: norm("\(key).residual.3", channels: cout),
                conv2: conv("\(key).residual.6", cout: cout, cin: cout, kernel: [3, 3, 3]),
                shortcut: cin == cout ? nil : conv("\(key).shortcut", cout: cout, cin: cin, kernel: [1, 1, 1])))
    }

    mutating func attention(_ key: String, _ c: Int) throws -> VAELayer {
        .attention(
            try VAEAttentionBlock(
                norm: norm("\(key).norm", channels: c, rank: 3),
                qkvWeight: take("\(key).to_qkv.weight", [3 * c, c, 1, 1]),
                qkvBias: take("\(key).to_qkv.bias", [3 * c]),
                projWeight: take("\(key).proj.weight", [c, c, 1, 1]),
                projBias: take("\(key).proj.bias", [c])))
    }

    mutating func resample(_ key: String, _ c: Int, _ mode: VAEResample.Mode) throws -> VAELayer {
        let up = mode == .up2d || mode == .up3d
        let cout = up ? c / 2 : c
        let timed = mode == .down3d || mode == .up3d
        let timeOut = mode == .up3d ? 2 * c : c
        return .resample(
            try VAEResample(
                mode: mode, spatialWeight: take("\(key).resample.1.weight", [cout, c, 3, 3]),
                spatialBias: take("\(key).resample.1.bias", [cout]),
                timeWeight: timed ? take("\(key).time_conv.weight", [timeOut, c, 3, 1, 1]) : nil,
                timeBias: timed ? take("\(key).time_conv.bias", [timeOut]) : nil))
    }

    mutating func middle(_ key: String, _ c: Int) throws -> [VAELayer] {
        [try residual("\(key).0", c, c), try attention("\(key).1", c), try residual("\(key).2", c, c)]
    }

    /// conv1 → levels of (res blocks, downsample) → middle → head.
    mutating func encoder(_ cfg: WanVAEConfig) throws -> VAEStack {
        let dims = [cfg.dim] + cfg.dimMult.map { cfg.dim * $0 }
        var layers: [VAELayer] = [.conv(try conv("encoder.conv1", cout: dims[0], cin: 3, kernel: [3, 3, 3]))]
        var index = 0
        for level in 0..<cfg.dimMult.count {
            var cin = dims[level]
            let cout = dims[level + 1]
            for _ in 0..<cfg.numResBlocks {
                layers.append(try residual("encoder.downsamples.\(index)", cin, cout))
                index += 1
                cin = cout
            }
            if level < cfg.dimMult.count - 1 {
                let mode: VAEResample.Mode = cfg.temporalDownsample[level] ? .down3d : .down2d
                layers.append(try resample("encoder.downsamples.\(index)", cout, mode))
                index += 1
            }
        }
        let top = dims[dims.count - 1]
        layers += try middle("encoder.middle", top)
        layers.append(.normSiLU(try norm("encoder.head.0", channels: top)))
        layers.append(.conv(try conv("encoder.head.2", cout: 2 * cfg.zDim, cin: top, kernel: [3, 3, 3])))
        return VAEStack(layers: layers)
    }

    /// conv1 → middle → levels of (res blocks + 1, upsample) → head. Levels after the first start
    /// from half the channels, because each upsample halves them.
    mutating func decoder(_ cfg: WanVAEConfig) throws -> VAEStack {
        let mult = cfg.dimMult
        let dims = ([mult[mult.count - 1]] + mult.reversed()).map { cfg.dim * $0 }
        let upTime = Array(cfg.temporalDownsample.reversed())
        var layers: [VAELayer] = [.conv(try conv("decoder.conv1", cout: dims[0], cin: cfg.zDim, kernel: [3, 3, 3]))]
        layers += try middle("decoder.middle", dims[0])
        var index = 0
        var cout = dims[0]
        for level in 0..<mult.count {
            var cin = level == 0 ? dims[0] : dims[level] / 2
            cout = dims[level + 1]
            for _ in 0...cfg.numResBlocks {
                layers.append(try residual("decoder.upsamples.\(index)", cin, cout))
                index += 1
                cin = cout
            }
            if level < mult.count - 1 {
                layers.append(try resample("decoder.upsamples.\(index)", cout, upTime[level] ? .up3d : .up2d))
                index += 1
            }
        }
        layers.append(.normSiLU(try norm("decoder.head.0", channels: cout)))
        layers.append(.conv(try conv("decoder.head.2", cout: 3, cin: cout, kernel: [3, 3, 3])))
        return VAEStack(layers: layers)
    }
}
