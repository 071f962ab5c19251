/// The sampler's state between steps: what the per-step cache stores (spec §6).
///
/// `step = k` means steps `start ..< k` have run and step `k` (σ_k → σ_{k+1}) runs next; `k == start` is the
/// initial state, `k == T` the finished one, whose `z` is the output (at σ_T = 0). Resuming from a state
/// is bit-identical to never having stopped: a step is a pure function of (state, configuration, inputs).
public struct StepState: Hashable, Sendable {
    /// The index of the next step to run.
    public let step: Int
    /// OmniEdit variants: the target state `Z` at `σ_step` (spec §4). FlowEdit: the edit sequence `E`
    /// (at σ = 0) until its first plain step has run, then the target state `Zt` at `σ_step` (spec §5).
    public let z: Latent
    /// OmniEdit variants: the noise `n` of the source sequence `S = (1-σ)·X0 + σ·n` at `σ_step`.
    /// FlowEdit: nil (its noise is fresh at every step and regenerated from the seed, spec §5).
    public let noise: Latent?
    /// Hash of everything that influenced this state (see ``SamplerConfiguration``'s key rules).
    public let cacheKey: CacheKey
    /// With step caching on, what the next steps may reuse (`StepCache.swift`); nil when it is off and
    /// at the initial state.
    public let reuse: StepCacheMemory?

    /// Recreates a state, e.g. read back from a cache; ``EditSampler`` checks its key and layout before
    /// resuming from it.
    public init(step: Int, z: Latent, noise: Latent?, cacheKey: CacheKey, reuse: StepCacheMemory? = nil) {
        self.step = step
        self.z = z
        self.noise = noise
        self.cacheKey = cacheKey
        self.reuse = reuse
    }
}

/// Where a run stands after a model call.
public struct SamplerProgress: Hashable, Sendable {
    /// Velocity evaluations done in this window, counting those a resumed state already represents.
    public let callsDone: Int
    /// Velocity evaluations of the whole window (``SamplerConfiguration/cost(fromStep:)``).
    public let callsTotal: Int
    /// The step of the state just reached.
    public let step: Int
}

/// The caller's hooks into a run; all optional.
public struct SamplerObserver {
    /// Called after each model call (one batch), with the calls done so far.
    public var progress: (SamplerProgress) -> Void
    /// Checked before each model call; returning true stops the run before that call.
    public var shouldAbort: () -> Bool
    /// Called with each state reached (the initial one included), e.g. to store it in the step cache.
    public var stateReached: (StepState) -> Void

    /// Creates an observer.
    public init(
        progress: @escaping (SamplerProgress) -> Void = { _ in }, shouldAbort: @escaping () -> Bool = { false },
        stateReached: @escaping (StepState) -> Void = { _ in }
    ) {
        self.progress = progress
        self.shouldAbort = shouldAbort
        self.stateReached = stateReached
    }
}

/// How a run ended.
public enum SamplerOutcome {
    /// All steps ran: `output` is the edited latent at σ = 0 (`finalState.z`).
    case completed(output: Latent, finalState: StepState)
    /// The abort hook fired: no output; `lastState` (nil if aborted before the initial call) resumes the run.
    case aborted(lastState: StepState?)

    /// The output, or nil when aborted.
    public var output: Latent? {
        if case .completed(let output, _) = self { return output }
        return nil
    }
}
