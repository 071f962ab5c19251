/// The iterations of spec §4 and §5, one model batch per step.
extension EditSampler {
    /// The state at `start`, before any step.
    ///
    /// OmniEdit variants (spec §4): one call on the *clean* source at the smallest nonzero σ of the grid,
    /// `σ_{T-1}` (0.20833 for HuMo's grid, 0.1 for LTX-2's): `n = X0 + v(X0, σ_{T-1}, c_src)`, rescaled per
    /// part to RMS 1 when `rescaleInitialNoise` (AV Edit: not, §4 note), then
    /// `Z = (1-σ_start)·X0 + σ_start·n`. FlowEdit (§5): `E = X0`, no call.
    public func initialState(model: some VelocityModel) throws -> StepState {
        let c = configuration
        let x0 = source
        guard c.variant.estimatesInitialNoise else {
            return StepState(step: c.start, z: x0, noise: nil, cacheKey: cacheKey(atStep: c.start))
        }
        let sigmaLast = sigmas[c.steps - 1]
        let v = try evaluate(
            model, [VelocityRequest(latent: x0, sigma: sigmaLast, role: .source)], step: "initial noise call")
        var n = Latent.axpby(1, x0, 1, v[0])
        if c.rescaleInitialNoise {
            n = try n.rescaledToUnitRMS(what: "initial noise n")
        } else {
            try n.checkFinite("initial noise n")
        }
        // A generated part's X0 and n are one realisation ε, so it starts as Z = ε.
        n = withGeneratedParts(of: x0, in: n)
        let s = sigmas[c.start]
        let z = withGeneratedParts(of: x0, in: Latent.axpby(1 - s, x0, s, n))
        return StepState(step: c.start, z: z, noise: n, cacheKey: cacheKey(atStep: c.start))
    }

    /// Runs step `state.step` (σ_i → σ_{i+1}) with one model batch and returns the next state.
    /// - Throws: ``SamplerError/stateMismatch(_:)`` when the state is finished or not of this run, and
    ///   the errors of ``run(model:resumingFrom:observer:)``.
    public func step(_ state: StepState, model: some VelocityModel) throws -> StepState {
        try checkResumable(state)
        let c = configuration
        let i = state.step
        guard i < c.steps else {
            throw SamplerError.stateMismatch("state at step \(i) is already finished (T = \(c.steps))")
        }
        let (sigma, sigmaNext) = (sigmas[i], sigmas[i + 1])
        let z: Latent
        let noise: Latent?
        var memory = state.reuse
        switch c.variant {
        case .omniEdit, .omniEditRandomNoise:
            // checkResumable guarantees the noise of OmniEdit variants.
            guard let n = state.noise else { throw SamplerError.stateMismatch("state at step \(i) has no noise n") }
            (z, noise) = try targetSequenceStep(
                i, z: state.z, n: n, sigma: sigma, sigmaNext: sigmaNext, model: model, memory: &memory)
        case .flowEdit:
            z = try editSequenceStep(
                i, state: state.z, sigma: sigma, sigmaNext: sigmaNext, model: model, memory: &memory)
            noise = nil
        }
        try z.checkFinite("step \(i) result")
        return StepState(step: i + 1, z: z, noise: noise, cacheKey: cacheKey(atStep: i + 1), reuse: memory)
    }

    /// Requests for the guided velocity `vp` at `latent`: `[v(·, c_src), v(·, c_tgt)]`, or only the target
    /// call when cfg = 1 (spec §4).
    func guidedRequests(_ latent: Latent, sigma: Double) -> [VelocityRequest] {
        let target = VelocityRequest(latent: latent, sigma: sigma, role: .target)
        guard configuration.cfg != 1 else { return [target] }
        return [VelocityRequest(latent: latent, sigma: sigma, role: .source), target]
    }

