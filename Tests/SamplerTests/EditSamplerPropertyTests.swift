import XCTest

@testable import Sampler

/// Spec §7: properties that hold exactly for analytic velocity fields.
final class EditSamplerPropertyTests: XCTestCase {
    let scenario = Scenario.make()

    /// c_tgt = c_src: the edit-sequence increment `vp - vq` vanishes for every noise, so with no plain phase
    /// the output is X0 (to float rounding); cfg is irrelevant because v_tgt = v_src.
    func testEqualConditionsReturnTheSourceForEveryVariant() throws {
        for variant in SamplerVariant.allCases {
            for rescale in [true, false] {
                let config = SamplerConfiguration(
                    variant: variant, grid: .humoDefault, start: 6, end: 19, cfg: 4.5, seed: 3,
                    rescaleInitialNoise: rescale)
                let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
                let out = flat(try runToEnd(sampler, scenario.gaussianSameConditions))
                let ratio = toleranceRatio(out, flat(scenario.source), atol: 1e-5, rtol: 1e-5)
                XCTAssertLessThanOrEqual(ratio, 1, "\(variant), rescale \(rescale)")
            }
        }
    }

    /// cfg = 0 with a target that differs: the guided velocity is v_src, so the edit sequence stays on the
    /// noised source and the output is X0 for every start — `omniedit bench-avedit` takes its round trip
    /// (VAEs and vocoder, no edit) from the job this way. The same target at cfg 1 does move (guard).
    func testGuidanceZeroReturnsTheSourceWhateverTheTarget() throws {
        let grid = StepGrid.ltx2(steps: 40, mu: 2.05, terminal: 0.1)
        for variant in SamplerVariant.allCases {
            for (start, rescale) in [(39, false), (12, false), (12, true)] {
                let config = SamplerConfiguration(
                    variant: variant, grid: grid, start: start, end: 39, cfg: 0, seed: 5, rescaleInitialNoise: rescale)
                let out = flat(try runToEnd(try EditSampler(configuration: config, inputs: makeInputs(scenario.source)), scenario.gaussianShift))
                XCTAssertLessThanOrEqual(
                    toleranceRatio(out, flat(scenario.source), atol: 1e-5, rtol: 1e-5), 1, "\(variant) start \(start) rescale \(rescale)")
            }
        }
        let moved = SamplerConfiguration(variant: .omniEdit, grid: grid, start: 12, end: 39, cfg: 1, seed: 5)
        let out = flat(try runToEnd(try EditSampler(configuration: moved, inputs: makeInputs(scenario.source)), scenario.gaussianShift))
        XCTAssertGreaterThan(toleranceRatio(out, flat(scenario.source), atol: 1e-2, rtol: 0), 1)
    }

    /// Equal-variance Gaussians, start = 0, cfg = 1, every step an edit step: the exact edit is the
    /// translation X0 - μ_src + μ_tgt. (E - X0 = (1-σ)·Δ solves the Euler recursion exactly:
    /// vp - vq = a·(E - X0) - Δ·(1 + a·(1-σ)), so (1-σ)Δ + (σ'-σ)·(-Δ) = (1-σ')Δ.)
    func testGaussianEditTranslatesByTheMeanDifference() throws {
        let expected = zip(flat(scenario.source), zip(scenario.meanSource, scenario.meanTarget)).map {
            $0 - $1.0 + $1.1
        }
        for variant in SamplerVariant.allCases {
            for grid in [StepGrid.humoDefault, .ltx2(steps: 12, mu: 2.05, terminal: 0.1)] {
                let config = SamplerConfiguration(
                    variant: variant, grid: grid, start: 0, end: grid.steps - 1, cfg: 1, seed: 9)
                let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
                let out = flat(try runToEnd(sampler, scenario.gaussianShift))
                XCTAssertLessThanOrEqual(toleranceRatio(out, expected, atol: 1e-4, rtol: 1e-4), 1, "\(variant) \(grid)")
            }
        }
    }

    /// The translation is not what an unedited source gives: guards the test above against a sampler
    /// that ignores the target condition.
    func testGaussianEditDiffersFromSource() throws {
        let config = SamplerConfiguration(start: 0, end: 19, cfg: 1)
        let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
        let out = flat(try runToEnd(sampler, scenario.gaussianShift))
        XCTAssertGreaterThan(toleranceRatio(out, flat(scenario.source), atol: 1e-2, rtol: 0), 1)
    }

