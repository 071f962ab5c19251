import ArgumentParser
import Foundation
import Models
import Tensor
import TensorCPU
import Text

/// `omniedit inspect PATH`: what a model file or folder holds: tensor count, dtypes, parameter
/// count, the detected family and variant, and (for a recognised family) the weights its loader
/// would miss and the tensors it would ignore. A pipeline folder (components in sub-folders, or
/// several components, or tokenizers) gets one row per component instead (`InspectFolder`).
/// Reads headers only; no weight is loaded.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Describe a model file or folder (family, variant, tensors, missing keys).")

    @Argument(help: "A .safetensors file, an *.index.json, or a folder.")
    var path: String

    @Option(help: "How many missing/unknown key names to list.")
    var list = 20

    @Option(help: "Drop this prefix from checkpoint names first (e.g. 'weights/' for the golden files).")
    var dropPrefix: String?

    func run() throws {
        let url = URL(fileURLWithPath: path)
        if InspectFolder.isDirectory(url), let rows = try InspectFolder.rows(url) {
            InspectFolder.print(rows, folder: path)
            return
        }
        let checkpoint = try Checkpoint.open(url)
        var dtypes: [String: Int] = [:]
        var parameters = 0
        var bytes = 0
        for name in checkpoint.names {
            let e = try checkpoint.locate(name).entry
            dtypes[e.dtype.rawValue, default: 0] += 1
            parameters += e.count
            bytes += e.end - e.begin
        }
        print("checkpoint: \(checkpoint.path)")
        print("files: \(checkpoint.files.count)")
        print("tensors: \(checkpoint.names.count)")
        print("dtypes: " + dtypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print(
            String(
                format: "parameters: %d (%.3f B), %.1f MiB", parameters, Double(parameters) / 1e9,
                Double(bytes) / 1_048_576))
        try describeFamily(checkpoint)
    }

    private func describeFamily(_ checkpoint: Checkpoint) throws {
        let cpu = try CPUBackend()
        let reader = try WeightReader(
            checkpoint: checkpoint,
            rules: KeyRules((dropPrefix.map { [.dropPrefix($0)] } ?? []) + KeyRules.wanDiT.rules),
            backend: cpu, shapesOnly: true)
        guard WanCheckpoint.isWanDiT(reader) else {
            switch ModelFolder.classify(checkpoint) {
            case .wanVAE:
                // Checked, not guessed: every weight the VAE of the inferred config needs is present and shaped.
                let config =
                    try checkpoint.metadata["config"].flatMap { try? JSONDecoder().decode(WanVAEConfig.self, from: Data($0.utf8)) }
                    ?? WanVAE.inferConfig(from: checkpoint)
                var vaeReader = try WeightReader(
                    checkpoint: checkpoint, rules: WanVAE.keyRules(for: checkpoint, config: config),
                    backend: cpu, shapesOnly: true)
                do {
                    _ = try WanVAE.load(config: config, from: &vaeReader)
                    print("family: Wan VAE (dim \(config.dim), z \(config.zDim), levels \(config.dimMult); every weight present)")
                } catch {
                    print("family: Wan VAE tensors, but not loadable as one: \(String(describing: error).prefix(400))")
                }
            case .whisper:
                let config = try WhisperEncoder.inferConfig(
                    from: try WeightReader(checkpoint: checkpoint, rules: .whisperEncoder, backend: cpu, shapesOnly: true))
                print("family: Whisper encoder (d_model \(config.dModel), \(config.layers) layers)")
            case .textContext:
                print("family: text context (tensor 'context')")
            case .ltx2Transformer, .ltx2Connectors, .ltx2Vocoder, .ltx2AudioVAE, .ltx2VideoVAE:
                try describeLTX2(checkpoint, list: list)
            case .wanDiT, nil:
                if let text = TextEncoderFolder.classify(checkpoint) {
                    print("family: " + InspectFolder.describeTextEncoder(text, URL(fileURLWithPath: checkpoint.path)))
                    try checkTextEncoder(text, checkpoint, cpu)
                } else {
                    print("family: unknown (not a Wan/HuMo DiT, Wan VAE, Whisper encoder, LTX-2 part, umT5 or Gemma-3 text encoder, or text context)")
                }
            }
            return
        }
        let config = try WanCheckpoint.config(reader)
        let description = WanCheckpoint.describe(config)
        print("family: \(description.family)")
        print("variant: \(description.variant)")
        print(
            "config: dim \(config.dim), \(config.numLayers) layers, \(config.numHeads) heads, ffn \(config.ffnDim), in \(config.inDim), out \(config.outDim), text \(config.textDim)"
                + (config.audio.map {
                    ", audio \($0.window)×\($0.groups)×\($0.channels) → \($0.tokensPerFrame)×\($0.tokenDim)"
                } ?? ""))
        var check = reader
        do {
            _ = try WanDiT(config: config, reader: &check)
            print("missing keys: none")
        } catch WeightsError.incompatible(_, let missing, let misshaped) {
            print("missing keys: \(missing.count)" + names(missing))
            if !misshaped.isEmpty { print("mis-shaped: \(misshaped.count)" + names(misshaped)) }
        }
        let unused = check.unusedKeys
        print("unknown keys (ignored): \(unused.count)" + names(unused))
    }

    /// Every weight the encoder of the checkpoint's config needs, present and shaped.
    private func checkTextEncoder(_ family: TextEncoderFolder.Family, _ checkpoint: Checkpoint, _ cpu: CPUBackend) throws {
        let rules: KeyRules = family == .umT5 ? .umT5Encoder : .gemma3Text
        var reader = try WeightReader(checkpoint: checkpoint, rules: rules, backend: cpu, shapesOnly: true)
        do {
            switch family {
            case .umT5: _ = try UMT5Encoder.load(config: try UMT5Encoder.inferConfig(from: reader), from: &reader)
            case .gemma3:
                let config = try InspectFolder.gemma3Config(beside: URL(fileURLWithPath: checkpoint.path))
                _ = try Gemma3TextModel.load(config: config, from: &reader, backend: cpu)
            }
            print("missing keys: none")
        } catch WeightsError.incompatible(_, let missing, let misshaped) {
            print("missing keys: \(missing.count)" + names(missing))
            if !misshaped.isEmpty { print("mis-shaped: \(misshaped.count)" + names(misshaped)) }
        }
    }

    private func names(_ keys: [String]) -> String {
        keys.isEmpty ? "" : "\n  " + keys.prefix(list).joined(separator: "\n  ") + (keys.count > list ? "\n  …" : "")
    }
}
