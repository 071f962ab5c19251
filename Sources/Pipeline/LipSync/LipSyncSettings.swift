// Pipeline — the parameters of a LipSync render, one value shared by the plugin, `ofx-host` and
// `omniedit lipsync`. Defaults are written once, here (the plugin's parameter defaults match them); the
// parameters both effects share are `EditSettings` (Settings/EditSettings.swift).
import Sampler
import UserMessages

/// Which frame gives the identity reference of a window.
public enum ReferenceMode: Hashable, Sendable {
    /// The first frame of each window (as the reference implementation).
    case firstFrameOfWindow
    /// One frame for the whole clip.
    case fixed(frame: Int)
}

/// Every user-facing parameter of a LipSync render: the shared ones (`EditSettings`, reached by name:
/// `settings.steps`) with LipSync's defaults (omniedit-sampler.md §3: T 20, start 6, end 16, cfg 4.5),
/// and LipSync's own.
@dynamicMemberLookup
public struct LipSyncSettings: Hashable, Sendable, EffectSettings {
    public var shared = EditSettings(steps: 20, startStep: 6, endStep: 16, guidance: 4.5)
    public var shift = 5.0
    public var reference = ReferenceMode.firstFrameOfWindow
    /// What the clip shows, encoded by the model folder's umT5 encoder; empty = the folder's stored
    /// text context (`text_context.safetensors`).
    public var prompt = ""

    /// A prompt longer than this (UTF-8 bytes) is refused: umT5 reads 512 tokens of it at most.
    public static let maxPromptBytes = 65_536

    public init() {}

    public subscript<T>(dynamicMember path: WritableKeyPath<EditSettings, T>) -> T {
        get { shared[keyPath: path] }
        set { shared[keyPath: path] = newValue }
    }

    /// Checks every range the sampler and the window plan rely on; the message names the parameter.
    public func validate() throws {
        try shared.validate(fewestSteps: 1, shortestWindow: 5)
        guard shift.isFinite, shift > 0, shift <= 100 else {
            throw PipelineError.invalidParameter("'shift' (\(shift)) must be a number in (0, 100].")
        }
        guard prompt.utf8.count <= Self.maxPromptBytes else {
            throw PipelineError.invalidParameter(
                "'prompt' is \(prompt.utf8.count) bytes long; at most \(Self.maxPromptBytes) are accepted (the text encoder reads its first 512 tokens).")
        }
    }

    /// The sampler configuration of window `index`.
    func samplerConfiguration(window index: Int) -> SamplerConfiguration {
        SamplerConfiguration(
            variant: shared.sampler, grid: .shifted(steps: shared.steps, shift: shift), start: shared.startStep,
            end: shared.endStep, cfg: shared.guidance, seed: shared.seed, window: UInt32(truncatingIfNeeded: index),
            rescaleInitialNoise: true, stepCacheThreshold: shared.stepCacheThreshold)
    }

    /// Sets one parameter by its script name (as the plugin and `--set name=value` spell it).
    public mutating func set(_ name: String, _ value: String) throws {
        if try shared.set(name, value) { return }
        switch name {
        case "shift": shift = try EditSettings.double(name, value)
        case "referenceFrame": reference = .fixed(frame: try EditSettings.int(name, value))
        case "prompt": prompt = value
        default:
            let names = (EditSettings.names + ["shift", "referenceFrame", "prompt"]).joined(separator: ", ")
            throw PipelineError.invalidParameter("unknown LipSync parameter '\(name)' (\(names)).")
        }
    }

    /// A stable text of every field that changes the pixels of a window (for result-cache keys; unchanged
    /// since before the shared settings, so existing caches stay valid).
    var fingerprint: String {
        let ref: String
        switch reference {
        case .firstFrameOfWindow: ref = "first"
        case .fixed(let f): ref = "fixed\(f)"
        }
        let s = shared
        return "steps=\(s.steps) start=\(s.startStep) end=\(s.endStep) cfg=\(s.guidance.bitPattern) shift=\(shift.bitPattern) "
            + "seed=\(s.seed) ref=\(ref) sampler=\(s.sampler.rawValue) preview=\(s.previewStep) offset=\(s.audioOffset.bitPattern) "
            + "composite=\(s.composite.rawValue)" + s.stepCacheFingerprint
    }
}

/// Why a job cannot run or stopped; `description` is the user-facing message.
public enum PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidParameter(String)
    case invalidInput(String)
    case model(String)
    /// The host or the user asked to stop; the steps reached so far are cached.
    case aborted

    public var description: String {
        switch self {
        case .invalidParameter(let m), .invalidInput(let m), .model(let m): m
        case .aborted: "the render was aborted; the steps already computed are cached and a new render resumes from them"
        }
    }
}

extension PipelineError: ExitStatusProviding {
    /// Parameters, inputs and models are the user's data; an abort is an interruption.
    public var exitStatus: ExitStatus { self == .aborted ? .interrupted : .dataError }
}

extension SamplerError: ExitStatusProviding {
    /// Configurations come from the user's parameters; the rest are failures of our own code.
    public var exitStatus: ExitStatus {
        if case .invalidConfiguration = self { return .dataError }
        return .software
    }
}
