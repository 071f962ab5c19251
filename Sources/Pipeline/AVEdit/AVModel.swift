// Pipeline — an LTX-2-family model folder loaded on a backend for AV Edit: the transformer, the text
// connectors, the video VAE, the audio VAE and the vocoder, plus what `omniedit.json` recommends. Loaded
// once per process per (folder, backend) and shared by every job and effect instance. The Gemma-3 text
// encoder is not kept: prompts go through `PromptEncoding` (cached on disk, encoder dropped after use).
import Foundation
import Media
import Models
import Sampler
import Tensor
import Text
import UserMessages

/// What an AV model folder recommends (`omniedit.json`, written by tools/train_av/export.py); every
/// field optional, defaults are LTX-2's own.
public struct AVModelSettings: Codable, Sendable, Hashable {
    /// The model's frame size: frames are resized to it and back.
    public var width = 768
    public var height = 512
    /// Frames per window when the user leaves 'Window length' at 0 (8k+1).
    public var windowLength = 121
    /// Prompt tokens after left padding (LTX-2: 1024; the built-in model: 32).
    public var textLength = 1024
    /// A short name for messages.
    public var name: String?
    /// The guidance the model is meant to run at (a small model may be overdriven by LTX-2's 10); the job
    /// says so when a render uses another.
    public var guidance: Double?

    enum CodingKeys: String, CodingKey {
        case family, width, height, fps, windowLength, sampleRate, textLength, paddingSide, steps, start, end, name
        case trainedSteps, guidance
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AVModelSettings()
        if let family = try c.decodeIfPresent(String.self, forKey: .family), family.lowercased() != "ltx2" {
            throw PipelineError.model("omniedit.json says family '\(family)'; AV Edit runs LTX-2 models")
        }
        if let side = try c.decodeIfPresent(String.self, forKey: .paddingSide), side != "left" {
            throw PipelineError.model("omniedit.json: paddingSide '\(side)'; LTX-2 pads prompts on the left")
        }
        width = try c.decodeIfPresent(Int.self, forKey: .width) ?? d.width
        height = try c.decodeIfPresent(Int.self, forKey: .height) ?? d.height
        windowLength = try c.decodeIfPresent(Int.self, forKey: .windowLength) ?? d.windowLength
        textLength = try c.decodeIfPresent(Int.self, forKey: .textLength) ?? d.textLength
        name = try c.decodeIfPresent(String.self, forKey: .name)
        guidance = try c.decodeIfPresent(Double.self, forKey: .guidance)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("ltx2", forKey: .family)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(windowLength, forKey: .windowLength)
        try c.encode(textLength, forKey: .textLength)
        try c.encode("left", forKey: .paddingSide)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(guidance, forKey: .guidance)
    }

    static func read(_ folder: URL) throws -> AVModelSettings {
        let file = folder.appendingPathComponent("omniedit.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return AVModelSettings() }
        do { return try JSONDecoder().decode(AVModelSettings.self, from: Data(contentsOf: file)) } catch {
            throw PipelineError.model("\(file.path): \(UserMessage.text(error))")
        }
    }

    func validate(unit: Int, temporal: Int) throws {
        guard (unit...8192).contains(width), (unit...8192).contains(height), width % unit == 0, height % unit == 0 else {
            throw PipelineError.model(
                "omniedit.json: width × height \(width)×\(height) must be multiples of \(unit) between \(unit) and 8192")
        }
        guard (temporal + 1...1025).contains(windowLength) else {
            throw PipelineError.model("omniedit.json: windowLength \(windowLength) must be between \(temporal + 1) and 1025")
        }
        if let guidance, !(guidance.isFinite && (0...100).contains(guidance)) {
            throw PipelineError.model("omniedit.json: guidance \(guidance) must be between 0 and 100")
        }
        guard (1...4096).contains(textLength) else {
            throw PipelineError.model("omniedit.json: textLength \(textLength) must be between 1 and 4096")
        }
    }
}

/// A loaded LTX-2-family model.
public final class AVModel: @unchecked Sendable {
    public let files: LTX2Folder
    public let settings: AVModelSettings
    public let transformer: LTX2Transformer
    public let connectors: LTX2TextConnectors
    public let videoVAE: LTX2VideoVAE
    public let audioVAE: LTX2AudioVAE
    public let vocoder: LTX2Vocoder
    public let backend: any Backend
    public let backendChoice: ComputeBackend
    public let backendName: String
    /// Names the weights (paths, sizes, modification times, inodes) and the backend.
    public let identity: String
    let fileList: [URL]
    /// Velocity evaluations made since loading (a cached re-render makes none).
    public private(set) var modelCalls = 0
    /// Seconds spent inside those evaluations.
    public private(set) var modelSeconds = 0.0
    /// One computation at a time per model (see `HuMoModel.computeLock`).
    let computeLock = NSLock()
    private let counterLock = NSLock()

