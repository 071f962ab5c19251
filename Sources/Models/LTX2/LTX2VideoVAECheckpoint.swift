import Foundation
import Tensor

extension KeyRules {
    /// LTX-2 video VAE: diffusers `AutoencoderKLLTX2Video` names pass through; the single file's `vae.*`
    /// loses its prefix and its per-channel statistics get diffusers' names (block renumbering of the
    /// single file comes from its config, see `LTX2Checkpoint.loadVideoVAE`).
    public static let ltx2VideoVAE = KeyRules([
        .dropPrefix("vae."),
        .replace("per_channel_statistics.mean-of-means", "latents_mean"),
        .replace("per_channel_statistics.std-of-means", "latents_std"),
    ])
}

extension LTX2Checkpoint {
    /// Whether a checkpoint holds LTX-2's video VAE (diffusers `vae/` or the single file's `vae.*`):
    /// 3-D resnet blocks (`down_blocks`/`up_blocks`, unlike the audio VAE's `down`/`up`) and statistics.
    public static func hasVideoVAE(_ names: [String]) -> Bool {
        let keys = names.map { KeyRules.ltx2VideoVAE.apply($0) }
        let set = Set(keys)
        return set.contains("encoder.conv_in.conv.weight") && set.contains("decoder.conv_out.conv.weight")
            && set.contains("latents_mean") && keys.contains { $0.hasPrefix("encoder.down_blocks.") }
    }

    /// Opens `url` and loads the video VAE: config from `config.json` beside a diffusers component, or
    /// from the single file's metadata `config` → `vae` (ltx-core's block lists, `LTX2VideoVAELTXCoreLayout`).
    /// `shapesOnly` checks names and shapes without reading; otherwise nothing is read before every
    /// weight is known to be present and to fit in `memoryLimit` bytes (default: this machine's memory).
    /// Returns the model and the checkpoint tensors it did not use.
    public static func loadVideoVAE(
        _ url: URL, on backend: any Backend, config: LTX2VideoVAEConfig? = nil, storeAs: DType? = nil,
        shapesOnly: Bool = false, memoryLimit: Int? = nil
    ) throws -> (model: LTX2VideoVAE, unused: [String]) {
        let checkpoint = try Checkpoint.open(url)
        let single = checkpoint.metadata["config"] != nil
        let own = checkpoint.names.filter { !single || $0.hasPrefix("vae.") }
        guard hasVideoVAE(own) else {
            throw LTX2Error.notAnLTX2Checkpoint(
                "\(checkpoint.path) has no LTX-2 video VAE tensors (encoder.conv_in.conv, encoder.down_blocks.*, decoder.conv_out.conv, latents_mean)"
            )
        }
        try checkStorage(checkpoint, names: own)
        var rules = KeyRules.ltx2VideoVAE
        var found = config
        if single {
            guard let object = try? JSONSerialization.jsonObject(with: Data(checkpoint.metadata["config"]!.utf8)) as? [String: Any],
                let section = object["vae"] as? [String: Any]
            else { throw LTX2Error.invalidConfig("\(checkpoint.path): metadata 'config' has no 'vae' section") }
            let layout: LTX2VideoVAELTXCoreLayout
            do { layout = try LTX2VideoVAELTXCoreLayout(section) } catch let e as LTX2Error {
                throw LTX2Error.invalidConfig("\(checkpoint.path): \(e)")
            }
            rules = KeyRules(layout.rules)
            found = found ?? layout.config
        }
        let c = try found ?? section(checkpoint, "vae", as: LTX2VideoVAEConfig.self)
        let loaded: (model: LTX2VideoVAE, unused: [String])
        if shapesOnly {
            var reader = try WeightReader(
                checkpoint: checkpoint, rules: rules, backend: backend, storeAs: storeAs, shapesOnly: true)
            loaded = (try LTX2VideoVAE(config: c, reader: &reader), reader.unusedKeys)
        } else {
            loaded = try WeightReader.loadWithinBudget(
                checkpoint, rules: rules, backend: backend, storeAs: storeAs, what: "the LTX-2 video VAE \(url.path)",
                memoryLimit: memoryLimit
            ) { try LTX2VideoVAE(config: c, reader: &$0) }
        }
        return (loaded.model, loaded.unused.filter { !single || $0.hasPrefix("vae.") })
    }
}

