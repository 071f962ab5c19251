import Foundation

/// A decreasing noise-level grid `σ_0 = 1 > σ_1 > … > σ_{T-1} > σ_T = 0` (spec §2).
public enum StepGrid: Hashable, Sendable {
    /// Wan/HuMo: `σ_i = s·u_i / (1 + (s-1)·u_i)` with `u_i = 1 - i/T` for `i < T`, then `σ_T = 0`.
    /// HuMo uses `T = 20`, `s = 5` (``humoDefault``).
    case shifted(steps: Int, shift: Double)
    /// LTX-2: `u_i = 1 - i/T`, shifted `σ = e^μ / (e^μ + (1/u - 1))`, then the nonzero values stretched so
    /// the last one is `terminal`: `σ ← 1 - (1-σ)·(1-terminal)/(1-σ_{T-1})`, `σ_T = 0`.
    /// LTX-2 uses `T = 40`, `μ = 2.05` (its value for 4096 tokens), `terminal = 0.1` (``ltx2Default``).
    case ltx2(steps: Int, mu: Double, terminal: Double)

    /// HuMo's grid (LipSync default): T = 20, shift 5.
    public static let humoDefault = StepGrid.shifted(steps: 20, shift: 5)
    /// LTX-2's grid (AV Edit default): T = 40, μ = 2.05, terminal 0.1.
    public static let ltx2Default = StepGrid.ltx2(steps: 40, mu: 2.05, terminal: 0.1)

    /// The number of steps T.
    public var steps: Int {
        switch self {
        case .shifted(let t, _), .ltx2(let t, _, _): t
        }
    }

    /// The T + 1 noise levels `[σ_0, …, σ_T]`.
    /// - Throws: ``SamplerError/invalidConfiguration(_:)`` for T < 1 (T < 2 for LTX-2, whose stretch divides
    ///   by `1 - σ_{T-1}`), a non-positive or non-finite shift or μ, or a terminal outside (0, 1).
    public func sigmas() throws -> [Double] {
        switch self {
        case .shifted(let t, let shift):
            guard t >= 1, t <= 100_000 else {
                throw SamplerError.invalidConfiguration("steps T = \(t) must be in 1...100000")
            }
            guard shift.isFinite, shift > 0 else {
                throw SamplerError.invalidConfiguration("shift \(shift) must be finite and > 0")
            }
            var sigmas = (0..<t).map { i -> Double in
                let u = 1 - Double(i) / Double(t)
                return shift * u / (1 + (shift - 1) * u)
            }
            sigmas.append(0)
            return sigmas
        case .ltx2(let t, let mu, let terminal):
            guard t >= 2, t <= 100_000 else {
                throw SamplerError.invalidConfiguration("LTX-2 steps T = \(t) must be in 2...100000")
            }
            guard mu.isFinite else { throw SamplerError.invalidConfiguration("LTX-2 shift mu \(mu) must be finite") }
            guard terminal.isFinite, terminal > 0, terminal < 1 else {
                throw SamplerError.invalidConfiguration("LTX-2 terminal sigma \(terminal) must be in (0, 1)")
            }
            let em = exp(mu)
            let shifted = (0..<t).map { i -> Double in
                let u = 1 - Double(i) / Double(t)
                return em / (em + (1 / u - 1))
            }
            let last = shifted[t - 1]
            // last < 1 because u_{T-1} = 1/T < 1 and the shift is monotone with fixed point 1.
            let stretch = (1 - terminal) / (1 - last)
            var sigmas = shifted.map { 1 - (1 - $0) * stretch }
            sigmas.append(0)
            return sigmas
        }
    }
}
