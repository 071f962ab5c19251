// Pipeline — the parameters of an AV Edit render, one value shared by the plugin, `ofx-host` and
// `omniedit avedit`. Defaults are written once, here (omniedit-sampler.md §3: LTX-2 grid T 40, start 12,
// end 39, cfg 10); the plugin's parameter defaults read them.
import Foundation
import Sampler

/// Every user-facing parameter of an AV Edit render.
public struct AVEditSettings: Hashable, Sendable {
    /// What the clip shows and sounds like now (c_src).
    public var sourcePrompt = ""
    /// What it should show and sound like (c_tgt).
    public var targetPrompt = ""
    public var steps = 40
    public var startStep = 12
    public var endStep = 39
    public var guidance = 10.0
    public var seed: UInt64 = 0
    /// Frames per window (rounded down to 8k+1); 0 = the model's recommendation (`omniedit.json`).
    public var windowLength = 0
    public var windowOverlap = 8
    public var sampler = SamplerVariant.omniEdit
    /// 0 = the final result; k > 0 = the decoded clean estimate after step k.
    public var previewStep = 0
    /// Seconds into the source audio that line up with the clip's first frame.
    public var audioOffset = 0.0
    public var composite = CompositeMode.keepSourceDetail
    /// Step caching, as LipSync's (`LipSyncSettings.stepCacheThreshold`); 0 = off.
    public var stepCacheThreshold = 0.0

    public init() {}

    /// Names of the parameters `set` knows, for messages.
    static let names =
        "sourcePrompt, targetPrompt, steps, startStep, endStep, guidance, seed, windowLength, windowOverlap, sampler, previewStep, audioOffset, composite, stepCacheThreshold"

    /// Checks every range the sampler and the window plan rely on; the message names the parameter.
    public func validate() throws {
        func fail(_ m: String) -> PipelineError { .invalidParameter(m) }
        for (name, text) in [("sourcePrompt", sourcePrompt), ("targetPrompt", targetPrompt)] {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail(
                    "'\(name)' is empty: AV Edit needs a source prompt (what the clip shows and sounds like) and a target prompt (what it should become).")
            }
            guard text.utf8.count <= 100_000 else { throw fail("'\(name)' is longer than 100,000 bytes.") }
        }
        guard (2...1000).contains(steps) else { throw fail("'steps' (\(steps)) must be between 2 and 1000.") }
        guard startStep >= 0, startStep < steps else {
            throw fail("'startStep' (\(startStep)) must be at least 0 and below 'steps' (\(steps)).")
        }
        guard endStep >= startStep, endStep < steps else {
            throw fail("'endStep' (\(endStep)) must be between 'startStep' (\(startStep)) and 'steps' − 1 (\(steps - 1)).")
        }
        guard guidance.isFinite, guidance >= 0, guidance <= 100 else {
            throw fail("'guidance' (\(guidance)) must be a number between 0 and 100.")
        }
        guard windowLength == 0 || (9...1025).contains(windowLength) else {
            throw fail("'windowLength' (\(windowLength)) must be 0 (the model's choice) or between 9 and 1025 frames.")
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
        try LipSyncSettings.validateStepCache(stepCacheThreshold)
    }

    /// Whether the two prompts ask for no change (the source is returned unchanged).
    public var promptsAreIdentical: Bool {
        sourcePrompt.trimmingCharacters(in: .whitespacesAndNewlines)
            == targetPrompt.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The sampler configuration of window `index` (the LTX-2 grid, initial noise not rescaled: §4 note).
    func samplerConfiguration(window index: Int) -> SamplerConfiguration {
        var c = SamplerConfiguration.avEdit(seed: seed, window: UInt32(truncatingIfNeeded: index))
        c.grid = .ltx2(steps: steps, mu: 2.05, terminal: 0.1)
        c.variant = sampler
        c.start = startStep
        c.end = endStep
        c.cfg = guidance
        c.stepCacheThreshold = stepCacheThreshold
        return c
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
        case "sourcePrompt": sourcePrompt = value
        case "targetPrompt": targetPrompt = value
        case "steps": steps = try int()
        case "startStep": startStep = try int()
        case "endStep": endStep = try int()
        case "guidance": guidance = try double()
        case "seed":
            guard let v = UInt64(value) else { throw PipelineError.invalidParameter("'seed' needs a whole number ≥ 0, got '\(value)'.") }
            seed = v
        case "windowLength": windowLength = try int()
        case "windowOverlap": windowOverlap = try int()
        case "previewStep": previewStep = try int()
        case "audioOffset": audioOffset = try double()
        case "sampler": sampler = try SamplerVariant(parameter: value)
        case "composite": composite = try CompositeMode(parameter: value)
        case "stepCacheThreshold": stepCacheThreshold = try double()
        default: throw PipelineError.invalidParameter("unknown AV Edit parameter '\(name)' (\(Self.names)).")
        }
    }

    /// Applies `name=value` assignments in order (`--set` on the command line).
    public mutating func set(assignments: [String]) throws {
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else { throw PipelineError.invalidParameter("'\(a)': expected name=value") }
            try set(String(a[..<eq]), String(a[a.index(after: eq)...]))
        }
    }

    /// A stable text of every field that changes a window's pixels or audio (for result-cache keys).
    var fingerprint: String {
        "steps=\(steps) start=\(startStep) end=\(endStep) cfg=\(guidance.bitPattern) seed=\(seed) "
            + "sampler=\(sampler.rawValue) preview=\(previewStep) offset=\(audioOffset.bitPattern) "
            + "composite=\(composite.rawValue)" + LipSyncSettings.stepCacheFingerprint(stepCacheThreshold)
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
