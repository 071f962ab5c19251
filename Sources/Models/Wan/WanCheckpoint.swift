import Foundation
import Tensor
import UserMessages

/// Loading a Wan2.1 / HuMo DiT from a checkpoint: the config is read from the file's `config`
/// metadata when present (the goldens carry one), otherwise inferred from tensor shapes, with
/// head dim 128 (every released Wan2.1 model) and text length 512.
///
/// Checkpoint key strings of the DiT live here, in `KeyRules.wanDiT` and in the layers' loaders.
public enum WanCheckpoint {
    /// Family facts `omniedit inspect` prints.
    public struct Description: Sendable, Hashable {
        /// "HuMo" or "Wan2.1".
        public var family: String
        /// e.g. "HuMo-1.7B (T2V layout, reference frame replaces the last latent frame)".
        public var variant: String
        public var config: WanConfig
    }

    /// Whether model keys (after `KeyRules.wanDiT`) look like a Wan DiT.
    public static func isWanDiT(_ reader: WeightReader) -> Bool {
        reader.contains("patch_embedding.weight") && reader.contains("head.head.weight")
            && reader.contains("blocks.0.self_attn.q.weight")
    }

    /// The config of the checkpoint read by `reader`: from metadata `config` if it decodes as one,
    /// else from shapes.
    public static func config(_ reader: WeightReader) throws -> WanConfig {
        if let json = reader.checkpoint.metadata["config"], let data = json.data(using: .utf8),
            let c = try? JSONDecoder().decode(WanConfig.self, from: data)
        {
            return c
        }
        if var c = try diffusersConfig(beside: reader.checkpoint.path) {
            // diffusers has no HuMo class: a HuMo DiT saved in that layout carries its audio path in the
            // weights only, so its sizes come from the shapes.
            if c.audio == nil { c.audio = try inferConfig(reader, heads: c.numHeads).audio }
            try c.validate()
            return c
        }
        return try inferConfig(reader)
    }

    /// The diffusers `config.json` next to (or inside) `path` as a config, if there is one with
    /// diffusers' transformer fields; a present but unreadable one is an error naming the field.
    static func diffusersConfig(beside path: String) throws -> WanConfig? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let url = URL(fileURLWithPath: path)
        let folder = isDirectory.boolValue ? url : url.deletingLastPathComponent()
        let file = folder.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: file), String(decoding: data, as: UTF8.self).contains("num_attention_heads")
        else { return nil }
        do { return try JSONDecoder().decode(WanConfig.self, from: data) } catch {
            throw WanError.invalidConfig(UserMessage.text(error, file: file.path))
        }
    }

    /// The config from tensor shapes alone: heads given, else dim / 128; textLen 512.
    public static func inferConfig(_ r: WeightReader, heads: Int? = nil) throws -> WanConfig {
        guard isWanDiT(r), let patch = r.shape(of: "patch_embedding.weight"), patch.count == 5,
            let ffn = r.shape(of: "blocks.0.ffn.0.weight"), ffn.count == 2,
            let text = r.shape(of: "text_embedding.0.weight"), text.count == 2,
            let time = r.shape(of: "time_embedding.0.weight"), time.count == 2,
            let head = r.shape(of: "head.head.weight"), head.count == 2
        else {
            throw WanError.notAWanCheckpoint(
                "\(r.checkpoint.path) lacks patch_embedding / blocks.0 / text_embedding / time_embedding / head weights"
            )
        }
        let dim = patch[0]
        var layers = 0
        while r.contains("blocks.\(layers).modulation") { layers += 1 }
        let patchSize = Array(patch[2...])
        let perToken = patchSize.reduce(1, *)
        let numHeads = heads ?? dim / 128
        guard numHeads > 0, dim % numHeads == 0, perToken > 0, head[0] % perToken == 0 else {
            throw WanError.notAWanCheckpoint(
                "dim \(dim) does not split into \(numHeads) heads (head dim 128 unless a config.json says), or head \(head)"
            )
        }
        var audio: HuMoAudioConfig?
        if let g1 = r.shape(of: "audio_proj.audio_proj_glob_1.layer.weight"),
            let g3 = r.shape(of: "audio_proj.audio_proj_glob_3.layer.weight"),
            let gn = r.shape(of: "audio_proj.audio_proj_glob_norm.layer.weight"), g1.count == 2, g3.count == 2,
            gn.count == 1, gn[0] > 0, g3[0] % gn[0] == 0, g1[1] % 40 == 0
        {
            audio = HuMoAudioConfig(
                window: 8, groups: 5, channels: g1[1] / 40, intermediate: g1[0], tokenDim: gn[0],
                tokensPerFrame: g3[0] / gn[0])
        }
        return WanConfig(
            dim: dim, numHeads: numHeads, numLayers: layers, ffnDim: ffn[0], inDim: patch[1],
            outDim: head[0] / perToken,
            textDim: text[1], textLen: 512, freqDim: time[1], patchSize: patchSize, eps: 1e-6, audio: audio)
    }

    /// Family and variant of a config.
    public static func describe(_ c: WanConfig) -> Description {
        let size: String
        switch (c.dim, c.numLayers) {
        case (1536, 30): size = c.audio != nil ? "1.7B" : "1.3B"
        case (5120, 40): size = c.audio != nil ? "17B" : "14B"
        default: size = "custom (dim \(c.dim), \(c.numLayers) layers)"
        }
        let layout =
            c.inDim == c.outDim
            ? "T2V layout, \(c.inDim) channels" : "I2V layout, \(c.inDim) channels = latent ‖ mask ‖ conditioning"
        let family = c.audio != nil ? "HuMo" : "Wan2.1"
        return Description(family: family, variant: "\(family)-\(size) (\(layout))", config: c)
    }

    /// Opens `url` (file, index or folder), reads the config and loads the DiT on `backend`.
    /// Returns the model and the checkpoint tensors it did not use. `rules` defaults to `.wanDiT`.
    /// Nothing is allocated before the checkpoint is known to hold every weight the config implies,
    /// with the right shapes, and the weights are known to fit in `memoryLimit` bytes (default: this
    /// machine's memory).
    public static func load(
        _ url: URL, on backend: any Backend, storeAs: DType? = nil, config: WanConfig? = nil,
        rules: KeyRules = .wanDiT, memoryLimit: Int? = nil
    ) throws -> (model: WanDiT, unused: [String]) {
        let checkpoint = try Checkpoint.open(url)
        let c = try config ?? Self.config(WeightReader(checkpoint: checkpoint, rules: rules, backend: backend, shapesOnly: true))
        try c.validate()
        return try WeightReader.loadWithinBudget(
            checkpoint, rules: rules, backend: backend, storeAs: storeAs, what: "the DiT \(url.path)",
            memoryLimit: memoryLimit
        ) { try WanDiT(config: c, reader: &$0) }
    }
}
