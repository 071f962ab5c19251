// Open points of the spec (../shared/docs/omniedit-sampler.md), resolved here once for the whole module:
// - §4 `start`: the loop is `for i in start ..< T`, so `start` must be in 0..<T. `start ≥ T` would return
//   X0 after one model call; it is rejected by `validate()` instead of silently doing nothing.
// - §4 `end ≥ T-1`: every step from `start` on edits (AV Edit's default end = 39 with T = 40); `end` is
//   normalised to `min(end, T-1)` everywhere, including cache keys, so end = 39 and end = 99 share states.
//   The last edit step then goes to σ' = σ_T = 0: its fresh noise n' is drawn and stored but multiplies 0.
// - §4 `start > end`: no edit phase. OmniEdit builds Z at σ_start from the estimated noise and runs plain
//   Euler (an SDEdit from the estimated noise); FlowEdit re-noises at `start` (E = X0, so Zt = S) and runs
//   plain Euler (§5's "first plain step" is then `start`).
// - §4 initial call: on the clean source X0 under c_src at σ_{T-1}, the smallest nonzero σ of the grid
//   (0.20833 for HuMo's T = 20 shift 5, 0.1 for LTX-2's T = 40), whatever `start` is.
// - §4 note (AV Edit): the reference leaves AV Edit's initial noise unscaled. The spec exposes nothing to the
//   user for it; we still make it an explicit field, `rescaleInitialNoise`, that the Pipeline sets per
//   effect (true for LipSync, false for AV Edit, see `avEdit()`), rather than a hidden per-model rule.
// - §4 cfg: `cfg == 1` skips v(Z, c_src); any other finite value (0 and negatives included) makes both calls.
// - §5 random-noise variant: "as §4 but n' = ε" keeps §4's estimated initial noise and initial call; only
//   the per-step noise changes (fresh, neither mixed nor rescaled).
// - §5 FlowEdit: needs no initial call (E = X0), so it costs 3·edit + 2·plain calls; with no plain phase its
//   output is E; its per-step noise is never stored (regenerated from the seed), so its states carry n = nil.
// - §6 noise streams: ε of §4/§5 and FlowEdit's step noise and re-noising use distinct `NoiseStream`s, so
//   no two draws of a window share numbers; each part of a joint latent has its own noise and norm (§4).
// - Generated parts (beyond the spec's §4; AV Edit of a clip without sound): a part named in
//   `generatedParts` has no source. Its `X0` and its noise are one Gaussian realisation ε (stream
//   `.generatedStart`, step `start`), so it starts as `Z = ε` at σ_start, and every step denoises it by plain
//   guided Euler `Z ← Z + (σ'-σ)·vp`, edit step or not. It draws no per-step noise and keeps `n = ε`. The
//   source-branch call of an edit step sees the part's current `Z` (not ε): the source branch of the other
//   parts then differs from the target branch only by what the edit changes, not by a second, unrelated
//   version of the generated part. The other parts are sampled exactly as without it.

/// The sampling algorithm: OmniEdit or one of its baselines (spec §4, §5).
public enum SamplerVariant: String, Hashable, Sendable, CaseIterable {
    /// Spec §4: target-sequence iteration; initial noise estimated from the clean source, and at each edit
    /// step the noise predicted on the source branch mixed with fresh noise (weight σ) and rescaled.
    case omniEdit
    /// Spec §5: as ``omniEdit`` (same estimated initial noise) but each edit step's noise is fresh
    /// Gaussian `n' = ε`, neither mixed nor rescaled.
    case omniEditRandomNoise
    /// Spec §5: FlowEdit's edit-sequence iteration with fresh noise at every edit step and one re-noising
    /// at the first plain step. Needs no initial model call.
    case flowEdit

    /// Whether the run starts with the model call on the clean source that estimates `n` (spec §4).
    public var estimatesInitialNoise: Bool { self != .flowEdit }
}

/// Everything that parameterises one window's sampling run besides the inputs (spec §3).
public struct SamplerConfiguration: Hashable, Sendable {
    /// The algorithm.
    public var variant: SamplerVariant
    /// The σ grid (T and shift, or LTX-2's).
    public var grid: StepGrid
    /// First edit step: the run begins at `σ_start`. Must satisfy `0 ≤ start < T`.
    public var start: Int
    /// Last edit step. `end ≥ T-1` means every step from `start` on edits (AV Edit's `end = 39` for
    /// T = 40); `end < start` means no edit phase (only plain Euler steps after the initial state).
    /// Must be ≥ 0.
    public var end: Int
    /// Guidance scale: `vp = v_src + cfg·(v_tgt - v_src)`; `cfg == 1` skips the `v_src` call on Z.
    public var cfg: Double
    /// Seed of every noise draw (spec §6).
    public var seed: UInt64
    /// Index of the clip window; part of every noise key so windows get independent noise.
    public var window: UInt32
    /// Whether the initial noise estimate is rescaled to RMS 1 per part. Spec §4: true for LipSync; the
    /// reference leaves AV Edit's initial noise unscaled, so AV Edit passes false (per-step noises are
    /// rescaled either way).
    public var rescaleInitialNoise: Bool
    /// Step caching (beyond the reference, `StepCache.swift`): the largest predicted relative change of the
    /// clean estimates for which a step's model calls are skipped and answered from the last real call.
    /// 0 (default) = off: every call is made, bit-identical to a sampler without step caching.
    public var stepCacheThreshold: Double
    /// Parts of the latent with no source, generated for the target condition while the others are edited
    /// (the sound of a silent clip in AV Edit; see the comment at the top of this file). Empty by default.
    public var generatedParts: Set<String>

