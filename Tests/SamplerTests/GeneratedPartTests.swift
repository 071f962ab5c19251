import XCTest

@testable import Sampler

/// Generated parts (beyond the spec's §4, SamplerConfiguration.swift): a part with no source — the sound of a
/// silent clip in AV Edit — starts as noise and is denoised for the target while the other parts are edited.
final class GeneratedPartTests: XCTestCase {
    let scenario = Scenario.make()

    func config(
        _ variant: SamplerVariant, grid: StepGrid = .ltx2(steps: 40, mu: 2.05, terminal: 0.1), start: Int = 12,
        end: Int = 39, cfg: Double = 4, generated: Set<String> = ["audio"]
    ) -> SamplerConfiguration {
        SamplerConfiguration(
            variant: variant, grid: grid, start: start, end: end, cfg: cfg, seed: 21, window: 2,
            rescaleInitialNoise: false, generatedParts: generated)
    }

    /// The starting noise ε of the generated "audio" part of `c`.
    func startNoise(_ c: SamplerConfiguration) throws -> [Double] {
        try GaussianNoise.values(
            count: 80, key: NoiseKey(seed: c.seed, window: c.window, step: c.start, stream: .generatedStart, part: "audio")
        ).map(Double.init)
    }

    /// With a field that treats every element on its own, the edited part comes out bit for bit as in a
    /// run without a generated part: generating one part changes nothing of how the others are edited.
    func testTheOtherPartsAreEditedAsWithoutAGeneratedPart() throws {
        for variant in SamplerVariant.allCases {
            for end in [39, 30] {
                let with = try runToEnd(
                    try EditSampler(configuration: config(variant, end: end), inputs: makeInputs(scenario.source)),
                    scenario.gaussianShift)
                let without = try runToEnd(
                    try EditSampler(configuration: config(variant, end: end, generated: []), inputs: makeInputs(scenario.source)),
                    scenario.gaussianShift)
                XCTAssertEqual(with["video"]!.values, without["video"]!.values, "\(variant) end \(end)")
                XCTAssertNotEqual(with["audio"]!.values, without["audio"]!.values, "\(variant) end \(end)")
            }
        }
    }

    /// From σ = 1 (start 0) under the target alone (cfg 1) the part follows Euler's steps on the target's
    /// exact field from ε (checked against the recursion in Double), and on a fine grid lands where the exact
    /// flow of N(μ_t, s²) carries ε: μ_t + s·ε. What the caller put in the part's source is never used.
    func testAGeneratedPartIsDrawnFromTheTarget() throws {
        let s = 0.6
        let target = GaussianField(means: [.target: Array(scenario.meanTarget[120...])], s: s)
        for variant in SamplerVariant.allCases {
            for grid in [StepGrid.ltx2Default, .shifted(steps: 200, shift: 1)] {
                let c = config(variant, grid: grid, start: 0, end: grid.steps - 1, cfg: 1)
                let source = try Latent(parts: [
                    scenario.source["video"]!,
                    try LatentPart(name: "audio", shape: [8, 10], values: [Float](repeating: 7, count: 80)),
                ])
                let out = try runToEnd(try EditSampler(configuration: c, inputs: makeInputs(source)), scenario.gaussianShift)
                let got = out["audio"]!.values.map(Double.init)
                let sigmas = try grid.sigmas()
                var euler = try startNoise(c)
                for i in 0..<grid.steps {
                    let v = target.velocity(euler, sigma: sigmas[i], role: .target)
                    for j in euler.indices { euler[j] += (sigmas[i + 1] - sigmas[i]) * v[j] }
                }
                XCTAssertLessThanOrEqual(toleranceRatio(got, euler, atol: 1e-4, rtol: 1e-4), 1, "\(variant) \(grid)")
                if grid.steps == 200 {
                    let flow = zip(scenario.meanTarget[120...], try startNoise(c)).map { $0 + s * $1 }
                    XCTAssertLessThanOrEqual(toleranceRatio(got, flow, atol: 0.02, rtol: 0), 1, "\(variant)")
                }
                let other = try runToEnd(try EditSampler(configuration: c, inputs: makeInputs(scenario.source)), scenario.gaussianShift)
                XCTAssertEqual(other["audio"]!.values, got.map(Float.init), "\(variant) \(grid)")
            }
        }
    }

    /// What the model is asked: the initial call sees ε as the part; every call of a step — the source
    /// branch's included — sees the part's current state, at the step's σ.
    func testEveryCallOfAStepSeesTheGeneratedPartAsItIsNow() throws {
        for variant in SamplerVariant.allCases {
            let c = config(variant, steps: 16)
            let model = RecordingModel(scenario.gaussianShift)
            _ = try runToEnd(try EditSampler(configuration: c, inputs: makeInputs(scenario.source)), model)
            var batches = model.batches
            if variant.estimatesInitialNoise {
                XCTAssertEqual(batches[0][0].latent["audio"]!.values.map(Double.init), try startNoise(c))
                batches.removeFirst()
            }
            XCTAssertEqual(batches[0][0].latent["audio"]!.values.map(Double.init), try startNoise(c), "\(variant): Z starts as ε")
            for (k, batch) in batches.enumerated() {
                let audio = batch[0].latent["audio"]!.values
                for r in batch { XCTAssertEqual(r.latent["audio"]!.values, audio, "\(variant) step \(k)") }
                if k > 0 { XCTAssertNotEqual(audio, batches[k - 1][0].latent["audio"]!.values, "\(variant): it moves") }
            }
        }
    }

    func config(_ variant: SamplerVariant, steps: Int) -> SamplerConfiguration {
        config(variant, grid: .ltx2(steps: steps, mu: 2.05, terminal: 0.1), start: 4, end: 12)
    }

    /// Seed and window key the start: they are in every cache key, and a resumed run is bit-identical.
    func testItIsDeterministicKeyedAndResumable() throws {
        let c = config(.omniEdit, steps: 16)
        let sampler = try EditSampler(configuration: c, inputs: makeInputs(scenario.source))
        var states: [StepState] = []
        let observer = SamplerObserver(stateReached: { states.append($0) })
        guard case .completed(let full, _) = try sampler.run(model: scenario.mixture, observer: observer) else {
            return XCTFail("aborted")
        }
        XCTAssertTrue(try runToEnd(sampler, scenario.mixture).isBitIdentical(to: full))
        let resumed = try runToEnd(sampler, scenario.mixture, from: states[5])
        XCTAssertTrue(resumed.isBitIdentical(to: full))

        var other = c
        other.seed += 1
        let plain = try EditSampler(configuration: config(.omniEdit, grid: c.grid, start: 4, end: 12, generated: []), inputs: makeInputs(scenario.source))
        let reseeded = try EditSampler(configuration: other, inputs: makeInputs(scenario.source))
        for step in [c.start, c.start + 1, c.steps] {
            XCTAssertNotEqual(sampler.cacheKey(atStep: step), plain.cacheKey(atStep: step), "step \(step)")
            XCTAssertNotEqual(sampler.cacheKey(atStep: step), reseeded.cacheKey(atStep: step), "step \(step)")
        }
        XCTAssertThrowsError(try reseeded.run(model: scenario.mixture, resumingFrom: states[5]))
    }

    func testUnknownOrEveryPartIsRefused() {
        for (generated, expected) in [(Set(["sound"]), "'sound' is not a part"), (["video", "audio"], "no source left")] {
            XCTAssertThrowsError(
                try EditSampler(configuration: config(.omniEdit, generated: generated), inputs: makeInputs(scenario.source))
            ) { error in XCTAssertTrue("\(error)".contains(expected), "\(error)") }
        }
    }
}