/// The single-file LTX-2 checkpoint's video VAE: ltx-core's `vae` config section (block lists) turned
/// into `LTX2VideoVAEConfig`, and its sequentially numbered blocks (`vae.encoder.down_blocks.N`,
/// `vae.decoder.up_blocks.N`, `res_blocks`) renamed to diffusers' nested ones.
///
/// Encoder blocks alternate `res_x` (resnets) and `compress_{space,time,all}_res` (a downsampler
/// multiplying the width, default ×2); the last `res_x` is the mid block. Decoder blocks are listed
/// shallow → deep and run reversed: a `res_x` mid block, then `compress_{space,time,all}` upsamplers
/// (`residual`, `multiplier` = diffusers' upsample factor) each followed by a `res_x`; the decoder
/// starts at `decoder_base_channels`·8 channels. Other ltx-core blocks (`res_x_y`, `attn_res_x`,
/// strided `compress_*` convs) are refused by name.
///
/// Follows: ltx-core `model/video_vae` (`VideoEncoder`, `VideoDecoder`, `model_configurator.py`) and
/// diffusers `convert_ltx2_vae_to_diffusers` (the fixture script checks our renames against it).
struct LTX2VideoVAELTXCoreLayout {
    var config = LTX2VideoVAEConfig()
    var rules: [KeyRules.Rule] = []

    init(_ section: [String: Any]) throws {
        func fail(_ m: String) -> LTX2Error { LTX2Error.unsupported("LTX-2 single-file video VAE config: \(m)") }
        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let v = section[key] else { return fallback }
            guard let n = v as? Int, (1...8192).contains(n) else { throw fail("'\(key)' is \(v), not a size") }
            return n
        }
        func string(_ key: String, _ fallback: String) -> String { section[key] as? String ?? fallback }
        func bool(_ key: String, _ fallback: Bool) -> Bool { section[key] as? Bool ?? fallback }
        func blocks(_ key: String) throws -> [(name: String, params: [String: Any])] {
            guard let list = section[key] as? [Any], !list.isEmpty else { throw fail("no '\(key)' list") }
            return try list.map { item in
                guard let pair = item as? [Any], pair.count == 2, let name = pair[0] as? String else {
                    throw fail("'\(key)' entry \(item) is not [name, parameters]")
                }
                if let n = pair[1] as? Int { return (name, ["num_layers": n]) }
                guard let params = pair[1] as? [String: Any] else { throw fail("'\(key)' entry \(name) has no parameters") }
                return (name, params)
            }
        }
        func layers(_ p: [String: Any], _ name: String) throws -> Int {
            guard let n = p["num_layers"] as? Int, (0...64).contains(n) else { throw fail("\(name) has no num_layers") }
            if let noise = p["inject_noise"] as? Bool, noise {
                throw fail("\(name) has inject_noise true: decoder noise injection is not implemented")
            }
            return n
        }
        var c = LTX2VideoVAEConfig()
        if let dims = section["dims"] as? Int, dims != 3 { throw fail("dims \(dims): only 3-D VAEs are implemented") }
        if string("norm_layer", "pixel_norm") != "pixel_norm" {
            throw fail("norm_layer '\(string("norm_layer", ""))': only pixel_norm (LTX-2) is implemented")
        }
        if string("latent_log_var", "uniform") != "uniform" {
            throw fail("latent_log_var '\(string("latent_log_var", ""))': only uniform (one shared log-variance channel) is implemented")
        }
        // ltx-core's own default for timestep_conditioning is true.
        if bool("timestep_conditioning", true) {
            throw fail("timestep_conditioning is true (or absent, ltx-core's default): the timestep-conditioned decoder is not implemented")
        }
        c.inChannels = try int("in_channels", 3)
        c.outChannels = try int("out_channels", 3)
        c.latentChannels = try int("latent_channels", 128)
        c.patchSize = try int("patch_size", 4)
        c.patchSizeT = 1
        c.decoderCausal = bool("causal_decoder", false)
        c.encoderCausal = true
        let padding = section["spatial_padding_mode"] as? String
        for (mode, half) in [(padding ?? "zeros", "encoder"), (padding ?? "reflect", "decoder")] {
            guard let p = LTX2VideoVAEConfig.Padding(rawValue: mode) else {
                throw fail("spatial_padding_mode '\(mode)' (\(half)); implemented: zeros, reflect")
            }
            if half == "encoder" { c.encoderPadding = p } else { c.decoderPadding = p }
        }

