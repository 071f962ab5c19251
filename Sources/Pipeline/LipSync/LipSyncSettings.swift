// Pipeline — the parameters of a LipSync render, one value shared by the plugin, `ofx-host` and
// `omniedit lipsync`. Defaults are written once, here (the plugin's parameter defaults match them).
import Sampler
import UserMessages

/// How the edited window is put back over the source frames.
public enum CompositeMode: String, Sendable, Hashable, CaseIterable {
    /// Source frame + (decoded edit − decoded source), at the host's resolution: what the model did
    /// not change stays the source's own pixels (no VAE softening, no resize blur) — the default.
    case keepSourceDetail
    /// The decoded edit itself, resized to the host's resolution.
    case modelOutput
}

/// Which frame gives the identity reference of a window.
public enum ReferenceMode: Hashable, Sendable {
    /// The first frame of each window (as the reference implementation).
    case firstFrameOfWindow
    /// One frame for the whole clip.
    case fixed(frame: Int)
}

/// Every user-facing parameter of a LipSync render.
public struct LipSyncSettings: Hashable, Sendable {
    public var steps = 20
    public var startStep = 6
    public var endStep = 16
    public var guidance = 4.5
    public var shift = 5.0
    public var seed: UInt64 = 0
    /// Frames per window (rounded down to 4k+1); 0 = the model's recommendation (`omniedit.json`, else 97).
    public var windowLength = 0
    public var windowOverlap = 8
    public var reference = ReferenceMode.firstFrameOfWindow
    public var sampler = SamplerVariant.omniEdit
    /// 0 = the final result; k > 0 = the decoded clean estimate after step k.
    public var previewStep = 0
    /// Seconds into the target audio that line up with the clip's first frame.
    public var audioOffset = 0.0
    public var composite = CompositeMode.keepSourceDetail
    /// What the clip shows, encoded by the model folder's umT5 encoder; empty = the folder's stored
    /// text context (`text_context.safetensors`).
    public var prompt = ""
    /// Step caching (beyond the reference): skip a step's model calls when the clean estimate is predicted
    /// to change by less than this (relative L1) since the last real call. 0 = off.
    public var stepCacheThreshold = 0.0

    /// A prompt longer than this (UTF-8 bytes) is refused: umT5 reads 512 tokens of it at most.
    public static let maxPromptBytes = 65_536

    public init() {}

    /// Checks every range the sampler and the window plan rely on; the message names the parameter.
    public func validate() throws {
        func fail(_ m: String) -> PipelineError { .invalidParameter(m) }
        guard (1...1000).contains(steps) else { throw fail("'steps' (\(steps)) must be between 1 and 1000.") }
        guard startStep >= 0, startStep < steps else {
            throw fail("'startStep' (\(startStep)) must be at least 0 and below 'steps' (\(steps)).")
        }
        guard endStep >= startStep, endStep < steps else {
            throw fail("'endStep' (\(endStep)) must be between 'startStep' (\(startStep)) and 'steps' − 1 (\(steps - 1)).")
        }
        guard guidance.isFinite, guidance >= 0, guidance <= 100 else {
            throw fail("'guidance' (\(guidance)) must be a number between 0 and 100.")
        }
        guard shift.isFinite, shift > 0, shift <= 100 else { throw fail("'shift' (\(shift)) must be a number in (0, 100].") }
        guard windowLength == 0 || (5...1025).contains(windowLength) else {
            throw fail("'windowLength' (\(windowLength)) must be 0 (the model's choice) or between 5 and 1025 frames.")
        }
        guard windowOverlap >= 0, windowOverlap <= 1024 else {
            throw fail("'windowOverlap' (\(windowOverlap)) must be between 0 and 1024 frames.")
        }
        guard previewStep >= 0, previewStep <= steps else {
            throw fail("'previewStep' (\(previewStep)) must be between 0 and 'steps' (\(steps)).")
        }
        guard audioOffset.isFinite, abs(audioOffset) <= 86_400 else {
            throw fail("'audioOffset' (\(audioOffset)) must be a number of seconds within a day.")
        }
        try Self.validateStepCache(stepCacheThreshold)
        guard prompt.utf8.count <= Self.maxPromptBytes else {
            throw fail("'prompt' is \(prompt.utf8.count) bytes long; at most \(Self.maxPromptBytes) are accepted (the text encoder reads its first 512 tokens).")
        }
    }

