// Pipeline — the parameters LipSync and AV Edit share (the sampler's grid length and edit range, guidance,
// seed, variant and step cache; the windows; the preview; the audio offset; the composite), with their
// ranges, their `--set` spelling and the messages, written once. Each effect's settings hold one, with
// that effect's defaults, and reach its fields by name (`settings.steps`).
import Sampler

/// How the edited window is put back over the source frames.
public enum CompositeMode: String, Sendable, Hashable, CaseIterable {
    /// Source frame + (decoded edit − decoded source), at the host's resolution: what the model did
    /// not change stays the source's own pixels (no VAE softening, no resize blur) — the default.
    case keepSourceDetail
    /// The decoded edit itself, resized to the host's resolution.
    case modelOutput
}

/// The sampler, window, preview, audio-offset and composite parameters of an edit.
public struct EditSettings: Hashable, Sendable {
    public var steps: Int
    public var startStep: Int
    public var endStep: Int
    public var guidance: Double
    public var seed: UInt64 = 0
    /// Frames per window (rounded down to the model's k·t+1); 0 = the model's recommendation.
    public var windowLength = 0
    public var windowOverlap = 8
    public var sampler = SamplerVariant.omniEdit
    /// 0 = the final result; k > 0 = the decoded clean estimate after step k.
    public var previewStep = 0
    /// Seconds into the audio that line up with the clip's first frame.
    public var audioOffset = 0.0
    public var composite = CompositeMode.keepSourceDetail
    /// Step caching (beyond the reference): skip a step's model calls when the clean estimate is predicted
    /// to change by less than this (relative L1) since the last real call. 0 = off.
    public var stepCacheThreshold = 0.0

    public init(steps: Int, startStep: Int, endStep: Int, guidance: Double) {
        (self.steps, self.startStep, self.endStep, self.guidance) = (steps, startStep, endStep, guidance)
    }

    /// The names `set` knows.
    static let names = [
        "steps", "startStep", "endStep", "guidance", "seed", "windowLength", "windowOverlap", "sampler", "previewStep",
        "audioOffset", "composite", "stepCacheThreshold",
    ]

    /// Checks every range the sampler and the window plan rely on; the message names the parameter.
    /// `fewestSteps` and `shortestWindow` are the effect's own limits.
    func validate(fewestSteps: Int, shortestWindow: Int) throws {
        func fail(_ m: String) -> PipelineError { .invalidParameter(m) }
        guard (fewestSteps...1000).contains(steps) else {
            throw fail("'steps' (\(steps)) must be between \(fewestSteps) and 1000.")
        }
        guard startStep >= 0, startStep < steps else {
            throw fail("'startStep' (\(startStep)) must be at least 0 and below 'steps' (\(steps)).")
        }
        guard endStep >= startStep, endStep < steps else {
            throw fail("'endStep' (\(endStep)) must be between 'startStep' (\(startStep)) and 'steps' − 1 (\(steps - 1)).")
        }
        guard guidance.isFinite, guidance >= 0, guidance <= 100 else {
            throw fail("'guidance' (\(guidance)) must be a number between 0 and 100.")
        }
        guard windowLength == 0 || (shortestWindow...1025).contains(windowLength) else {
            throw fail(
                "'windowLength' (\(windowLength)) must be 0 (the model's choice) or between \(shortestWindow) and 1025 frames.")
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
        guard stepCacheThreshold.isFinite, (0...StepCacheRule.maxThreshold).contains(stepCacheThreshold) else {
            throw fail("'stepCacheThreshold' (\(stepCacheThreshold)) must be between 0 (off) and \(StepCacheRule.maxThreshold).")
        }
    }

    /// Sets the parameter `name` from its text; false when `name` is not one of these.
    mutating func set(_ name: String, _ value: String) throws -> Bool {
        switch name {
        case "steps": steps = try Self.int(name, value)
        case "startStep": startStep = try Self.int(name, value)
        case "endStep": endStep = try Self.int(name, value)
        case "guidance": guidance = try Self.double(name, value)
        case "seed":
            guard let v = UInt64(value) else { throw PipelineError.invalidParameter("'seed' needs a whole number ≥ 0, got '\(value)'.") }
            seed = v
        case "windowLength": windowLength = try Self.int(name, value)
        case "windowOverlap": windowOverlap = try Self.int(name, value)
        case "sampler": sampler = try SamplerVariant(parameter: value)
        case "previewStep": previewStep = try Self.int(name, value)
        case "audioOffset": audioOffset = try Self.double(name, value)
        case "composite": composite = try CompositeMode(parameter: value)
        case "stepCacheThreshold": stepCacheThreshold = try Self.double(name, value)
        default: return false
        }
        return true
    }

    static func int(_ name: String, _ value: String) throws -> Int {
        guard let v = Int(value) else { throw PipelineError.invalidParameter("'\(name)' needs a whole number, got '\(value)'.") }
        return v
    }

    static func double(_ name: String, _ value: String) throws -> Double {
        guard let v = Double(value), v.isFinite else {
            throw PipelineError.invalidParameter("'\(name)' needs a finite number, got '\(value)'.")
        }
        return v
    }

    /// The step-cache part of a result key: empty when off, so results made before step caching stay valid.
    var stepCacheFingerprint: String {
        stepCacheThreshold > 0 ? " stepCache=\(stepCacheThreshold.bitPattern)" : ""
    }
}

/// An effect's settings: the shared `EditSettings` plus the effect's own parameters, set by name.
public protocol EffectSettings {
    mutating func set(_ name: String, _ value: String) throws
}

extension EffectSettings {
    /// Applies `name=value` assignments in order (`--set` on the command line).
    public mutating func set(assignments: [String]) throws {
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else { throw PipelineError.invalidParameter("'\(a)': expected name=value") }
            try set(String(a[..<eq]), String(a[a.index(after: eq)...]))
        }
    }
}

extension SamplerVariant {
    /// The plugin's menu index or the name, as `--set sampler=…` spells it.
    init(parameter value: String) throws {
        switch value {
        case "0", "OmniEdit", "omniEdit": self = .omniEdit
        case "1", "FlowEdit", "flowEdit": self = .flowEdit
        case "2", "omniEditRandomNoise": self = .omniEditRandomNoise
        default: throw PipelineError.invalidParameter("'sampler' is OmniEdit, FlowEdit or omniEditRandomNoise, got '\(value)'.")
        }
    }
}

extension CompositeMode {
    /// The plugin's menu index or the name.
    init(parameter value: String) throws {
        switch value {
        case "0", "keepSourceDetail": self = .keepSourceDetail
        case "1", "modelOutput": self = .modelOutput
        default: throw PipelineError.invalidParameter("'composite' is keepSourceDetail or modelOutput, got '\(value)'.")
        }
    }
}
