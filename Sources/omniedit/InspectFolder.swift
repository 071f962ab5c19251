import Foundation
import Models
import Tensor
import TensorCPU
import Text

/// `omniedit inspect` on a pipeline folder (a diffusers/transformers layout with one sub-folder per
/// component — LTX-2's transformer/ vae/ audio_vae/ vocoder/ connectors/ text_encoder/ tokenizer/ —
/// or a HuMo/Wan folder): one row per component naming its family and variant, from tensor names and
/// shapes only (the registry's classifiers; nothing is loaded).
enum InspectFolder {
    struct Row: Equatable {
        /// Relative to the inspected folder.
        var path: String
        var what: String
    }

    /// The rows, or nil when `folder` is one checkpoint (its shards and index, or a single file) that
    /// the single-checkpoint description covers better.
    static func rows(_ folder: URL) throws -> [Row]? {
        let (components, ignored) = try ModelFolder.scan(folder)
        var entries: [(url: URL, what: String, recognised: Bool)] = components.map {
            ($0.url, describe($0.kind, $0.url), true)
        }
        for path in ignored {
            let url = URL(fileURLWithPath: path)
            let text = (try? Checkpoint.open(url)).flatMap { TextEncoderFolder.classify($0) }
            entries.append((url, text.map { describeTextEncoder($0, url) } ?? "unknown weights (no family recognised)", text != nil))
        }
        let tokenizers = findTokenizers(folder, depth: 0)
        let top = folder.standardizedFileURL.path
        let inSubfolder = entries.contains { $0.url.deletingLastPathComponent().standardizedFileURL.path != top }
        let pipeline = inSubfolder || !tokenizers.isEmpty || (entries.count > 1 && entries.contains(where: \.recognised))
        guard pipeline else { return nil }
        func relative(_ url: URL) -> String {
            let p = url.standardizedFileURL.path
            return p.hasPrefix(top + "/") ? String(p.dropFirst(top.count + 1)) : p
        }
        let rows = entries.map { Row(path: relative($0.url), what: $0.what) }
            + tokenizers.map { Row(path: relative($0), what: describeTokenizer($0)) }
        return rows.sorted { $0.path < $1.path }
    }

    static func print(_ rows: [Row], folder: String) {
        Swift.print("folder: \(folder)")
        Swift.print("components: \(rows.count)")
        let width = min(rows.map(\.path.count).max() ?? 0, 60)
        for r in rows { Swift.print("  " + r.path.padding(toLength: max(width, r.path.count), withPad: " ", startingAt: 0) + "  " + r.what) }
    }

