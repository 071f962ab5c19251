/// The `x0` estimate of a state, for the host timeline (spec §6: `Z - σ·vp`).
extension EditSampler {
    /// The model requests whose answers ``x0Preview(of:velocities:)`` needs: the guided velocity's calls at
    /// `(state.z, σ)` with σ = ``latentSigma(atStep:)``; none when σ = 0 (the state is already clean:
    /// the finished output, or FlowEdit's edit sequence `E`).
    public func previewRequests(for state: StepState) -> [VelocityRequest] {
        let sigma = latentSigma(atStep: state.step)
        return sigma == 0 ? [] : guidedRequests(state.z, sigma: sigma)
    }

    /// `x0 = Z - σ·vp` with `vp = v_src + cfg·(v_tgt - v_src)` (or `v_tgt` when cfg = 1) from the answers
    /// to ``previewRequests(for:)``, in order.
    /// - Throws: ``SamplerError/modelContract(_:)`` when the number of velocities is wrong,
    ///   ``SamplerError/layoutMismatch(_:)`` when one is laid out unlike `X0`.
    public func x0Preview(of state: StepState, velocities: [Latent]) throws -> Latent {
        let expected = previewRequests(for: state).count
        guard velocities.count == expected else {
            throw SamplerError.modelContract("x0 preview needs \(expected) velocities, got \(velocities.count)")
        }
        let layout = inputs.source.layout
        try layout.check(state.z.layout, what: "preview state's Z")
        guard expected > 0 else { return state.z }
        for (j, v) in velocities.enumerated() { try layout.check(v.layout, what: "preview velocity \(j)") }
        let (vp, _) = guidedVelocity(velocities)
        return Latent.axpby(1, state.z, -latentSigma(atStep: state.step), vp)
    }
}