    /// The fused Float kernels against a naive Double transcription of spec §4/§5, on a non-linear field,
    /// with plain phases, guidance, re-noising, joint parts and the corner cases of start/end.
    func testEveryVariantMatchesTheNaiveReference() throws {
        let configs: [SamplerConfiguration] = [
            .lipSync(seed: 5, window: 2),
            SamplerConfiguration(cfg: 1, seed: 6),
            SamplerConfiguration(start: 6, end: 3, cfg: 2, seed: 7),  // no edit phase
            SamplerConfiguration(start: 0, end: 25, cfg: 3, seed: 8),  // end beyond T-1: every step edits
            SamplerConfiguration(start: 19, end: 19, cfg: 4.5, seed: 9),  // a single edit step, σ' = 0
            SamplerConfiguration(
                grid: .ltx2(steps: 14, mu: 2.05, terminal: 0.1), start: 4, end: 13, cfg: 10, seed: 10,
                rescaleInitialNoise: false),
        ]
        for base in configs {
            for variant in SamplerVariant.allCases {
                var config = base
                config.variant = variant
                let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
                let out = flat(try runToEnd(sampler, scenario.mixture))
                let reference = ReferenceSampler(configuration: config, x0: scenario.source).run(scenario.mixture)
                let ratio = toleranceRatio(out, reference, atol: 1e-5, rtol: 1e-5)
                XCTAssertLessThanOrEqual(
                    ratio, 1, "\(variant) start \(config.start) end \(config.end) cfg \(config.cfg)")
            }
        }
    }

    /// Latents larger than one kernel chunk take the parallel path (several chunks, per-chunk partial
    /// norms); it must agree with the naive reference just as the single-chunk path does.
    func testMultiChunkLatentsMatchTheNaiveReference() throws {
        var rng = TestRandom(state: 31)
        let d = Kernels.chunkSize + 1001
        let mu = rng.vector(d)
        let source = try Latent(shape: [d], values: (0..<d).map { Float(mu[$0] + 0.5 * rng.normal()) })
        let field = GaussianField(means: [.source: mu, .target: rng.vector(d)], s: 0.5)
        for variant in SamplerVariant.allCases {
            let config = SamplerConfiguration(
                variant: variant, grid: .shifted(steps: 4, shift: 3), start: 1, end: 1, cfg: 2, seed: 4)
            let sampler = try EditSampler(configuration: config, inputs: makeInputs(source))
            let out = flat(try runToEnd(sampler, field))
            let reference = ReferenceSampler(configuration: config, x0: source).run(field)
            XCTAssertLessThanOrEqual(toleranceRatio(out, reference, atol: 1e-5, rtol: 1e-5), 1, "\(variant)")
        }
    }

    /// OmniEdit's per-step noise is rescaled to RMS 1 per part (spec §4); the initial noise
    /// `n = X0 + v(X0, σ_{T-1}, c_src)` only when `rescaleInitialNoise` (AV Edit leaves it as is).
    func testNoiseIsRescaledPerPart() throws {
        for rescale in [true, false] {
            let config = SamplerConfiguration(seed: 1, rescaleInitialNoise: rescale)
            let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
            var states: [StepState] = []
            _ = try sampler.run(model: scenario.mixture, observer: SamplerObserver(stateReached: { states.append($0) }))
            XCTAssertEqual(states.count, config.steps - config.start + 1)
            for state in states where state.step > config.start || rescale {
                for part in state.noise!.parts {
                    let rms = (part.values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(part.count))
                        .squareRoot()
                    XCTAssertEqual(rms, 1, accuracy: 1e-5, "step \(state.step) part \(part.name)")
                }
            }
            if !rescale {
                let x = flat(scenario.source)
                let v = scenario.mixture.velocity(x, sigma: sampler.sigmas[config.steps - 1], role: .source)
                let expected = zip(x, v).map { $0 + $1 }
                XCTAssertLessThanOrEqual(toleranceRatio(flat(states[0].noise!), expected, atol: 1e-5, rtol: 1e-5), 1)
            }
        }
    }
}
