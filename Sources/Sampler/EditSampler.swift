/// Samples one window: OmniEdit (spec §4) or a baseline (spec §5) over a ``VelocityModel``.
///
/// ```swift
/// let sampler = try EditSampler(configuration: .lipSync(seed: 7, window: w), inputs: inputs)
/// switch try sampler.run(model: model, resumingFrom: cachedState, observer: observer) {
/// case .completed(let output, _): decode(output)
/// case .aborted(let last): keep(last)
/// }
/// ```
/// Every step is a pure function of (state, configuration, inputs); the model is the only thing called.
public struct EditSampler: Sendable {
    /// The parameters of the run.
    public let configuration: SamplerConfiguration
    /// `X0`, the condition digests and the model identity.
    public let inputs: SamplerInputs
    /// The grid `[σ_0, …, σ_T]`.
    public let sigmas: [Double]
    /// SHA-256 of `X0`, computed once (re-hashing the 10 MB source at every step would not be negligible).
    let sourceDigest: [UInt8]
    /// `X0` as the steps use it: the caller's source with each generated part replaced by its starting
    /// noise ε (`configuration.generatedParts`); the caller's source when no part is generated.
    let source: Latent
    /// Per part, in the source's order: whether it is generated.
    let generated: [Bool]

    /// Validates the configuration and the source latent.
    /// - Throws: ``SamplerError/invalidConfiguration(_:)`` for out-of-range parameters,
    ///   ``SamplerError/numerical(_:)`` when `X0` holds NaN/∞, ``SamplerError/invalidConfiguration(_:)`` when
    ///   two part names share a noise tag or a part is too large for one noise key.
    public init(configuration: SamplerConfiguration, inputs: SamplerInputs) throws {
        try configuration.validate()
        self.configuration = configuration
        self.inputs = inputs
        self.sigmas = try configuration.grid.sigmas()
        try inputs.source.checkFinite("source latent X0")
        var tags: [UInt32: String] = [:]
        for part in inputs.source.parts {
            guard part.count <= GaussianNoise.maxCount else {
                throw SamplerError.invalidConfiguration(
                    "part '\(part.name)' has more than \(GaussianNoise.maxCount) elements")
            }
            let tag = GaussianNoise.partTag(part.name)
            if let other = tags[tag] {
                throw SamplerError.invalidConfiguration(
                    "parts '\(other)' and '\(part.name)' share a noise tag; rename one so their noise differs")
            }
            tags[tag] = part.name
        }
        let names = Set(inputs.source.parts.map(\.name))
        for name in configuration.generatedParts.sorted() where !names.contains(name) {
            throw SamplerError.invalidConfiguration(
                "generated part '\(name)' is not a part of the source latent [\(inputs.source.layout)]")
        }
        guard configuration.generatedParts.count < names.count else {
            throw SamplerError.invalidConfiguration(
                "every part of the latent is generated: there is no source left to edit")
        }
        self.sourceDigest = latentDigest(inputs.source)
        self.generated = inputs.source.parts.map { configuration.generatedParts.contains($0.name) }
        var source = inputs.source
        for (p, part) in inputs.source.parts.enumerated() where generated[p] {
            let key = NoiseKey(
                seed: configuration.seed, window: configuration.window, step: configuration.start,
                stream: .generatedStart, part: part.name)
            source.parts[p].values = try GaussianNoise.values(count: part.count, key: key)
        }
        self.source = source
    }

    /// The cache key of the state at `step` (see ``SamplerConfiguration`` key rules, spec §6).
    public func cacheKey(atStep step: Int) -> CacheKey {
        configuration.cacheKey(atStep: step, sourceDigest: sourceDigest, inputs: inputs)
    }

    /// The noise level at which a state's `z` lives: `σ_step`, except FlowEdit's edit sequence `E`, which is
    /// a clean-latent estimate (σ = 0) until its first plain step has run (spec §5).
    public func latentSigma(atStep step: Int) -> Double {
        let c = configuration
        if c.variant == .flowEdit, step <= c.firstPlainStep { return 0 }
        return sigmas[min(max(step, 0), c.steps)]
    }

    /// Runs the window from its beginning or from `state` to the end, or until `observer` aborts.
    ///
    /// The abort hook is checked before every model call (one batch); aborting returns the last state
    /// reached and no output. Progress is reported after every model call.
    /// - Throws: what the model throws, ``SamplerError/stateMismatch(_:)`` for a state of another run,
    ///   ``SamplerError/modelContract(_:)`` / ``SamplerError/layoutMismatch(_:)`` for malformed velocities,
    ///   ``SamplerError/numerical(_:)`` for NaN/∞ results.
    public func run(
        model: some VelocityModel, resumingFrom state: StepState? = nil, observer: SamplerObserver = SamplerObserver()
    )
        throws -> SamplerOutcome
    {
        let total = configuration.cost().calls
        var current: StepState
        if let state {
            try checkResumable(state)
            current = state
        } else {
            if configuration.variant.estimatesInitialNoise, observer.shouldAbort() { return .aborted(lastState: nil) }
            current = try initialState(model: model)
            if configuration.variant.estimatesInitialNoise {
                observer.progress(SamplerProgress(callsDone: 1, callsTotal: total, step: current.step))
            }
        }
        observer.stateReached(current)
        while current.step < configuration.steps {
            if observer.shouldAbort() { return .aborted(lastState: current) }
            current = try step(current, model: model)
            observer.progress(
                SamplerProgress(
                    callsDone: configuration.callsDone(atStep: current.step), callsTotal: total, step: current.step))
            observer.stateReached(current)
        }
        return .completed(output: current.z, finalState: current)
    }

    /// Throws unless `state` is a state of this run: its step in `start...T`, its key equal to the key this
    /// run gives that step, its latents laid out like `X0`.
    public func checkResumable(_ state: StepState) throws {
        let c = configuration
        guard state.step >= c.start, state.step <= c.steps else {
            throw SamplerError.stateMismatch("state step \(state.step) is outside start...T = \(c.start)...\(c.steps)")
        }
        guard state.cacheKey == cacheKey(atStep: state.step) else {
            throw SamplerError.stateMismatch(
                "state at step \(state.step) has cache key \(state.cacheKey), this run expects \(cacheKey(atStep: state.step))"
            )
        }
        let layout = inputs.source.layout
        try layout.check(state.z.layout, what: "resumed state's Z")
        if c.variant.estimatesInitialNoise {
            guard let noise = state.noise else {
                throw SamplerError.stateMismatch("state at step \(state.step) has no noise n, which \(c.variant) needs")
            }
            try layout.check(noise.layout, what: "resumed state's n")
        }
        if stepCacheRule.isEnabled, state.step > c.start {
            guard let reuse = state.reuse else {
                throw SamplerError.stateMismatch("state at step \(state.step) has no step-cache memory")
            }
            for e in reuse.estimates { try layout.check(e.cleanEstimate.layout, what: "resumed step-cache estimate") }
        }
    }

    /// Sends `batch` to the model and checks the answer's count and layouts.
    func evaluate(_ model: some VelocityModel, _ batch: [VelocityRequest], step: String) throws -> [Latent] {
        let velocities = try model.velocities(for: batch)
        guard velocities.count == batch.count else {
            throw SamplerError.modelContract(
                "\(step): \(batch.count) requests but \(velocities.count) velocities returned")
        }
        let layout = inputs.source.layout
        for (j, v) in velocities.enumerated() {
            try layout.check(v.layout, what: "\(step): velocity \(j) (\(batch[j].role) condition)")
        }
        return velocities
    }
}
