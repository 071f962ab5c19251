// Pipeline — a HuMo-family model folder loaded on a backend: the DiT, the Wan VAE, the Whisper
// encoder, the text context and the model's own settings. Loaded once per process per (folder,
// backend) and shared by every job and effect instance (weights are the heavy state).
import Foundation
import Models
import Sampler
import Tensor
import TensorCPU
import TensorVulkan
import Text
import UserMessages

/// What a model folder recommends (`omniedit.json`); every field optional, defaults are HuMo's.
public struct ModelSettings: Codable, Sendable, Hashable {
    /// The model's native frame size: frames are resized to it and back.
    public var width = 832
    public var height = 480
    /// Frames per window when the user leaves 'Window length' at 0.
    public var windowLength = 97
    /// A short name for messages and the model card.
    public var name: String?

    enum CodingKeys: String, CodingKey { case width, height, windowLength, name, family, fps, sampleRate }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelSettings()
        width = try c.decodeIfPresent(Int.self, forKey: .width) ?? d.width
        height = try c.decodeIfPresent(Int.self, forKey: .height) ?? d.height
        windowLength = try c.decodeIfPresent(Int.self, forKey: .windowLength) ?? d.windowLength
        name = try c.decodeIfPresent(String.self, forKey: .name)
        if let family = try c.decodeIfPresent(String.self, forKey: .family), family.lowercased() != "humo" {
            throw PipelineError.model("omniedit.json says family '\(family)'; LipSync runs HuMo models")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(windowLength, forKey: .windowLength)
        try c.encodeIfPresent(name, forKey: .name)
    }

    /// What a model folder's `omniedit.json` says (HuMo's defaults without one), without loading the
    /// model: what a chunk plan needs when 'Window length' is 0.
    public static func recommended(by folder: URL) throws -> ModelSettings {
        let file = folder.appendingPathComponent("omniedit.json")
        return try read(FileManager.default.fileExists(atPath: file.path) ? file : nil)
    }

    static func read(_ file: URL?) throws -> ModelSettings {
        guard let file else { return ModelSettings() }
        do { return try JSONDecoder().decode(ModelSettings.self, from: Data(contentsOf: file)) } catch {
            throw PipelineError.model("\(file.path): \(error)")
        }
    }

    func validate(vaeStride: Int, patch: Int) throws {
        let unit = vaeStride * patch
        guard (unit...8192).contains(width), (unit...8192).contains(height), width % unit == 0, height % unit == 0 else {
            throw PipelineError.model(
                "omniedit.json: width × height \(width)×\(height) must be multiples of \(unit) between \(unit) and 8192")
        }
        guard (5...1025).contains(windowLength) else {
            throw PipelineError.model("omniedit.json: windowLength \(windowLength) must be between 5 and 1025")
        }
    }
}

/// The user's compute choice (the effects' 'Compute backend' menu, in its order).
public enum ComputeBackend: Int, Sendable, CaseIterable {
    case auto, vulkan, cpu

    var choice: BackendChoice {
        switch self {
        case .auto: .auto
        case .vulkan: .vulkan
        case .cpu: .cpu
        }
    }

    /// The command-line spelling: `auto`, `vulkan` or `cpu`.
    public init?(name: String) {
        guard let b = ["auto": ComputeBackend.auto, "vulkan": .vulkan, "cpu": .cpu][name] else { return nil }
        self = b
    }

}

/// The user's choice of CPU arithmetic for linear layers (the effects' 'CPU precision' menu, in its order).
public enum ComputePrecision: Int, Sendable, CaseIterable {
    /// Every product in f32: the reference numbers.
    case f32
    /// bf16 operands, f32 sums (AVX512_BF16 CPUs; about 1.4× faster DiT steps, ~1e-2 relative error).
    case bf16
    /// bf16 only for weights stored in bf16 (they lose nothing; only activations are rounded).
    case auto

    var cpu: CPUPrecision {
        switch self {
        case .f32: .f32
        case .bf16: .bf16
        case .auto: .auto
        }
    }

