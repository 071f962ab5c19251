// Pipeline — small HuMo-family model folders with seeded random weights, in the layouts users have,
// for tests and benchmarks of the whole path (`omniedit make-test-model`). The weights are whatever
// the loaders ask for (recorded while building each network), so the files always match the code.
import Foundation
import Models
import Tensor
import TensorCPU

public enum RandomHuMoFolder {
    /// How the files are laid out.
    public enum Layout: String, Sendable, CaseIterable {
        /// HuMo's own: the DiT beside `Wan2.1_VAE.safetensors`, a `whisper/` folder, the text context.
        case humo
        /// ComfyUI repacks: single files, the DiT's names prefixed `model.diffusion_model.`.
        case comfy
        /// diffusers-style folders: `transformer/` (sharded, with an index), `vae/`, `audio_encoder/`.
        case diffusers
    }

    /// Sizes of the random model: tiny, but every HuMo structure (blocks, audio path, reference layout).
    public struct Sizes: Sendable {
        public var dit = WanConfig(
            dim: 64, numHeads: 2, numLayers: 2, ffnDim: 128, inDim: 16, outDim: 16, textDim: 32, textLen: 8,
            audio: HuMoAudioConfig(channels: 32, intermediate: 32, tokenDim: 48, tokensPerFrame: 4))
        public var vae = WanVAEConfig(
            dim: 8, zDim: 16, dimMult: [1, 2, 2, 2], numResBlocks: 1, latentMean: [Float](repeating: 0, count: 16),
            latentStd: [Float](repeating: 1, count: 16))
        public var whisper = WhisperEncoderConfig(dModel: 32, layers: 4, heads: 2, ffnDim: 64)
        public var settings: ModelSettings = {
            var s = ModelSettings()
            s.width = 64
            s.height = 48
            s.windowLength = 9
            s.name = "random test model"
            return s
        }()
        public init() {}
    }

    /// Writes a folder; `channelReference` makes the 17B layout (36 input channels).
    public static func write(
        to folder: URL, layout: Layout, sizes: Sizes = Sizes(), channelReference: Bool = false, seed: UInt64 = 1
    ) throws {
        var sizes = sizes
        if channelReference { sizes.dit.inDim = sizes.dit.outDim + 20 }
        let backend = try CPUBackend(threads: 1)
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)