    /// `vp = v_src + cfg·(v_tgt - v_src)` from the answers to ``guidedRequests(_:sigma:)``; returns the
    /// guided velocity and how many answers it consumed.
    func guidedVelocity(_ v: [Latent]) -> (Latent, Int) {
        guard configuration.cfg != 1 else { return (v[0], 1) }
        return (Latent.addScaledDifference(v[0], configuration.cfg, v[1], v[0]), 2)
    }

    /// A plain step `Z + (σ'-σ)·vp` in one pass, `vp` formed per element from the answers to
    /// ``guidedRequests(_:sigma:)`` (the same Float operations, in the same order, as forming `vp` first).
    func guidedEuler(_ z: Latent, _ v: [Latent], sigma: Double, sigmaNext: Double) -> Latent {
        let d = sigmaNext - sigma
        guard configuration.cfg != 1 else { return Latent.axpby(1, z, d, v[0]) }
        let cfg = Float(configuration.cfg)
        return z.mapParts { p in
            Kernels.guidedEuler(z.parts[p].values, Float(d), v[0].parts[p].values, v[1].parts[p].values, cfg)
        }
    }

    /// Spec §4 (and §5's random-noise variant): one target-sequence step.
    func targetSequenceStep(
        _ i: Int, z: Latent, n: Latent, sigma: Double, sigmaNext: Double, model: some VelocityModel,
        memory: inout StepCacheMemory?
    ) throws -> (Latent, Latent) {
        let c = configuration
        let x0 = source
        guard c.isEditStep(i) else {
            let v = try evaluateOrReuse(
                model, guidedRequests(z, sigma: sigma), slots: guidedSlots, step: i, memory: &memory,
                name: "plain step \(i)")
            return (guidedEuler(z, v, sigma: sigma, sigmaNext: sigmaNext), n)
        }
        // The source branch sees a generated part as it is now (SamplerConfiguration.swift).
        let s = withGeneratedParts(of: z, in: Latent.axpby(1 - sigma, x0, sigma, n))
        let v = try evaluateOrReuse(
            model, guidedRequests(z, sigma: sigma) + [VelocityRequest(latent: s, sigma: sigma, role: .source)],
            slots: guidedSlots + [.sourceOnSource], step: i, memory: &memory, name: "edit step \(i)")
        let (vp, used) = guidedVelocity(v)
        let vq = v[used]
        let eps = try GaussianNoise.latent(like: x0, seed: c.seed, window: c.window, step: i, stream: .editMixing)
        return try Self.targetSequenceUpdate(
            z: z, x0: x0, n: n, s: s, eps: eps, vp: vp, vq: vq, sigma: sigma, sigmaNext: sigmaNext,
            mixing: c.variant == .omniEdit, generated: generated)
    }

    /// The arithmetic of one target-sequence edit step (spec §4), the model's answers given:
    /// with mixing, `n' = rms1((1-σ)·(S + (1-σ)·vq) + σ·ε)` per part; without (spec §5), `n' = ε`; then
    /// `Z' = Z + (σ'-σ)·(vp - vq) + (σ-σ')·X0 + σ'·n' - σ·n`. A generated part (`generated[p]`, nil = none)
    /// takes the plain step `Z' = Z + (σ'-σ)·vp` and keeps its `n`. Returns `(Z', n')`.
    static func targetSequenceUpdate(
        z: Latent, x0: Latent, n: Latent, s: Latent, eps: Latent, vp: Latent, vq: Latent,
        sigma: Double, sigmaNext: Double, mixing: Bool, generated: [Bool]? = nil
    ) throws -> (Latent, Latent) {
        var nNext = eps
        var zParts: [LatentPart] = []
        for p in z.parts.indices {
            if generated?[p] == true {
                nNext.parts[p].values = n.parts[p].values
                let values = Kernels.axpby(1, z.parts[p].values, Float(sigmaNext - sigma), vp.parts[p].values)
                zParts.append(LatentPart(unchecked: z.parts[p].name, shape: z.parts[p].shape, values: values))
                continue
            }
            var scale: Float = 1
            if mixing {
                let ss = Kernels.mixEstimatedNoise(
                    into: &nNext.parts[p].values, s: s.parts[p].values, vq: vq.parts[p].values,
                    sigma: Float(sigma))
                scale = try Latent.unitRMSScale(
                    sumOfSquares: ss, count: nNext.parts[p].count, what: "mixed noise n' '\(z.parts[p].name)'")
            }
            let values = Kernels.targetSequenceUpdate(
                z: z.parts[p].values, x0: x0.parts[p].values, n: n.parts[p].values, nNext: &nNext.parts[p].values,
                vp: vp.parts[p].values, vq: vq.parts[p].values, sigma: sigma, sigmaNext: sigmaNext, noiseScale: scale)
            zParts.append(LatentPart(unchecked: z.parts[p].name, shape: z.parts[p].shape, values: values))
        }
        return (Latent(uncheckedParts: zParts), nNext)
    }