    private static func findTokenizers(_ dir: URL, depth: Int) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() else { return [] }
        var out = names.filter { ["tokenizer.model", "spiece.model", "tokenizer.json"].contains($0) }.map {
            dir.appendingPathComponent($0)
        }
        guard depth < 2 else { return out }
        for name in names where !name.hasPrefix(".") {
            let sub = dir.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: sub.path, isDirectory: &isDirectory), isDirectory.boolValue {
                out += findTokenizers(sub, depth: depth + 1)
            }
        }
        return out
    }

    private static func sizeNote(_ checkpoint: Checkpoint) -> String {
        let parameters = checkpoint.names.reduce(0) { $0 + ((try? checkpoint.locate($1).entry.count) ?? 0) }
        let count = parameters >= 1_000_000_000
            ? String(format: "%.2f B", Double(parameters) / 1e9) : String(format: "%.2f M", Double(parameters) / 1e6)
        return "\(checkpoint.names.count) tensors, \(count) parameters"
    }

    /// One line for a component the model registry recognised.
    static func describe(_ kind: FolderComponent.Kind, _ url: URL) -> String {
        do {
            let checkpoint = try Checkpoint.open(url)
            let cpu = try CPUBackend()
            let what: String
            switch kind {
            case .wanDiT:
                let reader = try WeightReader(checkpoint: checkpoint, rules: .wanDiT, backend: cpu, shapesOnly: true)
                let d = WanCheckpoint.describe(try WanCheckpoint.config(reader))
                what = "\(d.family) DiT — \(d.variant)"
            case .wanVAE:
                let c = try WanVAE.inferConfig(from: checkpoint)
                what = "Wan VAE (dim \(c.dim), z \(c.zDim))"
            case .whisper:
                let c = try WhisperEncoder.inferConfig(
                    from: try WeightReader(checkpoint: checkpoint, rules: .whisperEncoder, backend: cpu, shapesOnly: true))
                what = "Whisper encoder (d_model \(c.dModel), \(c.layers) layers)"
            case .textContext:
                let shape = (try? checkpoint.locate("context").entry.shape) ?? []
                what = "text context \(shape)"
            case .ltx2Transformer:
                let d = LTX2Checkpoint.describe(try LTX2Checkpoint.transformerConfig(checkpoint))
                what = "\(d.family) transformer — \(d.variant)"
            case .ltx2Connectors:
                let reader = try WeightReader(checkpoint: checkpoint, rules: .ltx2Connectors, backend: cpu, shapesOnly: true)
                let c = try LTX2Checkpoint.connectorsConfig(checkpoint, reader: reader)
                what = "LTX-2 text connectors (\(c.layers) encoder states × \(c.captionChannels))"
            case .ltx2Vocoder:
                let c = try LTX2Checkpoint.loadVocoder(url, on: cpu, shapesOnly: true).config
                what = "LTX-2 vocoder (\(c.inChannels) mel channels → \(c.outChannels) × \(c.outputSampleRate) Hz)"
            case .ltx2AudioVAE:
                let c = try LTX2Checkpoint.loadAudioVAE(url, on: cpu, shapesOnly: true).config
                what = "LTX-2 audio VAE (\(c.melBins) mel bins ↔ \(c.latentChannels) latent channels)"
            case .ltx2VideoVAE:
                let v = try LTX2Checkpoint.loadVideoVAE(url, on: cpu, shapesOnly: true).model
                what = "LTX-2 video VAE (\(v.config.latentChannels) latent channels, ×\(v.spatialCompression) in space, ×\(v.temporalCompression) in time)"
            }
            return "\(what); \(sizeNote(checkpoint))"
        } catch {
            return "\(kind.rawValue) (not describable: \(String(describing: error).prefix(200)))"
        }
    }

    /// One line for a umT5 or Gemma-3 text encoder.
    static func describeTextEncoder(_ family: TextEncoderFolder.Family, _ url: URL) -> String {
        do {
            let checkpoint = try Checkpoint.open(url)
            switch family {
            case .umT5:
                let reader = try WeightReader(checkpoint: checkpoint, rules: .umT5Encoder, backend: try CPUBackend(), shapesOnly: true)
                let c = try UMT5Encoder.inferConfig(from: reader)
                let variant = (c.dModel, c.layers) == (4096, 24) ? "umT5-XXL" : "custom"
                return "umT5 text encoder — \(variant) (d_model \(c.dModel), \(c.layers) layers, \(c.heads) heads, vocabulary \(c.vocabSize)); \(sizeNote(checkpoint))"
            case .gemma3:
                let c = try gemma3Config(beside: url)
                let variant: String
                switch (c.hiddenSize, c.layers) {
                case (640, 18): variant = "Gemma-3-270M"
                case (1152, 26): variant = "Gemma-3-1B"
                case (2560, 34): variant = "Gemma-3-4B"
                case (3840, 48): variant = "Gemma-3-12B"
                case (5376, 62): variant = "Gemma-3-27B"
                default: variant = "custom"
                }
                return "Gemma-3 text encoder — \(variant) (hidden \(c.hiddenSize), \(c.layers) layers, \(c.heads) heads / \(c.kvHeads) KV × \(c.headDim), window \(c.slidingWindow)); \(sizeNote(checkpoint))"
            }
        } catch {
            return "\(family.rawValue) text encoder (not describable: \(String(describing: error).prefix(200)))"
        }
    }

    /// `config.json` beside Gemma-3 weights (a composite config's `text_config` included).
    static func gemma3Config(beside url: URL) throws -> Gemma3Config {
        let folder = isDirectory(url) ? url : url.deletingLastPathComponent()
        let json = folder.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: json) else { throw TextError.invalidEncoder("no config.json beside \(url.path)") }
        return try Gemma3Config(json: data, path: json.path)
    }

    static func describeTokenizer(_ url: URL) -> String {
        do {
            if url.lastPathComponent == "tokenizer.json" {
                let t = try HFTokenizer(contentsOf: url)
                return "tokenizer (Hugging Face tokenizer.json, \(t.vocabularySize) pieces)"
            }
            let m = try SentencePieceModel(contentsOf: url)
            return "tokenizer (SentencePiece \(m.modelType), \(m.pieces.count) pieces\(m.byteFallback ? ", byte fallback" : ""))"
        } catch {
            return "tokenizer (not readable: \(String(describing: error).prefix(200)))"
        }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
    }
}