    /// Mel frames per audio latent frame and the audio front end's rate and hop.
    public var audioCompression: Int { audioVAE.config.compression }
    public let mel = LogMelSettings.ltx2
    /// The rate of the edited audio (the vocoder's).
    public var outputSampleRate: Int { vocoder.config.outputSampleRate }

    /// The CPU's linear-layer arithmetic asked for (nil: `OMNIEDIT_CPU_PRECISION`, else f32), also for prompts.
    public let precision: ComputePrecision?

    init(folder: URL, choice: ComputeBackend, precision: ComputePrecision? = nil) throws {
        self.precision = precision
        let files: LTX2Folder
        do { files = try LTX2Folder(folder: folder) } catch {
            throw PipelineError.model(UserMessage.text(error))
        }
        self.files = files
        let settings = try AVModelSettings.read(folder)
        (backend, backendName) = try openBackend(for: choice.choice, precision: precision?.cpu)
        backendChoice = choice
        transformer = try LTX2Checkpoint.loadTransformer(files.transformer.url, on: backend).model
        connectors = try LTX2Checkpoint.loadConnectors(files.connectors.url, on: backend).model
        guard let audio = files.audioVAE else {
            throw PipelineError.model("Model folder '\(folder.path)' has no LTX-2 audio VAE (audio_vae/): AV Edit needs it.")
        }
        guard let voc = files.vocoder else {
            throw PipelineError.model("Model folder '\(folder.path)' has no LTX-2 vocoder (vocoder/): AV Edit needs it.")
        }
        audioVAE = try LTX2Checkpoint.loadAudioVAE(audio.url, on: backend)
        vocoder = try LTX2Checkpoint.loadVocoder(voc.url, on: backend)
        guard let video = files.videoVAE else {
            throw PipelineError.model("Model folder '\(folder.path)' has no LTX-2 video VAE (vae/): AV Edit needs it.")
        }
        videoVAE = try LTX2Checkpoint.loadVideoVAE(video.url, on: backend).model
        try settings.validate(unit: videoVAE.spatialCompression, temporal: videoVAE.temporalCompression)
        self.settings = settings
        try Self.checkShapes(
            transformer: transformer.config, connectors: connectors.config, video: videoVAE, audio: audioVAE.config,
            vocoder: vocoder.config, folder: folder)
        var list: [URL] = []
        for c in [files.transformer, files.connectors, audio, voc] {
            list += (try? Checkpoint.open(c.url))?.files.map { URL(fileURLWithPath: $0.path) } ?? [c.url]
            if let config = c.configFile { list.append(config) }
        }
        if let v = files.videoVAE {
            list += (try? Checkpoint.open(v.url))?.files.map { URL(fileURLWithPath: $0.path) } ?? [v.url]
            if let config = v.configFile { list.append(config) }
        }
        list.append(folder.appendingPathComponent("omniedit.json"))
        fileList = list
        identity = "ltx2-" + HuMoModel.identity(of: list, backend: backendName)
    }

