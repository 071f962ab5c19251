// Pipeline — small LTX-2-format model folders with seeded random weights, in the diffusers layout the
// built-in AV model uses (tools/train_av/export.py), for tests and benchmarks of the whole AV Edit path.
// The weights are whatever the loaders ask for (recorded while building each network), so the files
// always match the code; the configs are written in diffusers' / transformers' own key names.
import Foundation
import Models
import Tensor
import TensorCPU
import Text

public enum RandomLTX2Folder {
    /// Sizes: tiny widths, but the built-in model's geometry where the pipeline depends on it (64×64
    /// frames, 25-frame windows, 32 latent channels, 16× space / 8× time, 64 mel bins ÷ 4, 32 text tokens).
    public struct Sizes: Sendable {
        public var transformer: LTX2TransformerConfig = {
            var c = LTX2TransformerConfig()
            (c.inChannels, c.outChannels, c.numHeads, c.headDim, c.crossAttentionDim) = (32, 32, 2, 16, 32)
            (c.audioInChannels, c.audioOutChannels, c.audioNumHeads, c.audioHeadDim, c.audioCrossAttentionDim) = (32, 32, 2, 8, 16)
            (c.numLayers, c.captionChannels, c.ropeType, c.vaeScaleFactors) = (2, 32, .split, [8, 16, 16])
            return c
        }()
        public var textHidden = 32
        public var textLayers = 2
        public var textLength = 32
        public var audioLatentChannels = 2
        public var settings: AVModelSettings = {
            var s = AVModelSettings()
            (s.width, s.height, s.windowLength, s.textLength, s.name) = (64, 64, 25, 32, "random LTX-2 test model")
            return s
        }()
        public init() {}
    }