        // Encoder: [res_x, compress]* res_x → down blocks (resnets + downsampler) and the mid block.
        var width = c.latentChannels
        var outs: [Int] = [], counts: [Int] = [], types: [LTX2VideoVAEConfig.Resample] = []
        var pending = 0
        var pendingIndices: [Int] = []
        var rules: [KeyRules.Rule] = []
        var renames: [(from: String, to: String)] = []
        for (k, block) in try blocks("encoder_blocks").enumerated() {
            let resample: LTX2VideoVAEConfig.Resample
            switch block.name {
            case "res_x":
                pending += try layers(block.params, "encoder block \(k) res_x")
                pendingIndices.append(k)
                continue
            case "compress_space_res": resample = .spatial
            case "compress_time_res": resample = .temporal
            case "compress_all_res": resample = .spatiotemporal
            default: throw fail("encoder block \(k) '\(block.name)' is not implemented (LTX-2 uses res_x and compress_*_res)")
            }
            guard pendingIndices.count <= 1 else { throw fail("encoder blocks \(pendingIndices) are consecutive res_x blocks") }
            let i = outs.count
            for p in pendingIndices { renames.append(("encoder.down_blocks.\(p).", "encoder.down_blocks.\(i).")) }
            renames.append(("encoder.down_blocks.\(k).", "encoder.down_blocks.\(i).downsamplers.0."))
            let multiplier = block.params["multiplier"] as? Int ?? 2
            guard (1...16).contains(multiplier) else { throw fail("encoder block \(k) multiplier \(multiplier)") }
            width *= multiplier
            outs.append(width)
            counts.append(pending)
            types.append(resample)
            pending = 0
            pendingIndices = []
        }
        guard pendingIndices.count <= 1 else { throw fail("encoder blocks \(pendingIndices) are consecutive res_x blocks") }
        for p in pendingIndices { renames.append(("encoder.down_blocks.\(p).", "encoder.mid_block.")) }
        guard !outs.isEmpty else { throw fail("encoder_blocks has no compress_*_res block") }
        c.blockOutChannels = outs
        c.layersPerBlock = counts + [pending]
        c.spatioTemporalScaling = Array(repeating: true, count: outs.count)
        c.downsampleType = types

        // Decoder, in run order (the list reversed): res_x (mid), then (compress, res_x?)*.
        let decoder = Array(try blocks("decoder_blocks").enumerated().reversed())
        guard let first = decoder.first, first.element.name == "res_x" else {
            throw fail("the deepest decoder block must be res_x (the mid block)")
        }
        width = try int("decoder_base_channels", 128) * 8
        var widths: [Int] = [], dCounts = [try layers(first.element.params, "decoder block \(first.offset)")]
        var upTypes: [LTX2VideoVAEConfig.Resample] = [], residuals: [Bool] = [], factors: [Int] = []
        renames.append(("decoder.up_blocks.0.", "decoder.mid_block."))
        var run = 0  // ltx-core's run-order index of the block (its up_blocks number)
        for (offset, block) in decoder.dropFirst() {
            run += 1
            let i = widths.count
            switch block.name {
            case "res_x":
                guard i > 0, dCounts.count == i else { throw fail("decoder blocks: consecutive res_x at \(offset)") }
                dCounts.append(try layers(block.params, "decoder block \(offset)"))
                renames.append(("decoder.up_blocks.\(run).", "decoder.up_blocks.\(i - 1)."))
                continue
            case "compress_space": upTypes.append(.spatial)
            case "compress_time": upTypes.append(.temporal)
            case "compress_all": upTypes.append(.spatiotemporal)
            default: throw fail("decoder block \(offset) '\(block.name)' is not implemented (LTX-2 uses res_x and compress_*)")
            }
            if dCounts.count == i { dCounts.append(0) }
            let factor = block.params["multiplier"] as? Int ?? 1
            guard (1...8).contains(factor), width % factor == 0 else { throw fail("decoder block \(offset) multiplier \(factor)") }
            widths.append(width)
            residuals.append(block.name == "compress_all" ? block.params["residual"] as? Bool ?? false : false)
            factors.append(factor)
            renames.append(("decoder.up_blocks.\(run).", "decoder.up_blocks.\(i).upsamplers.0."))
            width /= factor
        }
        if dCounts.count == widths.count { dCounts.append(0) }
        guard !widths.isEmpty, dCounts.count == widths.count + 1 else { throw fail("decoder_blocks has no compress block") }
        c.decoderBlockOutChannels = widths.reversed()
        c.decoderLayersPerBlock = dCounts.reversed()
        c.decoderSpatioTemporalScaling = Array(repeating: true, count: widths.count)
        c.upsampleType = upTypes
        c.upsampleResidual = residuals.reversed()
        c.upsampleFactor = factors.reversed()
        try c.validate()
        config = c

        // Two passes so that no renamed key is renamed again ("down_blocks.1." → "#1." → target).
        rules = [.dropPrefix("vae.")]
        for (n, r) in renames.enumerated() { rules.append(.replacePrefix(r.from, "#\(n)#.")) }
        for (n, r) in renames.enumerated() { rules.append(.replacePrefix("#\(n)#.", r.to)) }
        rules += [
            .replace(".res_blocks.", ".resnets."),
            .replace("per_channel_statistics.mean-of-means", "latents_mean"),
            .replace("per_channel_statistics.std-of-means", "latents_std"),
        ]
        self.rules = rules
    }
}