    /// The components must fit each other: latent channels, caption width, mel bins.
    static func checkShapes(
        transformer t: LTX2TransformerConfig, connectors c: LTX2ConnectorsConfig, video: LTX2VideoVAE,
        audio a: LTX2AudioVAEConfig, vocoder v: LTX2VocoderConfig, folder: URL
    ) throws {
        var problems: [String] = []
        if video.latentChannels != t.inChannels || t.inChannels != t.outChannels {
            problems.append("video VAE latent channels \(video.latentChannels) vs transformer in/out \(t.inChannels)/\(t.outChannels)")
        }
        let packed = a.latentChannels * (a.melBins / a.compression)
        if packed != t.audioInChannels || t.audioInChannels != t.audioOutChannels {
            problems.append("audio VAE latents \(a.latentChannels)×\(a.melBins / a.compression) vs transformer audio in/out \(t.audioInChannels)/\(t.audioOutChannels)")
        }
        if c.captionChannels != t.captionChannels {
            problems.append("connector width \(c.captionChannels) vs transformer caption channels \(t.captionChannels)")
        }
        if a.outChannels * a.melBins != v.inChannels || a.melBins != LogMelSettings.ltx2.melCount {
            problems.append("audio VAE mel \(a.outChannels)×\(a.melBins) vs vocoder input \(v.inChannels) and the \(LogMelSettings.ltx2.melCount)-bin front end")
        }
        guard problems.isEmpty else {
            throw PipelineError.model("Model folder '\(folder.path)': the components do not fit: \(problems.joined(separator: "; ")).")
        }
    }

    func countCalls(_ n: Int, seconds: Double) {
        counterLock.withLock {
            modelCalls += n
            modelSeconds += seconds
        }
    }

    // MARK: Prompts

    /// The caption rows of `prompt`: Gemma-3's hidden states (cached on disk by `PromptEncoding`), left padded
    /// to the model's text length with a mask, through the connectors. `note` hears of a truncated prompt.
    func captions(for prompt: String, cache: CacheStore?, note: (String) -> Void) throws -> LTX2Captions {
        let encoded: EncodedPrompt
        do {
            encoded = try PromptEncoding.encode(
                folder: files.folder, prompt: prompt, backend: backendChoice, precision: precision, cache: cache
            ).prompt
        } catch let e as PipelineError {
            throw e
        } catch {
            throw PipelineError.model("The prompt cannot be encoded with the text encoder of '\(files.folder.path)': \(UserMessage.text(error))")
        }
        if let m = encoded.truncationMessage { note(m) }
        let c = connectors.config
        guard encoded.name == "hidden_states", encoded.shape.count == 3, encoded.shape[0] == c.layers,
            encoded.shape[2] == c.captionChannels
        else {
            throw PipelineError.model(
                "the text encoder of '\(files.folder.path)' gives \(encoded.name) \(encoded.shape); the connectors need [\(c.layers), L, \(c.captionChannels)] hidden states")
        }
        let (layers, count, width) = (encoded.shape[0], encoded.shape[1], encoded.shape[2])
        let length = settings.textLength
        let kept = min(count, length)
        // [layers, L, D] (real tokens, BOS first) → [length, D, layers], real tokens at the end (left padding).
        var padded = [Float](repeating: 0, count: length * width * layers)
        for j in 0..<kept {
            let row = length - kept + j
            for l in 0..<layers {
                let src = (l * count + j) * width
                for d in 0..<width { padded[(row * width + d) * layers + l] = encoded.values[src + d] }
            }
        }
        let mask = (0..<length).map { $0 >= length - kept }
        let hidden = try backend.upload(padded, shape: [length, width, layers], dtype: .f32)
        let (video, audio) = try connectors(hiddenStates: hidden, mask: mask, on: backend)
        return LTX2Captions(video: video, audio: audio)
    }

    // MARK: Process-wide store

    nonisolated(unsafe) private static var loaded: [String: AVModel] = [:]
    private static let storeLock = NSLock()

    /// The model in `folder` on `backend`, loaded once per process. A folder whose files changed is loaded again.
    /// `precision`: the CPU backend's linear-layer arithmetic (nil: `OMNIEDIT_CPU_PRECISION`, else f32).
    public static func shared(
        folder path: String, backend: ComputeBackend, precision: ComputePrecision? = nil
    ) throws -> AVModel {
        try storeLock.withLock {
            let folder = URL(fileURLWithPath: path)
            let name = "\(folder.standardizedFileURL.path)|\(backend)|\(precision.map { "\($0)" } ?? "default")"
            if let m = loaded[name], "ltx2-" + HuMoModel.identity(of: m.fileList, backend: m.backendName) == m.identity {
                return m
            }
            let m = try AVModel(folder: folder, choice: backend, precision: precision)
            loaded[name] = m
            return m
        }
    }
}
