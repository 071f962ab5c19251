/// Which of the two conditions of an edit a request is evaluated under (spec §3): the source condition
/// `c_src` or the target condition `c_tgt`. The sampler knows nothing else about conditions.
public enum ConditionRole: String, Hashable, Sendable {
    /// `c_src`: the source audio (or the null audio), or the source prompt.
    case source
    /// `c_tgt`: the target audio or the target prompt.
    case target
}

/// One velocity evaluation `v(z, σ, c)`.
public struct VelocityRequest: Sendable {
    /// The noisy latent `z`, laid out like the source latent.
    public let latent: Latent
    /// The noise level σ ∈ [0, 1] (a Wan/HuMo model takes `t = 1000·σ`, LTX-2 takes σ; spec §1).
    public let sigma: Double
    /// The condition to evaluate under.
    public let role: ConditionRole

    /// Creates a request.
    public init(latent: Latent, sigma: Double, role: ConditionRole) {
        self.latent = latent
        self.sigma = sigma
        self.role = role
    }
}

/// A rectified-flow velocity field `v(z, σ, c) ≈ n - x0` (spec §1), evaluated a batch at a time.
///
/// The sampler sends the independent calls of one step as one batch (spec §4: "batch them"): 1 request for
/// the initial noise estimate, 3 for an edit step (2 when cfg = 1), 2 for a plain step (1 when cfg = 1).
/// A joint audio-video model uses the same protocol with a latent that holds several parts.
///
/// Contract: return exactly one velocity per request, in request order, each with its request's layout.
/// Throwing aborts the run with that error; the last completed state stays valid for resuming.
public protocol VelocityModel {
    /// The velocities of `batch`, one per request, in order.
    func velocities(for batch: [VelocityRequest]) throws -> [Latent]
}