    /// Writes a folder. `tokenizer` is a SentencePiece model in Gemma's id layout (pad 0, eos 1, bos 2)
    /// with at most 1200 pieces (the tests use Tests/TextTests/Fixtures/tokenizers/gemma_bpe).
    public static func write(
        to folder: URL, tokenizer: URL, sizes: Sizes = Sizes(), seed: UInt64 = 1
    ) throws {
        let backend = try CPUBackend(threads: 1)
        let fm = FileManager.default
        func sub(_ name: String) throws -> URL {
            let u = folder.appendingPathComponent(name)
            try fm.createDirectory(at: u, withIntermediateDirectories: true)
            return u
        }
        func json(_ object: [String: Any], _ url: URL) throws {
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]).write(to: url)
        }
        let model = "diffusion_pytorch_model.safetensors"

        // Transformer.
        let t = sizes.transformer
        let transformer = try RandomHuMoFolder.record(seed: seed ^ 0x11, backend: backend) { r in
            _ = try LTX2Transformer(config: t, reader: &r)
        }
        let tDir = try sub("transformer")
        try RandomHuMoFolder.save(transformer, to: tDir.appendingPathComponent(model))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(t).write(to: tDir.appendingPathComponent("config.json"))

        // Text connectors.
        let heads = 2
        let connectorsJSON: [String: Any] = [
            "_class_name": "LTX2TextConnectors", "caption_channels": sizes.textHidden,
            "text_proj_in_factor": sizes.textLayers + 1,
            "video_connector_num_attention_heads": heads, "video_connector_attention_head_dim": sizes.textHidden / heads,
            "video_connector_num_layers": 1, "video_connector_num_learnable_registers": sizes.textLength,
            "audio_connector_num_attention_heads": heads, "audio_connector_attention_head_dim": sizes.textHidden / heads,
            "audio_connector_num_layers": 1, "audio_connector_num_learnable_registers": sizes.textLength,
            "rope_type": "split", "connector_rope_base_seq_len": 4096, "rope_theta": 10000.0,
            "rope_double_precision": true, "proj_bias": false, "video_gated_attn": false, "audio_gated_attn": false,
            "per_modality_projections": false, "causal_temporal_positioning": false,
        ]
        let cDir = try sub("connectors")
        try json(connectorsJSON, cDir.appendingPathComponent("config.json"))
        let connectorsConfig = try JSONDecoder().decode(
            LTX2ConnectorsConfig.self, from: Data(contentsOf: cDir.appendingPathComponent("config.json")))
        let connectors = try RandomHuMoFolder.record(seed: seed ^ 0x12, backend: backend) { r in
            _ = try LTX2TextConnectors(config: connectorsConfig, reader: &r)
        }
        try RandomHuMoFolder.save(connectors, to: cDir.appendingPathComponent(model))

        // Audio VAE: diffusers sizes its statistics by base_channels, so base = latent channels × mel bins / 4.
        let packed = sizes.audioLatentChannels * 16
        let audioJSON: [String: Any] = [
            "_class_name": "AutoencoderKLLTX2Audio", "base_channels": packed, "ch_mult": [1, 2, 2],
            "num_res_blocks": 1, "in_channels": 2, "output_channels": 2, "latent_channels": sizes.audioLatentChannels,
            "mel_bins": 64, "norm_type": "pixel", "causality_axis": "height", "mid_block_add_attention": false,
            "double_z": true, "attn_resolutions": NSNull(), "resolution": 256, "sample_rate": 16000,
            "mel_hop_length": 160, "dropout": 0.0, "is_causal": true,
        ]
        let aDir = try sub("audio_vae")
        try json(audioJSON, aDir.appendingPathComponent("config.json"))
        let audioConfig = try JSONDecoder().decode(
            LTX2AudioVAEConfig.self, from: Data(contentsOf: aDir.appendingPathComponent("config.json")))
        let audio = try RandomHuMoFolder.record(seed: seed ^ 0x13, backend: backend) { r in
            _ = try LTX2AudioVAE(config: audioConfig, reader: &r)
        }
        try RandomHuMoFolder.save(statistics(audio), to: aDir.appendingPathComponent(model))

        // Vocoder: 160× upsampling, so 100 mel frames per second give 16 kHz.
        let vocoderJSON: [String: Any] = [
            "_class_name": "LTX2Vocoder", "in_channels": 128, "hidden_channels": 32, "out_channels": 2,
            "upsample_kernel_sizes": [10, 8, 4, 4, 4], "upsample_factors": [5, 4, 2, 2, 2],
            "resnet_kernel_sizes": [3], "resnet_dilations": [[1, 3]], "leaky_relu_negative_slope": 0.1,
            "final_act_fn": "tanh", "final_bias": true, "output_sampling_rate": 16000, "act_fn": "leaky_relu",
            "antialias": false,
        ]
        let vDir = try sub("vocoder")
        try json(vocoderJSON, vDir.appendingPathComponent("config.json"))
        let vocoderConfig = try JSONDecoder().decode(
            LTX2VocoderConfig.self, from: Data(contentsOf: vDir.appendingPathComponent("config.json")))
        let vocoder = try RandomHuMoFolder.record(seed: seed ^ 0x14, backend: backend) { r in
            _ = try LTX2Vocoder(config: vocoderConfig, reader: &r, on: backend)
        }
        try RandomHuMoFolder.save(vocoder, to: vDir.appendingPathComponent(model))

        // Gemma-3 text encoder (transformers Gemma3ForCausalLM names) and its tokenizer.
        let gemmaJSON: [String: Any] = [
            "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": 1200,
            "hidden_size": sizes.textHidden, "intermediate_size": 2 * sizes.textHidden,
            "num_hidden_layers": sizes.textLayers, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
            "layer_types": Array(repeating: "sliding_attention", count: sizes.textLayers),
            "max_position_embeddings": 4 * sizes.textLength, "sliding_window": 2 * sizes.textLength,
            "query_pre_attn_scalar": 16, "rms_norm_eps": 1e-6, "hidden_activation": "gelu_pytorch_tanh",
            "pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2, "tie_word_embeddings": true,
            "rope_parameters": [
                "full_attention": ["rope_theta": 10000.0, "rope_type": "default"],
                "sliding_attention": ["rope_theta": 10000.0, "rope_type": "default"],
            ],
        ]
        let gDir = try sub("text_encoder")
        try json(gemmaJSON, gDir.appendingPathComponent("config.json"))
        let gemmaConfig = try Gemma3Config(
            json: Data(contentsOf: gDir.appendingPathComponent("config.json")), path: gDir.path)
        let gemma = try RandomHuMoFolder.record(seed: seed ^ 0x15, backend: backend) { r in
            _ = try Gemma3TextModel.load(config: gemmaConfig, from: &r, backend: backend)
        }
        try RandomHuMoFolder.save(gemma, prefix: "model.", to: gDir.appendingPathComponent("model.safetensors"))
        let kDir = try sub("tokenizer")
        try fm.copyItem(at: tokenizer, to: kDir.appendingPathComponent("tokenizer.model"))
        try json(
            ["model_max_length": sizes.textLength, "padding_side": "left", "tokenizer_class": "GemmaTokenizer"],
            kDir.appendingPathComponent("tokenizer_config.json"))

        // Video VAE: the built-in model's block structure (patch 4; down spatiotemporal, spatiotemporal,
        // temporal: 16× space, 8× time; 32 latent channels) at half its widths.
        let widths = [8, 16, 32]
        let videoJSON: [String: Any] = [
            "_class_name": "AutoencoderKLLTX2Video", "in_channels": 3, "out_channels": 3,
            "latent_channels": sizes.transformer.inChannels, "block_out_channels": widths,
            "decoder_block_out_channels": widths, "layers_per_block": [1, 1, 1, 1],
            "decoder_layers_per_block": [1, 1, 1, 1], "spatio_temporal_scaling": [true, true, true],
            "decoder_spatio_temporal_scaling": [true, true, true], "decoder_inject_noise": [false, false, false, false],
            "down_block_types": Array(repeating: "LTX2VideoDownBlock3D", count: 3),
            "downsample_type": ["spatiotemporal", "spatiotemporal", "temporal"],
            "upsample_type": ["temporal", "spatiotemporal", "spatiotemporal"], "upsample_residual": [true, true, true],
            "upsample_factor": [2, 2, 2], "patch_size": 4, "patch_size_t": 1, "resnet_norm_eps": 1e-6,
            "scaling_factor": 1.0, "spatial_compression_ratio": 16, "temporal_compression_ratio": 8,
            "encoder_causal": true, "decoder_causal": true, "encoder_spatial_padding_mode": "zeros",
            "decoder_spatial_padding_mode": "reflect", "timestep_conditioning": false,
        ]
        let eDir = try sub("vae")
        try json(videoJSON, eDir.appendingPathComponent("config.json"))
        let videoConfig = try JSONDecoder().decode(
            LTX2VideoVAEConfig.self, from: Data(contentsOf: eDir.appendingPathComponent("config.json")))
        let video = try RandomHuMoFolder.record(seed: seed ^ 0x16, backend: backend) { r in
            _ = try LTX2VideoVAE(config: videoConfig, reader: &r)
        }
        try RandomHuMoFolder.save(statistics(video), to: eDir.appendingPathComponent(model))
        try encoder.encode(sizes.settings).write(to: folder.appendingPathComponent("omniedit.json"))
    }

    /// Latent statistics a VAE could have measured: means near 0, standard deviations near 1 (never ≤ 0).
    static func statistics(_ weights: [RandomHuMoFolder.Weight]) -> [RandomHuMoFolder.Weight] {
        weights.map { w in
            if w.name.hasSuffix("latents_std") {
                return .init(name: w.name, shape: w.shape, values: w.values.map { 1 + abs($0) })
            }
            return w
        }
    }
}
