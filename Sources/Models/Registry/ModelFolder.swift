import Foundation
import UserMessages

/// One checkpoint found in a model folder, recognised by its tensor names (never by its file name):
/// users bring the original layout (HuMo's shards, `Wan2.1_VAE`, a Whisper folder), ComfyUI repacks
/// (`model.diffusion_model.` prefixes, single files) and diffusers folders (`transformer/`, `vae/`,
/// sharded with an `*.index.json`).
public struct FolderComponent: Sendable, Hashable {
    /// What the tensors say the checkpoint is.
    public enum Kind: String, Sendable, CaseIterable {
        case wanDiT = "Wan/HuMo DiT"
        case wanVAE = "Wan VAE"
        case whisper = "Whisper encoder"
        case textContext = "text context"
        /// The LTX-2 transformer: a diffusers `transformer/` or the single-file checkpoint (which also
        /// holds the connectors, VAEs and vocoder).
        case ltx2Transformer = "LTX-2 transformer"
        case ltx2Connectors = "LTX-2 text connectors"
        case ltx2Vocoder = "LTX-2 vocoder"
        case ltx2AudioVAE = "LTX-2 audio VAE"
        case ltx2VideoVAE = "LTX-2 video VAE"
    }

    public let kind: Kind
    /// A `.safetensors` file or an `*.index.json`.
    public let url: URL
    /// The checkpoint's `config.json` when it sits alone in its own sub-folder (diffusers, transformers).
    public let configFile: URL?
    /// The HuMo audio path is present (DiT only).
    public let hasAudio: Bool
}

/// Why a model folder cannot be used; the message names the folder and the missing or conflicting part.
public struct ModelFolderError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// `.noInput` for a folder that is missing or unreadable, `.dataError` otherwise.
    public let exitStatus: ExitStatus
    public init(_ message: String, status: ExitStatus = .dataError) {
        self.message = message
        exitStatus = status
    }
    public var description: String { message }
}

/// The model registry: one row per family saying which components a folder needs and how each is
/// recognised. Loading itself stays with each family's checkpoint type.
public enum ModelFolder {
    /// Files looked at: the folder and its sub-folders down to this depth (diffusers: `transformer/`).
    static let maxDepth = 2
    /// A text-context file holds few tensors; anything larger is a model, not a context.
    static let maxContextTensors = 4

    /// Every recognised checkpoint in `folder`. Unrecognised safetensors are ignored (returned in
    /// `ignored`); a shard listed by an index is part of that index, not a checkpoint of its own.
    public static func scan(_ folder: URL) throws -> (components: [FolderComponent], ignored: [String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw ModelFolderError("Model folder '\(folder.path)' does not exist.", status: .noInput)
        }
        guard isDirectory.boolValue else { throw ModelFolderError("Model folder '\(folder.path)' is not a folder.") }
        var components: [FolderComponent] = []
        var ignored: [String] = []
        try visit(folder, depth: 0, into: &components, ignored: &ignored)
        return (components, ignored)
    }