    /// Spec §5, FlowEdit: one edit-sequence step. `state` is `E` until the first plain step, `Zt` after.
    func editSequenceStep(
        _ i: Int, state: Latent, sigma: Double, sigmaNext: Double, model: some VelocityModel,
        memory: inout StepCacheMemory?
    ) throws -> Latent {
        let c = configuration
        let x0 = source
        if c.isEditStep(i) {
            let n = try GaussianNoise.latent(like: x0, seed: c.seed, window: c.window, step: i, stream: .flowEditStep)
            // A generated part is its own state: Zt = E, and the source branch sees it as it is now.
            let onSource = Latent.axpby(1 - sigma, x0, sigma, n)
            let zt = withGeneratedParts(of: state, in: Latent.addSub(state, onSource, x0))
            let s = withGeneratedParts(of: zt, in: onSource)
            let v = try evaluateOrReuse(
                model, guidedRequests(zt, sigma: sigma) + [VelocityRequest(latent: s, sigma: sigma, role: .source)],
                slots: guidedSlots + [.sourceOnSource], step: i, memory: &memory, name: "FlowEdit edit step \(i)")
            let (vp, used) = guidedVelocity(v)
            let next = Self.editSequenceUpdate(e: state, vp: vp, vq: v[used], sigma: sigma, sigmaNext: sigmaNext)
            guard generated.contains(true) else { return next }
            return withGeneratedParts(of: Latent.axpby(1, state, sigmaNext - sigma, vp), in: next)
        }
        var zt = state
        if i == c.firstPlainStep {
            // Re-noise once with fresh noise (spec §5). With no edit phase (end < start) E = X0, so Zt = S:
            // FlowEdit degenerates to SDEdit from σ_start.
            let n = try GaussianNoise.latent(
                like: x0, seed: c.seed, window: c.window, step: i, stream: .flowEditRenoise)
            zt = withGeneratedParts(of: state, in: Latent.addSub(state, Latent.axpby(1 - sigma, x0, sigma, n), x0))
        }
        let v = try evaluateOrReuse(
            model, guidedRequests(zt, sigma: sigma), slots: guidedSlots, step: i, memory: &memory,
            name: "FlowEdit plain step \(i)")
        return guidedEuler(zt, v, sigma: sigma, sigmaNext: sigmaNext)
    }

    /// `E' = E + (σ'-σ)·(vp - vq)` (spec §5).
    static func editSequenceUpdate(e: Latent, vp: Latent, vq: Latent, sigma: Double, sigmaNext: Double) -> Latent {
        Latent.addScaledDifference(e, sigmaNext - sigma, vp, vq)
    }
}

extension EditSampler {
    /// `latent` with its generated parts (``generated``) taken from `other`, which has its layout; `latent`
    /// itself when no part is generated.
    func withGeneratedParts(of other: Latent, in latent: Latent) -> Latent {
        guard generated.contains(true) else { return latent }
        var out = latent
        for p in out.parts.indices where generated[p] { out.parts[p].values = other.parts[p].values }
        return out
    }
}
