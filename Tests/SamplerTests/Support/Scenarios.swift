import Foundation
import Sampler

/// Test data: a source latent drawn from the source condition's distribution, and the fields.
struct Scenario {
    let source: Latent
    let gaussianSameConditions: GaussianField
    let gaussianShift: GaussianField
    let mixture: MixtureField
    let meanSource: [Double]
    let meanTarget: [Double]

    /// 200 elements in two parts ("video", "audio"), like AV Edit's joint latent.
    static func make(seed: UInt64 = 11, s: Double = 0.6) -> Scenario {
        var rng = TestRandom(state: seed)
        let d = 200
        let muS = rng.vector(d, scale: 1.5)
        let muT = rng.vector(d, scale: 1.5)
        let x0 = (0..<d).map { muS[$0] + s * rng.normal() }
        // Mixture components: the source sample sits near the first source component.
        let comps: [ConditionRole: [FlatMeans]] = [
            .source: [muS, rng.vector(d, scale: 1.5)],
            .target: [muT, rng.vector(d, scale: 1.5)],
        ]
        return Scenario(
            source: avLatent(x0),
            gaussianSameConditions: GaussianField(means: [.source: muS, .target: muS], s: s),
            gaussianShift: GaussianField(means: [.source: muS, .target: muT], s: s),
            mixture: MixtureField(components: comps, s: 1.2),
            meanSource: muS, meanTarget: muT)
    }
}