    /// The command-line spelling: `f32`, `bf16` or `auto`.
    public init?(name: String) {
        guard let p = ["f32": ComputePrecision.f32, "bf16": .bf16, "auto": .auto][name] else { return nil }
        self = p
    }
}

/// The backend `choice` gives on this machine (Vulkan when asked and present, else the CPU), and its
/// name for logs and cache keys. `precision` is the CPU's linear-layer arithmetic (nil:
/// `OMNIEDIT_CPU_PRECISION`, else f32); Vulkan ignores it.
func openBackend(for choice: BackendChoice, precision: CPUPrecision? = nil) throws -> (backend: any Backend, name: String) {
    switch try VulkanBackend.open(for: choice) {
    case .vulkan(let v): return (v, "Vulkan")
    case .cpu:
        let cpu = try CPUBackend(precision: precision)
        // The name is part of every cache key: bf16 results must never be served as f32 ones.
        return (cpu, cpu.precision == .f32 || !cpu.bf16Kernel ? "CPU" : "CPU (linear \(cpu.precision.rawValue))")
    }
}

/// A loaded HuMo-family model.
public final class HuMoModel: @unchecked Sendable {
    public let files: HuMoFolder
    public let settings: ModelSettings
    public let dit: WanDiT
    public let vae: WanVAE
    public let whisper: WhisperEncoder
    /// The precomputed text context `[L, textDim]`; nil when the folder has none (then it holds the
    /// umT5 encoder, checked at load, and every render needs a prompt).
    public let context: Tensor?
    public let backend: any Backend
    /// "CPU" or the Vulkan device, for messages.
    public let backendName: String
    /// Names the weights (paths, sizes, modification times, inodes) and the backend: cache keys of
    /// different models or backends never meet.
    public let identity: String
    /// Every file the model read (shards included), listed once at load: re-checking the identity on
    /// each render stats these instead of rescanning the folder and reparsing every checkpoint header.
    let fileList: [URL]
    /// Velocity evaluations made since loading (diagnostics and tests: a cached re-render makes none).
    public private(set) var modelCalls = 0
    /// Seconds spent inside those evaluations (benchmarks: the sampler's own overhead is the rest).
    public private(set) var modelSeconds = 0.0
    /// Encoded speech by audio content (see `AudioConditioning`), a few tracks at most.
    let audioFeatureMemo = MemoryLRU<Tensor>(budgetBytes: 256 << 20)
    /// One computation at a time per model: a backend's scratch buffers are not shared safely, and
    /// two renders on the same cores only slow each other down.
    let computeLock = NSLock()
    /// The folder's umT5 encoder once a prompt has needed it (read and written under `computeLock`).
    var foundTextEncoder: TextEncoderFolder?
    private let counterLock = NSLock()
    /// Reference layout: HuMo-17B concatenates `[mask ‖ conditioning]` channels; the 1.7B replaces the last frame.
    public var usesChannelReference: Bool { dit.config.inDim == dit.config.outDim + 20 }