        let dit = try record(seed: seed ^ 0x1, backend: backend) { reader in _ = try WanDiT(config: sizes.dit, reader: &reader) }
        let vae = try record(seed: seed ^ 0x2, backend: backend) { reader in
            _ = try WanVAE.build(config: sizes.vae) { try reader.take($0, shape: $1) }
        }
        let whisper = try record(seed: seed ^ 0x3, backend: backend) { reader in
            _ = try WhisperEncoder.load(config: sizes.whisper, from: &reader)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let ditConfig = String(decoding: try encoder.encode(sizes.dit), as: UTF8.self)
        let vaeConfig = String(decoding: try encoder.encode(sizes.vae), as: UTF8.self)

        switch layout {
        case .humo, .comfy:
            let prefix = layout == .comfy ? "model.diffusion_model." : ""
            try save(dit, prefix: prefix, metadata: ["config": ditConfig],
                to: folder.appendingPathComponent(layout == .comfy ? "humo_1.7b_comfy.safetensors" : "humo.safetensors"))
            try save(vae, metadata: ["config": vaeConfig],
                to: folder.appendingPathComponent(layout == .comfy ? "wan_2.1_vae.safetensors" : "Wan2.1_VAE.safetensors"))
            let w = folder.appendingPathComponent("whisper")
            try fm.createDirectory(at: w, withIntermediateDirectories: true)
            try save(whisper, prefix: "model.encoder.", to: w.appendingPathComponent("model.safetensors"))
            try encoder.encode(sizes.whisper).write(to: w.appendingPathComponent("config.json"))
        case .diffusers:
            let t = folder.appendingPathComponent("transformer")
            try fm.createDirectory(at: t, withIntermediateDirectories: true)
            // Two shards and an index, as diffusers saves large transformers.
            let names = dit.map(\.name)
            let half = names.count / 2
            var map: [String: String] = [:]
            for (i, part) in [Array(dit[..<half]), Array(dit[half...])].enumerated() {
                let file = "diffusion_pytorch_model-0000\(i + 1)-of-00002.safetensors"
                try save(part, metadata: ["config": ditConfig], to: t.appendingPathComponent(file))
                for w in part { map[w.name] = file }
            }
            try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: String], "weight_map": map])
                .write(to: t.appendingPathComponent("diffusion_pytorch_model.safetensors.index.json"))
            let v = folder.appendingPathComponent("vae")
            try fm.createDirectory(at: v, withIntermediateDirectories: true)
            try save(vae, to: v.appendingPathComponent("diffusion_pytorch_model.safetensors"))
            try encoder.encode(sizes.vae).write(to: v.appendingPathComponent("config.json"))
            let a = folder.appendingPathComponent("audio_encoder")
            try fm.createDirectory(at: a, withIntermediateDirectories: true)
            try save(whisper, prefix: "model.encoder.", to: a.appendingPathComponent("model.safetensors"))
            try encoder.encode(sizes.whisper).write(to: a.appendingPathComponent("config.json"))
        }
        var context = SafetensorsWriter()
        var random = SplitMix64.humoFolder(seed: seed ^ 0x4)
        try context.add("context", shape: [4, sizes.dit.textDim], values: random.normal(4 * sizes.dit.textDim, std: 1))
        try context.write(to: folder.appendingPathComponent("text_context.safetensors"))
        try encoder.encode(sizes.settings).write(to: folder.appendingPathComponent("omniedit.json"))
    }

    /// Adds a random umT5 text encoder in Wan2.1's layout (`models_t5_umt5-xxl-enc-bf16.safetensors`, Wan's
    /// key names, 2 layers, d_model `dim` = the DiT's text_dim) and copies `tokenizer` (a SentencePiece
    /// model with at most `vocab` pieces) to `google/umt5-xxl/spiece.model`: a folder that encodes
    /// typed prompts. Without a tokenizer the folder has an encoder it cannot use (for tests of that message).
    public static func writeTextEncoder(
        into folder: URL, tokenizer: URL?, dim d: Int = Sizes().dit.textDim, vocab: Int = 1000, seed: UInt64 = 7
    ) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("google/umt5-xxl"), withIntermediateDirectories: true)
        var random = SplitMix64(seed: seed)
        var w = SafetensorsWriter()
        let (inner, ffn, buckets, heads) = (32, 48, 32, 2)
        func gain() -> [Float] { random.normal(d, std: 0.1).map { 1 + $0 } }
        try w.add("token_embedding.weight", shape: [vocab, d], values: random.normal(vocab * d, std: 1))
        for i in 0..<2 {
            let p = "blocks.\(i)"
            try w.add("\(p).norm1.weight", shape: [d], values: gain())
            for n in ["q", "k", "v"] {
                try w.add("\(p).attn.\(n).weight", shape: [inner, d], values: random.normal(inner * d, std: 0.15))
            }
            try w.add("\(p).attn.o.weight", shape: [d, inner], values: random.normal(inner * d, std: 0.15))
            try w.add(
                "\(p).pos_embedding.embedding.weight", shape: [buckets, heads], values: random.normal(buckets * heads, std: 0.5))
            try w.add("\(p).norm2.weight", shape: [d], values: gain())
            for n in ["gate.0", "fc1"] {
                try w.add("\(p).ffn.\(n).weight", shape: [ffn, d], values: random.normal(ffn * d, std: 0.15))
            }
            try w.add("\(p).ffn.fc2.weight", shape: [d, ffn], values: random.normal(ffn * d, std: 0.15))
        }
        try w.add("norm.weight", shape: [d], values: gain())
        try w.write(to: folder.appendingPathComponent("models_t5_umt5-xxl-enc-bf16.safetensors"))
        if let tokenizer {
            let target = folder.appendingPathComponent("google/umt5-xxl/spiece.model")
            try? fm.removeItem(at: target)
            try fm.copyItem(at: tokenizer, to: target)
        }
    }

    struct Weight {
        let name: String
        let shape: [Int]
        let values: [Float]
    }

    /// Every weight `build` asks for, in order, with seeded values (norm gains near 1, the rest small).
    static func record(
        seed: UInt64, backend: CPUBackend, _ build: (inout WeightReader) throws -> Void
    ) throws -> [Weight] {
        final class Log: @unchecked Sendable {
            var weights: [Weight] = []
            var random: SplitMix64
            init(seed: UInt64) { random = SplitMix64.humoFolder(seed: seed) }
        }
        let log = Log(seed: seed)
        var reader = try WeightReader(
            generating: { name, shape in
                let n = shape.reduce(1, *)
                let isGain = name.hasSuffix("norm.weight") || name.contains("norm_q.weight") || name.contains("norm_k.weight")
                    || name.contains("norm1_audio.weight") || name.hasSuffix("norm3.weight") || name.contains("_norm.weight")
                    || name.hasSuffix("gamma") || name.contains("layer_norm.weight") || name.hasSuffix(".layer.weight") && shape.count == 1
                var values = log.random.normal(n, std: isGain ? 0.05 : 0.08)
                if isGain { values = values.map { 1 + $0 } }
                log.weights.append(Weight(name: name, shape: shape, values: values))
                return try backend.upload(values, shape: shape, dtype: .f32)
            }, backend: backend)
        try build(&reader)
        return log.weights
    }

    static func save(_ weights: [Weight], prefix: String = "", metadata: [String: String] = [:], to url: URL) throws {
        var w = SafetensorsWriter()
        w.metadata = metadata
        for weight in weights { try w.add(prefix + weight.name, shape: weight.shape, values: weight.values) }
        try w.write(to: url)
    }
}

extension SplitMix64 {
    /// The stream these folders were first made with (seed offset by one SplitMix step), kept so that
    /// a folder of a given seed stays byte for byte the same.
    static func humoFolder(seed: UInt64) -> SplitMix64 { SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }
}
