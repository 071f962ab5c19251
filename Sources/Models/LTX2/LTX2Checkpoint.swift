import Foundation
import Tensor
import UserMessages

extension KeyRules {
    /// LTX-2 transformer: diffusers `LTX2VideoTransformer3DModel` names pass through; LTX-2's own names
    /// (the single-file `ltx-2-19b-*.safetensors`, ComfyUI's `model.diffusion_model.` prefix) map onto them.
    /// Follows diffusers `convert_ltx2_transformer_to_diffusers` (the fixture script checks the inverse).
    public static let ltx2Transformer = KeyRules([
        .dropPrefix("model.diffusion_model."),
        .replacePrefix("patchify_proj.", "proj_in."),
        .replacePrefix("audio_patchify_proj.", "audio_proj_in."),
        .replacePrefix("adaln_single.", "time_embed."),
        .replacePrefix("audio_adaln_single.", "audio_time_embed."),
        .replacePrefix("av_ca_video_scale_shift_adaln_single.", "av_cross_attn_video_scale_shift."),
        .replacePrefix("av_ca_audio_scale_shift_adaln_single.", "av_cross_attn_audio_scale_shift."),
        .replacePrefix("av_ca_a2v_gate_adaln_single.", "av_cross_attn_video_a2v_gate."),
        .replacePrefix("av_ca_v2a_gate_adaln_single.", "av_cross_attn_audio_v2a_gate."),
        .replace(".scale_shift_table_a2v_ca_video", ".video_a2v_cross_attn_scale_shift_table"),
        .replace(".scale_shift_table_a2v_ca_audio", ".audio_a2v_cross_attn_scale_shift_table"),
        .replace(".q_norm.", ".norm_q."),
        .replace(".k_norm.", ".norm_k."),
    ])

    /// LTX-2 audio VAE: diffusers `AutoencoderKLLTX2Audio` names; the single file's `audio_vae.*` with its
    /// per-channel statistics. Follows diffusers `convert_ltx2_audio_vae_to_diffusers`.
    public static let ltx2AudioVAE = KeyRules([
        .dropPrefix("audio_vae."),
        .replace("per_channel_statistics.mean-of-means", "latents_mean"),
        .replace("per_channel_statistics.std-of-means", "latents_std"),
    ])

    /// LTX-2 vocoder: diffusers `LTX2Vocoder` names pass through; the single file's `vocoder.*` (HiFi-GAN
    /// names as in ltx-core's `Vocoder`) map onto them.
    public static let ltx2Vocoder = KeyRules([
        .dropPrefix("vocoder."),
        .replacePrefix("conv_pre.", "conv_in."),
        .replacePrefix("ups.", "upsamplers."),
        .replacePrefix("resblocks.", "resnets."),
        .replacePrefix("conv_post.", "conv_out."),
    ])

    /// LTX-2 text connectors: diffusers `LTX2TextConnectors` names pass through; the single file's
    /// `text_embedding_projection.aggregate_embed` and `model.diffusion_model.*_embeddings_connector`
    /// map onto them. Follows ltx-core `EMBEDDINGS_PROCESSOR_KEY_OPS`.
    public static let ltx2Connectors = KeyRules([
        .dropPrefix("model.diffusion_model."),
        .replacePrefix("text_embedding_projection.aggregate_embed.", "text_proj_in."),
        .replacePrefix("video_embeddings_connector.", "video_connector."),
        .replacePrefix("audio_embeddings_connector.", "audio_connector."),
        .replace(".transformer_1d_blocks.", ".transformer_blocks."),
        .replace(".q_norm.", ".norm_q."),
        .replace(".k_norm.", ".norm_k."),
    ])
}

/// Loading LTX-2 components from the checkpoints users have: a diffusers folder's component
/// (`transformer/` with `config.json`) or the single-file LTX-2 safetensors (every component under
/// its own prefix, the config JSON in metadata `config` with one section per component).
///
/// Checkpoint key strings of LTX-2 live here, in `KeyRules` above and in the layers' loaders.
public enum LTX2Checkpoint {
    /// Family facts `omniedit inspect` prints.
    public struct Description: Sendable, Hashable {
        public var family = "LTX-2"
        /// e.g. "LTX-2 19B audio-video transformer (48 layers, split RoPE)".
        public var variant: String
        public var config: LTX2TransformerConfig
    }