    /// The sampler configuration of window `index`.
    func samplerConfiguration(window index: Int) -> SamplerConfiguration {
        SamplerConfiguration(
            variant: sampler, grid: .shifted(steps: steps, shift: shift), start: startStep, end: endStep,
            cfg: guidance, seed: seed, window: UInt32(truncatingIfNeeded: index), rescaleInitialNoise: true,
            stepCacheThreshold: stepCacheThreshold)
    }

    /// Sets one parameter by its script name (as the plugin and `--set name=value` spell it).
    public mutating func set(_ name: String, _ value: String) throws {
        func int() throws -> Int {
            guard let v = Int(value) else { throw PipelineError.invalidParameter("'\(name)' needs a whole number, got '\(value)'.") }
            return v
        }
        func double() throws -> Double {
            guard let v = Double(value), v.isFinite else {
                throw PipelineError.invalidParameter("'\(name)' needs a finite number, got '\(value)'.")
            }
            return v
        }
        switch name {
        case "steps": steps = try int()
        case "startStep": startStep = try int()
        case "endStep": endStep = try int()
        case "guidance": guidance = try double()
        case "shift": shift = try double()
        case "seed":
            guard let v = UInt64(value) else { throw PipelineError.invalidParameter("'seed' needs a whole number ≥ 0, got '\(value)'.") }
            seed = v
        case "windowLength": windowLength = try int()
        case "windowOverlap": windowOverlap = try int()
        case "referenceFrame": reference = .fixed(frame: try int())
        case "previewStep": previewStep = try int()
        case "audioOffset": audioOffset = try double()
        case "prompt": prompt = value
        case "sampler": sampler = try SamplerVariant(parameter: value)
        case "composite": composite = try CompositeMode(parameter: value)
        case "stepCacheThreshold": stepCacheThreshold = try double()
        default:
            throw PipelineError.invalidParameter(
                "unknown LipSync parameter '\(name)' (steps, startStep, endStep, guidance, shift, seed, windowLength, windowOverlap, referenceFrame, previewStep, audioOffset, sampler, composite, prompt, stepCacheThreshold).")
        }
    }

    /// Applies `name=value` assignments in order (`--set` on the command line).
    public mutating func set(assignments: [String]) throws {
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else { throw PipelineError.invalidParameter("'\(a)': expected name=value") }
            try set(String(a[..<eq]), String(a[a.index(after: eq)...]))
        }
    }

    /// A stable text of every field that changes the pixels of a window (for result-cache keys).
    var fingerprint: String {
        let ref: String
        switch reference {
        case .firstFrameOfWindow: ref = "first"
        case .fixed(let f): ref = "fixed\(f)"
        }
        return "steps=\(steps) start=\(startStep) end=\(endStep) cfg=\(guidance.bitPattern) shift=\(shift.bitPattern) "
            + "seed=\(seed) ref=\(ref) sampler=\(sampler.rawValue) preview=\(previewStep) offset=\(audioOffset.bitPattern) "
            + "composite=\(composite.rawValue)" + Self.stepCacheFingerprint(stepCacheThreshold)
    }

    /// The range check of the 'stepCacheThreshold' parameter (both effects).
    static func validateStepCache(_ threshold: Double) throws {
        guard threshold.isFinite, (0...StepCacheRule.maxThreshold).contains(threshold) else {
            throw PipelineError.invalidParameter(
                "'stepCacheThreshold' (\(threshold)) must be between 0 (off) and \(StepCacheRule.maxThreshold).")
        }
    }

    /// The step-cache part of a result key: empty when off, so results made before step caching stay valid.
    static func stepCacheFingerprint(_ threshold: Double) -> String {
        threshold > 0 ? " stepCache=\(threshold.bitPattern)" : ""
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