    private static func visit(
        _ dir: URL, depth: Int, into components: inout [FolderComponent], ignored: inout [String]
    ) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() } catch {
            throw ModelFolderError("Model folder '\(dir.path)' cannot be read: \(UserMessage.reason(error))", status: .noInput)
        }
        let indexes = names.filter { $0.hasSuffix(".safetensors.index.json") }
        var sharded = Set<String>()
        var candidates: [URL] = []
        for index in indexes {
            let url = dir.appendingPathComponent(index)
            sharded.formUnion(try shardNames(of: url))
            candidates.append(url)
        }
        // PyTorch checkpoints too (HuMo-1.7B ships ema.pth, Wan2.1 its VAE as a .pth).
        candidates += names.filter {
            ($0.hasSuffix(".safetensors") || $0.hasSuffix(".pth") || $0.hasSuffix(".pt") || $0.hasSuffix(".ckpt"))
                && !sharded.contains($0)
        }.map { dir.appendingPathComponent($0) }
        // A sub-folder's config.json belongs to its checkpoint when the sub-folder holds exactly one.
        let ownConfig = dir.appendingPathComponent("config.json")
        let config = depth > 0 && candidates.count == 1 && FileManager.default.fileExists(atPath: ownConfig.path)
            ? ownConfig : nil
        for url in candidates {
            let checkpoint = try Checkpoint.open(url)
            if let kind = classify(checkpoint) {
                components.append(
                    FolderComponent(
                        kind: kind, url: url, configFile: config,
                        hasAudio: checkpoint.names.contains { $0.hasSuffix("audio_proj.audio_proj_glob_1.layer.bias") }))
            } else {
                ignored.append(url.path)
            }
        }
        guard depth < maxDepth else { return }
        for name in names where !name.hasPrefix(".") {
            let sub = dir.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: sub.path, isDirectory: &isDirectory), isDirectory.boolValue {
                try visit(sub, depth: depth + 1, into: &components, ignored: &ignored)
            }
        }
    }

    /// The shard file names an index lists (an index naming a missing shard fails later, when opened).
    private static func shardNames(of index: URL) throws -> Set<String> {
        guard let data = try? Data(contentsOf: index),
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let map = json["weight_map"] as? [String: String]
        else { throw ModelFolderError("'\(index.path)' is not a valid shard index (no weight_map).") }
        return Set(map.values)
    }

    /// What the tensor names say a checkpoint is, or nil.
    public static func classify(_ checkpoint: Checkpoint) -> FolderComponent.Kind? {
        let names = checkpoint.names
        if names.count <= maxContextTensors, names.contains("context") { return .textContext }
        // Before the VAE test: the single LTX-2 file also holds vae.encoder.* / vae.decoder.*.
        if LTX2Checkpoint.isTransformer(names) { return .ltx2Transformer }
        if LTX2Checkpoint.hasConnectors(names) { return .ltx2Connectors }
        if LTX2Checkpoint.hasVocoder(names) { return .ltx2Vocoder }
        // Before the audio VAE test: both have encoder.conv_in.conv, decoder.conv_out.conv, latents_mean.
        if LTX2Checkpoint.hasVideoVAE(names) { return .ltx2VideoVAE }
        if LTX2Checkpoint.hasAudioVAE(names) { return .ltx2AudioVAE }
        if names.contains(where: { $0.hasSuffix("embed_positions.weight") })
            && names.contains(where: { $0.hasSuffix("layers.0.self_attn.q_proj.weight") })
        {
            return .whisper
        }
        let dit = Set(names.map { KeyRules.wanDiT.apply($0) })
        if dit.contains("patch_embedding.weight") && dit.contains("blocks.0.self_attn.q.weight") { return .wanDiT }
        let hasEncoder = names.contains { $0.hasPrefix("encoder.") || $0.contains(".encoder.") }
        let hasDecoder = names.contains { $0.hasPrefix("decoder.") || $0.contains(".decoder.") }
        if hasEncoder && hasDecoder && names.contains(where: { $0.hasSuffix("conv1.weight") || $0.hasSuffix("quant_conv.weight") }) {
            return .wanVAE
        }
        return nil
    }
}

/// The files of a HuMo-family model folder (the registry's HuMo row): a HuMo DiT (Wan2.1 blocks with
/// the audio path), a Wan VAE, a Whisper encoder, and a precomputed text context unless prompts are
/// encoded by a umT5 encoder in the folder (the Pipeline checks that one; Models cannot read
/// tokenizers), plus an optional `omniedit.json` with the model's native size and recommended settings.
public struct HuMoFolder: Sendable, Hashable {
    public let folder: URL
    public let dit: FolderComponent
    public let vae: FolderComponent
    public let whisper: FolderComponent
    /// Nil when the folder has none: then every render needs a prompt and the folder's umT5 encoder.
    public let textContext: FolderComponent?
    /// `omniedit.json`, when present.
    public let settingsFile: URL?