    /// Whether model keys (after `KeyRules.ltx2Transformer`) look like an LTX-2 transformer.
    public static func isTransformer(_ names: [String]) -> Bool {
        let keys = Set(names.map { KeyRules.ltx2Transformer.apply($0) })
        return keys.contains("audio_proj_in.weight") && keys.contains("av_cross_attn_video_a2v_gate.linear.weight")
    }

    /// The transformer config: the `transformer` section of metadata `config` (single file), else the
    /// `config.json` beside (or inside) the checkpoint's path. A present but unreadable config is an
    /// error naming the file; none at all is an error too (LTX-2's RoPE type is not in the shapes).
    public static func transformerConfig(_ checkpoint: Checkpoint) throws -> LTX2TransformerConfig {
        if let json = checkpoint.metadata["config"] {
            guard let data = json.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw LTX2Error.invalidConfig("\(checkpoint.path): metadata 'config' is not a JSON object") }
            let section = object["transformer"] ?? object
            do {
                return try JSONDecoder().decode(
                    LTX2TransformerConfig.self, from: try JSONSerialization.data(withJSONObject: section))
            } catch let e as LTX2Error { throw e } catch {
                throw LTX2Error.invalidConfig("\(checkpoint.path): metadata 'config': \(UserMessage.text(error))")
            }
        }
        let file = configFile(beside: checkpoint)
        guard let data = try? Data(contentsOf: file) else {
            throw LTX2Error.invalidConfig(
                "\(checkpoint.path) has no 'config' metadata and no config.json beside it; LTX-2's RoPE type and "
                    + "positions are not in the tensor shapes, so the config is needed")
        }
        do { return try JSONDecoder().decode(LTX2TransformerConfig.self, from: data) } catch let e as LTX2Error {
            throw LTX2Error.invalidConfig("\(file.path): \(e)")
        } catch { throw LTX2Error.invalidConfig(UserMessage.text(error, file: file.path)) }
    }

    /// The diffusers `config.json` of a component: inside the opened folder, or beside the opened file.
    static func configFile(beside checkpoint: Checkpoint) -> URL {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: checkpoint.path, isDirectory: &isDirectory)
        let url = URL(fileURLWithPath: checkpoint.path)
        return (isDirectory.boolValue ? url : url.deletingLastPathComponent()).appendingPathComponent("config.json")
    }

    /// Refuses checkpoints whose transformer tensors are stored in a format we do not read (fp8),
    /// naming the format and a tensor, before anything is loaded.
    public static func checkStorage(_ checkpoint: Checkpoint, names: [String]) throws {
        for name in names {
            let entry = try checkpoint.locate(name).entry
            if entry.dtype.tensorDType == nil, entry.shape.count > 0 {
                throw LTX2Error.unsupported(
                    "\(checkpoint.path): tensor '\(name)' is stored as \(entry.dtype.rawValue)"
                        + (entry.dtype == .f8e4m3 || entry.dtype == .f8e5m2
                            ? " (an fp8 checkpoint, e.g. ltx-2-19b-dev-fp8): fp8 LTX-2 checkpoints are not supported; use the bf16 one"
                            : ", which LTX-2 weights cannot be loaded from"))
            }
        }
    }

    /// Family and variant of a config.
    public static func describe(_ c: LTX2TransformerConfig) -> Description {
        let size =
            (c.innerDim, c.audioInnerDim, c.numLayers) == (4096, 2048, 48)
            ? "19B" : "custom (video \(c.numHeads)×\(c.headDim), audio \(c.audioNumHeads)×\(c.audioHeadDim))"
        return Description(
            variant: "LTX-2 \(size) audio-video transformer (\(c.numLayers) layers, \(c.ropeType.rawValue) RoPE)",
            config: c)
    }

    /// Opens `url` (a file, an index or a folder), reads the config and loads the transformer on `backend`.
    /// Returns the model and the checkpoint tensors it did not use (a single file's other components).
    /// Nothing is read before every weight is known to be present and to fit in `memoryLimit` bytes.
    public static func loadTransformer(
        _ url: URL, on backend: any Backend, storeAs: DType? = nil, config: LTX2TransformerConfig? = nil,
        memoryLimit: Int? = nil
    ) throws -> (model: LTX2Transformer, unused: [String]) {
        let checkpoint = try Checkpoint.open(url)
        guard isTransformer(checkpoint.names) else {
            throw LTX2Error.notAnLTX2Checkpoint(
                "\(checkpoint.path) has no LTX-2 transformer tensors (audio_proj_in / audio_patchify_proj, "
                    + "av_ca_a2v_gate_adaln_single)")
        }
        let names = checkpoint.names.filter {
            let k = KeyRules.ltx2Transformer.apply($0)
            return !k.hasPrefix("vae.") && !k.hasPrefix("audio_vae.") && !k.hasPrefix("vocoder.")
        }
        try checkStorage(checkpoint, names: names)
        let c = try config ?? transformerConfig(checkpoint)
        return try WeightReader.loadWithinBudget(
            checkpoint, rules: .ltx2Transformer, backend: backend, storeAs: storeAs,
            what: "the LTX-2 transformer \(url.path)", memoryLimit: memoryLimit
        ) { try LTX2Transformer(config: c, reader: &$0) }
    }

    /// Whether a checkpoint holds LTX-2's text connectors (diffusers folder or single file).
    public static func hasConnectors(_ names: [String]) -> Bool {
        let keys = Set(names.map { KeyRules.ltx2Connectors.apply($0) })
        return keys.contains("text_proj_in.weight") && keys.contains("video_connector.learnable_registers")
    }

    /// Opens `url` and loads the text connectors: config from the `config.json` beside a diffusers
    /// component, else from the single file's metadata `transformer` section and the shapes.
    public static func loadConnectors(
        _ url: URL, on backend: any Backend, storeAs: DType? = nil, config: LTX2ConnectorsConfig? = nil
    ) throws -> (model: LTX2TextConnectors, unused: [String]) {
        let checkpoint = try Checkpoint.open(url)
        guard hasConnectors(checkpoint.names) else {
            throw LTX2Error.notAnLTX2Checkpoint(
                "\(checkpoint.path) has no LTX-2 text connector tensors (text_proj_in / "
                    + "text_embedding_projection.aggregate_embed, video_connector.learnable_registers)")
        }
        let names = checkpoint.names.filter {
            let k = KeyRules.ltx2Connectors.apply($0)
            return k.hasPrefix("text_proj_in.") || k.hasPrefix("video_connector.") || k.hasPrefix("audio_connector.")
        }
        try checkStorage(checkpoint, names: names)
        var reader = try WeightReader(
            checkpoint: checkpoint, rules: .ltx2Connectors, backend: backend, storeAs: storeAs)
        let c = try config ?? connectorsConfig(checkpoint, reader: reader)
        let model = try LTX2TextConnectors(config: c, reader: &reader)
        return (model, reader.unusedKeys)
    }

    /// The connectors' config: `config.json` beside the checkpoint, else metadata `config`.
    public static func connectorsConfig(_ checkpoint: Checkpoint, reader: WeightReader) throws -> LTX2ConnectorsConfig {
        let file = configFile(beside: checkpoint)
        if checkpoint.metadata["config"] == nil, let data = try? Data(contentsOf: file) {
            do { return try JSONDecoder().decode(LTX2ConnectorsConfig.self, from: data) } catch {
                throw LTX2Error.invalidConfig(UserMessage.text(error, file: file.path))
            }
        }
        guard let json = checkpoint.metadata["config"], let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw LTX2Error.invalidConfig("\(checkpoint.path) has no config.json beside it and no 'config' metadata")
        }
        return try LTX2ConnectorsConfig(
            ltxCore: object["transformer"] as? [String: Any] ?? object, shape: { reader.shape(of: $0) })
    }

    /// Whether a checkpoint holds LTX-2's vocoder (diffusers `vocoder/` or the single file's `vocoder.*`).
    public static func hasVocoder(_ names: [String]) -> Bool {
        let keys = Set(names.map { KeyRules.ltx2Vocoder.apply($0) })
        return keys.contains("conv_in.weight") && keys.contains("upsamplers.0.weight")
            && keys.contains("conv_out.weight")
    }

    /// Opens `url` and loads the vocoder: config from `config.json` beside a diffusers component, else
    /// the single file's metadata `vocoder` section. `shapesOnly` checks names and shapes without reading.
    public static func loadVocoder(
        _ url: URL, on backend: any Backend, config: LTX2VocoderConfig? = nil, shapesOnly: Bool = false
    ) throws -> LTX2Vocoder {
        let checkpoint = try Checkpoint.open(url)
        let own = checkpoint.names.filter { checkpoint.metadata["config"] == nil || $0.hasPrefix("vocoder.") }
        guard hasVocoder(own) else {
            throw LTX2Error.notAnLTX2Checkpoint(
                "\(checkpoint.path) has no LTX-2 vocoder tensors (conv_in / vocoder.conv_pre, upsamplers.0 / vocoder.ups.0)"
            )
        }
        try checkStorage(checkpoint, names: own)
        var reader = try WeightReader(
            checkpoint: checkpoint, rules: .ltx2Vocoder, backend: backend, shapesOnly: shapesOnly)
        let c = try config ?? section(checkpoint, "vocoder", as: LTX2VocoderConfig.self)
        return try LTX2Vocoder(config: c, reader: &reader, on: backend)
    }

    /// A component's config: `config.json` beside a diffusers component, else metadata `config` → `name`.
    static func section<T: Decodable>(_ checkpoint: Checkpoint, _ name: String, as type: T.Type) throws -> T {
        if let json = checkpoint.metadata["config"] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                let part = object[name]
            else { throw LTX2Error.invalidConfig("\(checkpoint.path): metadata 'config' has no '\(name)' section") }
            do { return try JSONDecoder().decode(T.self, from: try JSONSerialization.data(withJSONObject: part)) } catch
            {
                throw LTX2Error.invalidConfig("\(checkpoint.path): metadata 'config' → \(name): \(UserMessage.text(error))")
            }
        }
        let file = configFile(beside: checkpoint)
        guard let data = try? Data(contentsOf: file) else {
            throw LTX2Error.invalidConfig("\(checkpoint.path) has no config.json beside it and no 'config' metadata")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw LTX2Error.invalidConfig(UserMessage.text(error, file: file.path))
        }
    }

    /// Whether a checkpoint holds LTX-2's audio VAE (diffusers `audio_vae/` or the single file's `audio_vae.*`).
    public static func hasAudioVAE(_ names: [String]) -> Bool {
        let keys = Set(names.map { KeyRules.ltx2AudioVAE.apply($0) })
        return keys.contains("encoder.conv_in.conv.weight") && keys.contains("decoder.conv_out.conv.weight")
            && keys.contains("latents_mean") && !keys.contains { $0.hasPrefix("encoder.down_blocks.") }
    }

    /// Opens `url` and loads the audio VAE: config from `config.json` beside a diffusers component, else
    /// the single file's metadata `audio_vae` section.
    public static func loadAudioVAE(
        _ url: URL, on backend: any Backend, config: LTX2AudioVAEConfig? = nil, shapesOnly: Bool = false
    ) throws -> LTX2AudioVAE {
        let checkpoint = try Checkpoint.open(url)
        let single = checkpoint.metadata["config"] != nil
        let own = checkpoint.names.filter { !single || $0.hasPrefix("audio_vae.") }
        guard hasAudioVAE(own) else {
            throw LTX2Error.notAnLTX2Checkpoint(
                "\(checkpoint.path) has no LTX-2 audio VAE tensors (encoder.conv_in.conv, decoder.conv_out.conv, latents_mean)"
            )
        }
        try checkStorage(checkpoint, names: own)
        var reader = try WeightReader(
            checkpoint: checkpoint, rules: .ltx2AudioVAE, backend: backend, shapesOnly: shapesOnly)
        let c = try config ?? section(checkpoint, "audio_vae", as: LTX2AudioVAEConfig.self)
        return try LTX2AudioVAE(config: c, reader: &reader)
    }
}
