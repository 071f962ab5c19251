// Pipeline — the parameters of an AV Edit render, one value shared by the plugin, `ofx-host` and
// `omniedit avedit`. Defaults are written once, here (omniedit-sampler.md §3: LTX-2 grid T 40, start 12,
// end 39, cfg 10); the plugin's parameter defaults read them. The parameters both effects share are
// `EditSettings` (Settings/EditSettings.swift).
import Foundation
import Sampler

/// Every user-facing parameter of an AV Edit render: the shared ones (`EditSettings`, reached by name:
/// `settings.steps`) with AV Edit's defaults, and the two prompts.
@dynamicMemberLookup
public struct AVEditSettings: Hashable, Sendable, EffectSettings {
    /// What the clip shows and sounds like now (c_src).
    public var sourcePrompt = ""
    /// What it should show and sound like (c_tgt).
    public var targetPrompt = ""
    public var shared = EditSettings(steps: 40, startStep: 12, endStep: 39, guidance: 10)

    public init() {}

    public subscript<T>(dynamicMember path: WritableKeyPath<EditSettings, T>) -> T {
        get { shared[keyPath: path] }
        set { shared[keyPath: path] = newValue }
    }

    /// Checks every range the sampler and the window plan rely on; the message names the parameter.
    public func validate() throws {
        for (name, text) in [("sourcePrompt", sourcePrompt), ("targetPrompt", targetPrompt)] {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw PipelineError.invalidParameter(
                    "'\(name)' is empty: AV Edit needs a source prompt (what the clip shows and sounds like) and a target prompt (what it should become).")
            }
            guard text.utf8.count <= 100_000 else { throw PipelineError.invalidParameter("'\(name)' is longer than 100,000 bytes.") }
        }
        try shared.validate(fewestSteps: 2, shortestWindow: 9)
    }

    /// Whether the two prompts ask for no change (the source is returned unchanged).
    public var promptsAreIdentical: Bool {
        sourcePrompt.trimmingCharacters(in: .whitespacesAndNewlines)
            == targetPrompt.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The sampler configuration of window `index` (the LTX-2 grid, initial noise not rescaled: §4 note).
    func samplerConfiguration(window index: Int) -> SamplerConfiguration {
        var c = SamplerConfiguration.avEdit(seed: shared.seed, window: UInt32(truncatingIfNeeded: index))
        c.grid = .ltx2(steps: shared.steps, mu: 2.05, terminal: 0.1)
        c.variant = shared.sampler
        c.start = shared.startStep
        c.end = shared.endStep
        c.cfg = shared.guidance
        c.stepCacheThreshold = shared.stepCacheThreshold
        return c
    }

    /// Sets one parameter by its script name (as the plugin and `--set name=value` spell it).
    public mutating func set(_ name: String, _ value: String) throws {
        if try shared.set(name, value) { return }
        switch name {
        case "sourcePrompt": sourcePrompt = value
        case "targetPrompt": targetPrompt = value
        default:
            let names = (["sourcePrompt", "targetPrompt"] + EditSettings.names).joined(separator: ", ")
            throw PipelineError.invalidParameter("unknown AV Edit parameter '\(name)' (\(names)).")
        }
    }

    /// A stable text of every field that changes a window's pixels or audio (for result-cache keys;
    /// unchanged since before the shared settings, so existing caches stay valid).
    var fingerprint: String {
        let s = shared
        return "steps=\(s.steps) start=\(s.startStep) end=\(s.endStep) cfg=\(s.guidance.bitPattern) seed=\(s.seed) "
            + "sampler=\(s.sampler.rawValue) preview=\(s.previewStep) offset=\(s.audioOffset.bitPattern) "
            + "composite=\(s.composite.rawValue)" + s.stepCacheFingerprint
    }
}