    init(folder: URL, choice: BackendChoice, precision: CPUPrecision? = nil) throws {
        files = try HuMoFolder(folder: folder)
        let settings = try ModelSettings.read(files.settingsFile)
        (backend, backendName) = try openBackend(for: choice, precision: precision)
        let (dit, _) = try WanCheckpoint.load(files.dit.url, on: backend, config: try files.dit.config(WanConfig.self))
        guard dit.config.audio != nil else {
            throw PipelineError.model("\(files.dit.url.path): the DiT has no HuMo audio path")
        }
        guard dit.config.inDim == dit.config.outDim || dit.config.inDim == dit.config.outDim + 20 else {
            throw PipelineError.model(
                "\(files.dit.url.path): in_dim \(dit.config.inDim) is neither \(dit.config.outDim) (HuMo-1.7B layout) nor \(dit.config.outDim + 20) (HuMo-17B layout)")
        }
        self.dit = dit
        vae = try WanVAE.load(checkpoint: files.vae.url, config: try files.vae.config(WanVAEConfig.self), backend: backend)
        guard vae.config.zDim == dit.config.outDim else {
            throw PipelineError.model("the VAE's z_dim \(vae.config.zDim) differs from the DiT's out_dim \(dit.config.outDim)")
        }
        whisper = try WhisperEncoder.load(
            checkpoint: files.whisper.url, config: try files.whisper.config(WhisperEncoderConfig.self), backend: backend)
        if let audio = dit.config.audio {
            guard audio.channels == whisper.config.dModel, audio.groups == HuMoAudioFeatures.groups,
                audio.window == HuMoAudioFeatures.windowLength,
                HuMoAudioFeatures.groupSize(stateCount: whisper.config.layers + 1) != nil
            else {
                throw PipelineError.model(
                    "the DiT's audio path (window \(audio.window), groups \(audio.groups), channels \(audio.channels)) does not fit the Whisper encoder (d_model \(whisper.config.dModel), \(whisper.config.layers) layers; HuMo needs 8 × 5 groups of d_model and 4g layers)")
            }
        }
        if let stored = files.textContext {
            let context = try Checkpoint.open(stored.url).tensor("context", on: backend)
            guard context.rank == 2, context.shape[1] == dit.config.textDim, context.shape[0] >= 1,
                context.shape[0] <= dit.config.textLen
            else {
                throw PipelineError.model(
                    "\(stored.url.path): 'context' is \(context.shape); the DiT needs [L ≤ \(dit.config.textLen), \(dit.config.textDim)]")
            }
            self.context = try backend.cast(context, to: .f32)
        } else {
            try Self.checkPromptsCanBeEncoded(in: folder)
            self.context = nil
        }
        try settings.validate(vaeStride: vae.config.stride.h, patch: dit.config.patchSize[1])
        self.settings = settings
        fileList = files.files
        identity = Self.identity(of: fileList, backend: backendName)
    }

    static func identity(of files: [URL], backend: String) -> String {
        var sha = SHA256()
        for url in files.sorted(by: { $0.path < $1.path }) {
            var st = stat()
            let facts = stat(url.path, &st) == 0 ? "\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ino)" : "missing"
            sha.update(data: Array("\(url.standardizedFileURL.path) \(facts)\n".utf8))
        }
        sha.update(data: Array("backend \(backend)".utf8))
        return "humo:" + sha.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    func countCalls(_ n: Int, seconds: Double) {
        counterLock.lock()
        modelCalls += n
        modelSeconds += seconds
        counterLock.unlock()
    }

    // MARK: Process-wide store

    nonisolated(unsafe) private static var loaded: [String: HuMoModel] = [:]
    private static let storeLock = NSLock()

    /// The model in `folder` on `backend`, loaded once per process. A folder whose files changed is loaded again.
    /// A non-empty `prompt` is encoded first when the model must be loaded (into `cache` and memory, for
    /// `textContext(prompt:cache:)`): the encoder runs and is released before the DiT takes its memory.
    /// `precision`: the CPU backend's linear-layer arithmetic (nil: `OMNIEDIT_CPU_PRECISION`, else f32).
    public static func shared(
        folder path: String, backend: ComputeBackend, precision: ComputePrecision? = nil, prompt: String = "",
        cache: CacheStore? = nil
    ) throws -> HuMoModel {
        storeLock.lock()
        defer { storeLock.unlock() }
        let folder = URL(fileURLWithPath: path)
        let choice = backend.choice
        let name = "\(folder.standardizedFileURL.path)|\(choice)|\(precision.map { "\($0)" } ?? "default")"
        if let m = loaded[name], identity(of: m.fileList, backend: m.backendName) == m.identity {
            return m
        }
        if !usesStoredContext(prompt) {
            let (encoderBackend, encoderBackendName) = try openBackend(for: choice, precision: precision?.cpu)
            _ = try PromptEncoding.encode(
                files: try textEncoder(in: folder), prompt: prompt, backend: encoderBackend, backendName: encoderBackendName,
                cache: cache)
        }
        let m = try HuMoModel(folder: folder, choice: choice, precision: precision?.cpu)
        loaded[name] = m
        return m
    }
}
