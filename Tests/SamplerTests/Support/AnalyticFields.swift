import Foundation
import Sampler

// Closed-form rectified-flow velocities used as the "model" in the sampler tests.
//
// Derivation (per condition c, element-wise for the Gaussian case). Data x0 ~ N(μ, s²·I), noise
// n ~ N(0, I) independent, z = (1-σ)·x0 + σ·n (spec §1). The exact velocity is the conditional mean
//     v(z, σ) = E[n - x0 | z].
// (z, n - x0) are jointly Gaussian per element with
//     E[z] = (1-σ)·μ,            Var[z] = (1-σ)²·s² + σ² =: r²,
//     E[n - x0] = -μ,            Cov[n - x0, z] = σ·Var[n] - (1-σ)·Var[x0] = σ - (1-σ)·s²,
// so by Gaussian conditioning
//     v(z, σ) = -μ + a(σ)·(z - (1-σ)·μ),     a(σ) = (σ - (1-σ)·s²) / r².
// Checks: σ = 1 (z = n) gives v = z - μ = n - E[x0]; σ = 0 (z = x0) gives v = -z = E[n] - x0.
//
// Mixture (for tests where the noise must matter): x0 ~ Σ_k π_k·N(m_k, s²·I) over the whole flattened
// latent (all parts together), d elements. Given component k, z ~ N((1-σ)·m_k, r²·I), so the posterior
// weight of k is w_k(z) ∝ π_k·exp(-‖z - (1-σ)·m_k‖² / (2r²)) (the common normaliser cancels, r being the
// same for all k), and by the tower rule
//     v(z, σ) = Σ_k w_k(z)·[-m_k + a(σ)·(z - (1-σ)·m_k)],
// evaluated with log-sum-exp. It is non-linear in z, so different noise gives a different edit.

/// Means of one condition: a flat vector over all parts of the latent, in part order.
typealias FlatMeans = [Double]

/// Flattens a latent's parts in order.
func flat(_ latent: Latent) -> [Double] {
    latent.parts.flatMap { $0.values.map(Double.init) }
}

/// A latent shaped like `like` holding `values` (flat, part order).
func unflat(_ values: [Double], like: Latent) -> Latent {
    var offset = 0
    var parts: [LatentPart] = []
    for part in like.parts {
        let slice = values[offset..<offset + part.count].map { Float($0) }
        offset += part.count
        parts.append(try! LatentPart(name: part.name, shape: part.shape, values: slice))
    }
    return try! Latent(parts: parts)
}

/// `a(σ) = (σ - (1-σ)·s²) / ((1-σ)²·s² + σ²)`.
func gaussianGain(sigma: Double, s: Double) -> Double {
    (sigma - (1 - sigma) * s * s) / ((1 - sigma) * (1 - sigma) * s * s + sigma * sigma)
}

/// A velocity field evaluated in Double on flat vectors; the sampler sees it through `VelocityModel`.
protocol DoubleField: VelocityModel {
    func velocity(_ z: [Double], sigma: Double, role: ConditionRole) -> [Double]
}

extension DoubleField {
    func velocities(for batch: [VelocityRequest]) throws -> [Latent] {
        batch.map { unflat(velocity(flat($0.latent), sigma: $0.sigma, role: $0.role), like: $0.latent) }
    }
}

/// The exact velocity for data `N(μ_c, s²·I)` per condition role.
struct GaussianField: DoubleField {
    var means: [ConditionRole: FlatMeans]
    var s: Double

    func velocity(_ z: [Double], sigma: Double, role: ConditionRole) -> [Double] {
        let mu = means[role]!
        let a = gaussianGain(sigma: sigma, s: s)
        return z.indices.map { j in -mu[j] + a * (z[j] - (1 - sigma) * mu[j]) }
    }

}

/// The exact velocity for a per-condition mixture of isotropic Gaussians with equal weights.
struct MixtureField: DoubleField {
    var components: [ConditionRole: [FlatMeans]]
    var s: Double

    func velocity(_ z: [Double], sigma: Double, role: ConditionRole) -> [Double] {
        let ms = components[role]!
        let r2 = (1 - sigma) * (1 - sigma) * s * s + sigma * sigma
        let logits = ms.map { m in
            -zip(z, m).reduce(0) { acc, p in
                let d = p.0 - (1 - sigma) * p.1
                return acc + d * d
            } / (2 * r2)
        }
        let top = logits.max()!
        let weights = logits.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        let a = gaussianGain(sigma: sigma, s: s)
        var v = [Double](repeating: 0, count: z.count)
        for (k, m) in ms.enumerated() {
            let w = weights[k] / total
            for j in z.indices { v[j] += w * (-m[j] + a * (z[j] - (1 - sigma) * m[j])) }
        }
        return v
    }

}

/// Wraps a model and records every batch it receives.
final class RecordingModel<Inner: VelocityModel>: VelocityModel {
    let inner: Inner
    private(set) var batches: [[VelocityRequest]] = []
    var calls: Int { batches.reduce(0) { $0 + $1.count } }

    init(_ inner: Inner) { self.inner = inner }

    func velocities(for batch: [VelocityRequest]) throws -> [Latent] {
        batches.append(batch)
        return try inner.velocities(for: batch)
    }
}

/// Deterministic pseudo-random Doubles for test data (SplitMix64), independent of the sampler's noise.
struct TestRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }

    /// Approximately standard normal (sum of 12 uniforms on [0,1) minus 6).
    mutating func normal() -> Double { (0..<12).reduce(0) { acc, _ in acc + (uniform() + 1) / 2 } - 6 }

    mutating func vector(_ n: Int, scale: Double = 1, offset: Double = 0) -> [Double] {
        (0..<n).map { _ in offset + scale * uniform() }
    }
}

/// A two-part ("video" 2×3×5×4 = 120, "audio" 8×10 = 80) latent holding `values` (200 elements).
func avLatent(_ values: [Double]) -> Latent {
    let video = try! LatentPart(name: "video", shape: [2, 3, 5, 4], values: values[0..<120].map { Float($0) })
    let audio = try! LatentPart(name: "audio", shape: [8, 10], values: values[120..<200].map { Float($0) })
    return try! Latent(parts: [video, audio])
}

/// Sampler inputs with fixed condition digests and model identity.
func makeInputs(_ source: Latent, target: [UInt8] = [2], model: String = "analytic") -> SamplerInputs {
    SamplerInputs(source: source, sourceConditionDigest: [1], targetConditionDigest: target, modelIdentity: model)
}

/// Runs to completion and returns the output, failing loudly if the run aborted.
func runToEnd(_ sampler: EditSampler, _ model: some VelocityModel, from state: StepState? = nil) throws -> Latent {
    guard let output = try sampler.run(model: model, resumingFrom: state).output else {
        throw SamplerError.stateMismatch("test run aborted unexpectedly")
    }
    return output
}

/// Largest |a - b| / (atol + rtol·|b|) over all elements; ≤ 1 means within tolerance.
func toleranceRatio(_ a: [Double], _ b: [Double], atol: Double, rtol: Double) -> Double {
    zip(a, b).map { abs($0 - $1) / (atol + rtol * abs($1)) }.max() ?? 0
}