    /// Creates a configuration; defaults are LipSync's (spec §3).
    public init(
        variant: SamplerVariant = .omniEdit, grid: StepGrid = .humoDefault, start: Int = 6, end: Int = 16,
        cfg: Double = 4.5, seed: UInt64 = 0, window: UInt32 = 0, rescaleInitialNoise: Bool = true,
        stepCacheThreshold: Double = 0, generatedParts: Set<String> = []
    ) {
        self.variant = variant
        self.grid = grid
        self.start = start
        self.end = end
        self.cfg = cfg
        self.seed = seed
        self.window = window
        self.rescaleInitialNoise = rescaleInitialNoise
        self.stepCacheThreshold = stepCacheThreshold
        self.generatedParts = generatedParts
    }

    /// LipSync defaults (spec §3): HuMo grid T 20 shift 5, start 6, end 16, cfg 4.5.
    public static func lipSync(seed: UInt64 = 0, window: UInt32 = 0) -> SamplerConfiguration {
        SamplerConfiguration(seed: seed, window: window)
    }

    /// AV Edit defaults (spec §3, §4 "AV Edit"): LTX-2 grid T 40, start 12, end 39, cfg 10, initial noise
    /// not rescaled.
    public static func avEdit(seed: UInt64 = 0, window: UInt32 = 0) -> SamplerConfiguration {
        SamplerConfiguration(
            grid: .ltx2Default, start: 12, end: 39, cfg: 10, seed: seed, window: window, rescaleInitialNoise: false)
    }

    /// The number of steps T.
    public var steps: Int { grid.steps }

    /// The last edit step actually run: `min(end, T-1)`; below `start` when there is no edit phase.
    public var lastEditStep: Int { min(end, steps - 1) }

    /// Whether step `i` (σ_i → σ_{i+1}) is an edit step (`start ≤ i ≤ end`, spec §4 "if i <= end").
    public func isEditStep(_ i: Int) -> Bool { i >= start && i <= lastEditStep }

    /// The first plain step, where FlowEdit re-noises (spec §5); `T` when every step edits.
    public var firstPlainStep: Int { max(start, lastEditStep + 1) }

    /// Checks ranges the grid cannot check.
    /// - Throws: ``SamplerError/invalidConfiguration(_:)`` naming the parameter.
    public func validate() throws {
        _ = try grid.sigmas()
        let t = steps
        // Spec §4 loops `for i in start ..< T`; start ≥ T would run no step and return
        // Z = (1-σ_T)·X0 + σ_T·n = X0 after paying for the initial call: never a meaningful edit, so it is
        // rejected rather than silently returning the source.
        guard start >= 0, start < t else {
            throw SamplerError.invalidConfiguration("start \(start) must be in 0..<T (T = \(t))")
        }
        guard end >= 0 else { throw SamplerError.invalidConfiguration("end \(end) must be ≥ 0") }
        guard cfg.isFinite else { throw SamplerError.invalidConfiguration("cfg \(cfg) must be finite") }
        guard stepCacheThreshold.isFinite, (0...StepCacheRule.maxThreshold).contains(stepCacheThreshold) else {
            throw SamplerError.invalidConfiguration(
                "step cache threshold \(stepCacheThreshold) must be between 0 (off) and \(StepCacheRule.maxThreshold)")
        }
    }

    /// Model requests of step `i` (spec §4 cost): edit 3, plain 2; one fewer with cfg = 1.
    public func calls(ofStep i: Int) -> Int {
        (isEditStep(i) ? 2 : 1) + (cfg == 1 ? 0 : 1)
    }

    /// The cost of a whole window (or of its remainder from a state at `fromStep`). With step caching
    /// the real count can be lower (the skipped steps are known only while running).
    ///
    /// `calls` counts velocity evaluations, `batches` model invocations: spec §4,
    /// `1 + 3·edit + 2·plain` calls in `1 + edit + plain` batches for OmniEdit with cfg ≠ 1 (HuMo defaults:
    /// 40 calls, 15 batches); FlowEdit has no initial call.
    public func cost(fromStep: Int? = nil) -> (calls: Int, batches: Int) {
        let first = fromStep ?? start
        var calls = 0
        var batches = 0
        if fromStep == nil, variant.estimatesInitialNoise {
            calls += 1
            batches += 1
        }
        var i = max(first, start)
        while i < steps {
            calls += self.calls(ofStep: i)
            batches += 1
            i += 1
        }
        return (calls, batches)
    }

    /// Velocity evaluations already done when a run reaches the state at `step` (for progress).
    public func callsDone(atStep step: Int) -> Int {
        let total = cost().calls
        return total - cost(fromStep: step).calls
    }
}
