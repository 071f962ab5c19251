import XCTest

@testable import Sampler

/// Spec §5: fed the same noise sequence, the target-sequence iteration (Z) and the edit-sequence
/// iteration (E, with Zt = E + S - X0) are the same algorithm: Z_i = E_i + S_i - X0 at every step, and
/// Z_T = E_T because S = X0 at σ = 0.
final class SequenceIdentityTests: XCTestCase {
    func testTargetAndEditSequencesAgreeOnTheSameNoise() throws {
        let scenario = Scenario.make(seed: 5)
        let field = scenario.mixture
        let x0 = scenario.source
        for cfg in [1.0, 4.5] {
            // Every step an edit step, so the whole run is one sequence in both forms.
            let config = SamplerConfiguration(variant: .omniEditRandomNoise, start: 2, end: 19, cfg: cfg, seed: 1)
            let sampler = try EditSampler(configuration: config, inputs: makeInputs(x0))
            let sig = sampler.sigmas
            let noises = try (config.start...config.steps).map { i in
                try GaussianNoise.latent(like: x0, seed: 77, window: 0, step: i, stream: .flowEditStep)
            }
            var z = Latent.axpby(1 - sig[config.start], x0, sig[config.start], noises[0])
            var e = x0
            for (k, i) in (config.start..<config.steps).enumerated() {
                let (s, s2) = (sig[i], sig[i + 1])
                let src = Latent.axpby(1 - s, x0, s, noises[k])
                XCTAssertLessThanOrEqual(
                    toleranceRatio(flat(z), flat(Latent.addSub(e, src, x0)), atol: 1e-5, rtol: 1e-5), 1, "step \(i)")
                // Target sequence: the model sees Z; edit sequence: it sees E + S - X0.
                let vq = try field.velocities(for: [VelocityRequest(latent: src, sigma: s, role: .source)])[0]
                let (vpZ, _) = sampler.guidedVelocity(try field.velocities(for: sampler.guidedRequests(z, sigma: s)))
                let zt = Latent.addSub(e, src, x0)
                let (vpE, _) = sampler.guidedVelocity(try field.velocities(for: sampler.guidedRequests(zt, sigma: s)))
                (z, _) = try EditSampler.targetSequenceUpdate(
                    z: z, x0: x0, n: noises[k], s: src, eps: noises[k + 1], vp: vpZ, vq: vq, sigma: s, sigmaNext: s2,
                    mixing: false)
                e = EditSampler.editSequenceUpdate(e: e, vp: vpE, vq: vq, sigma: s, sigmaNext: s2)
            }
            XCTAssertLessThanOrEqual(toleranceRatio(flat(z), flat(e), atol: 1e-5, rtol: 1e-5), 1, "cfg \(cfg)")
            // Not vacuous: the edit moved the latent.
            XCTAssertGreaterThan(toleranceRatio(flat(e), flat(x0), atol: 1e-2, rtol: 0), 1)
        }
    }
}
