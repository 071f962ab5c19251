/// Every way a sampler run can fail; each message names the offending value.
public enum SamplerError: Error, Equatable, CustomStringConvertible {
    /// A latent's parts, names or shapes are malformed.
    case invalidLatent(String)
    /// Two latents that must share a layout do not (e.g. a velocity returned with the wrong shape).
    case layoutMismatch(String)
    /// A parameter is out of range (steps, shift, start, end, cfg, …).
    case invalidConfiguration(String)
    /// The velocity model broke its contract (wrong number of results, non-finite values).
    case modelContract(String)
    /// The arithmetic produced NaN/∞ or a zero-norm noise that cannot be rescaled.
    case numerical(String)
    /// A state offered for resuming does not belong to this run (its cache key or step differs).
    case stateMismatch(String)

    /// The kind of failure followed by the message.
    public var description: String {
        switch self {
        case .invalidLatent(let m): "invalid latent: \(m)"
        case .layoutMismatch(let m): "latent layout mismatch: \(m)"
        case .invalidConfiguration(let m): "invalid sampler configuration: \(m)"
        case .modelContract(let m): "velocity model contract violated: \(m)"
        case .numerical(let m): "numerical failure: \(m)"
        case .stateMismatch(let m): "cannot resume: \(m)"
        }
    }
}