    /// The registry row: what each component is and how a user recognises the file.
    public static let requirements: [(FolderComponent.Kind, String)] = [
        (.wanDiT, "a HuMo DiT (Wan2.1 blocks with audio_proj.*), e.g. HuMo-1.7B's weights or transformer/ in diffusers layout"),
        (.wanVAE, "the Wan2.1 VAE, e.g. Wan2.1_VAE.safetensors or vae/ in diffusers layout"),
        (.whisper, "a Whisper encoder, e.g. whisper-large-v3/ (model.safetensors + config.json)"),
    ]
    /// Optional when the folder holds the umT5 text encoder and its tokenizer and a prompt is given.
    public static let textContextRequirement = (
        FolderComponent.Kind.textContext,
        "a precomputed text context: a .safetensors file with one tensor 'context' [L, text_dim] "
            + "(umT5 encoder output of the prompt: `omniedit encode-text --model <folder with the umT5 encoder> --prompt … --output text_context.safetensors`)"
    )

    /// Finds every component in `folder` or throws a message naming what is missing or ambiguous.
    public init(folder: URL) throws {
        let (components, ignored) = try ModelFolder.scan(folder)
        func one(_ kind: FolderComponent.Kind, _ what: String, optional: Bool = false) throws -> FolderComponent? {
            var found = components.filter { $0.kind == kind }
            if kind == .wanDiT {
                let withAudio = found.filter(\.hasAudio)
                if found.count > 0 && withAudio.isEmpty {
                    throw ModelFolderError(
                        "Model folder '\(folder.path)' holds a Wan DiT without HuMo's audio path (no audio_proj.* tensors): "
                            + "it is another family. LipSync needs \(what).")
                }
                found = withAudio
            }
            guard let first = found.first else {
                if optional { return nil }
                let also = ignored.isEmpty ? "" : " (not recognised: \(ignored.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))"
                throw ModelFolderError("Model folder '\(folder.path)' has no \(kind.rawValue): it needs \(what).\(also)")
            }
            guard found.count == 1 else {
                throw ModelFolderError(
                    "Model folder '\(folder.path)' holds several \(kind.rawValue) checkpoints (\(found.map(\.url.path).joined(separator: ", "))); keep one.")
            }
            return first
        }
        let parts = try Self.requirements.map { try one($0.0, $0.1)! }
        self.folder = folder
        dit = parts[0]
        vae = parts[1]
        whisper = parts[2]
        textContext = try one(Self.textContextRequirement.0, Self.textContextRequirement.1, optional: true)
        let settings = folder.appendingPathComponent("omniedit.json")
        settingsFile = FileManager.default.fileExists(atPath: settings.path) ? settings : nil
    }

    /// Every file the model reads (shards included), for the model's identity.
    public var files: [URL] {
        var urls: [URL] = []
        for c in [dit, vae, whisper] + (textContext.map { [$0] } ?? []) {
            if let checkpoint = try? Checkpoint.open(c.url) {
                urls += checkpoint.files.map { URL(fileURLWithPath: $0.path) }
            } else {
                urls.append(c.url)
            }
            if let config = c.configFile { urls.append(config) }
        }
        if let settingsFile { urls.append(settingsFile) }
        return urls
    }
}

extension FolderComponent {
    /// The component's config: its own `config.json` (diffusers/transformers), else the checkpoint's
    /// `config` metadata (our exports, the goldens), else nil (the loader infers it from shapes).
    /// A config that is present but does not decode is an error naming the file.
    public func config<T: Decodable>(_ type: T.Type) throws -> T? {
        if let configFile {
            do { return try JSONDecoder().decode(T.self, from: Data(contentsOf: configFile)) } catch {
                throw ModelFolderError(UserMessage.text(error, file: configFile.path))
            }
        }
        if let json = try Checkpoint.open(url).metadata["config"], let data = json.data(using: .utf8) {
            do { return try JSONDecoder().decode(T.self, from: data) } catch {
                throw ModelFolderError("\(url.path): metadata 'config': \(UserMessage.text(error))")
            }
        }
        return nil
    }
}
