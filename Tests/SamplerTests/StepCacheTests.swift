import XCTest

@testable import Sampler

/// Step caching (beyond the reference, `StepCache.swift`): the decision on numbers, off = exact, a
/// threshold that must skip does, the counts, the keys, and resuming.
final class StepCacheTests: XCTestCase {
    let scenario = Scenario.make()

    /// A field whose clean estimate is the same constant at every input: `v = (z - c)/σ`, so `x̂0 = c`.
    /// Reusing `x̂0` is then exact, and the measured rate is 0.
    struct ConstantCleanField: DoubleField {
        var clean: [ConditionRole: [Double]]
        func velocity(_ z: [Double], sigma: Double, role: ConditionRole) -> [Double] {
            let c = clean[role]!
            return z.indices.map { (z[$0] - c[$0]) / sigma }
        }
    }

    var constantField: ConstantCleanField {
        ConstantCleanField(clean: [.source: scenario.meanSource, .target: scenario.meanTarget])
    }

    func testRuleDecidesOnNumbersAlone() {
        // Staleness rate·steps, weighted by the step's (σ - σ')/σ.
        XCTAssertEqual(try XCTUnwrap(StepCacheRule.predictedError(rate: 0.25, stepsSinceCall: 2, sigma: 0.5, sigmaNext: 0.375)), 0.125)
        XCTAssertEqual(StepCacheRule.predictedError(rate: 0.5, stepsSinceCall: 3, sigma: 0.25, sigmaNext: 0), 1.5, "the last step weighs 1")
        XCTAssertNil(StepCacheRule.predictedError(rate: nil, stepsSinceCall: 1, sigma: 0.5, sigmaNext: 0.4), "no rate before two calls")
        XCTAssertNil(StepCacheRule.predictedError(rate: .nan, stepsSinceCall: 1, sigma: 0.5, sigmaNext: 0.4))
        XCTAssertNil(StepCacheRule.predictedError(rate: -1, stepsSinceCall: 1, sigma: 0.5, sigmaNext: 0.4))
        XCTAssertNil(StepCacheRule.predictedError(rate: 0.1, stepsSinceCall: 0, sigma: 0.5, sigmaNext: 0.4))
        XCTAssertNil(StepCacheRule.predictedError(rate: 0.1, stepsSinceCall: 1, sigma: 0, sigmaNext: 0))
        XCTAssertNil(StepCacheRule.predictedError(rate: 0.1, stepsSinceCall: 1, sigma: 0.4, sigmaNext: 0.5))
        let rule = StepCacheRule(threshold: 0.5)
        XCTAssertTrue(rule.reuses(predicted: 0.25, accumulated: 0.25, slotsRemembered: true))  // 0.5 ≤ 0.5
        XCTAssertFalse(rule.reuses(predicted: 0.25, accumulated: 0.375, slotsRemembered: true))
        XCTAssertFalse(rule.reuses(predicted: 0.1, accumulated: 0, slotsRemembered: false))
        XCTAssertFalse(rule.reuses(predicted: nil, accumulated: 0, slotsRemembered: true))
        // Off: even a zero prediction never reuses.
        XCTAssertFalse(StepCacheRule(threshold: 0).reuses(predicted: 0, accumulated: 0, slotsRemembered: true))
        XCTAssertEqual(StepCacheRule.rate(change: 3, norm: 10, steps: 2), 0.15)
        XCTAssertNil(StepCacheRule.rate(change: 3, norm: 0, steps: 1))
        XCTAssertNil(StepCacheRule.rate(change: .infinity, norm: 1, steps: 1))
        XCTAssertNil(StepCacheRule.rate(change: 1, norm: 1, steps: 0))
    }

    func testMemoryMeasuresTheLargestRelativeChangePerStep() throws {
        let a = try Latent(shape: [4], values: [1, 2, 3, 4])  // L1 10
        let b = try Latent(shape: [4], values: [1, 2, 3, 5])  // change 1 from a, L1 11
        let c = try Latent(shape: [4], values: [1, 2, 3, 8])  // change 4 from a, L1 14
        let rule = StepCacheRule(threshold: 1)
        let first = rule.memory(
            afterCallAt: 6, estimates: [ReusedEstimate(slot: .targetOnTarget, cleanEstimate: a),
                                         ReusedEstimate(slot: .sourceOnTarget, cleanEstimate: a)], previous: nil)
        XCTAssertNil(first.rate)
        XCTAssertEqual(first.estimates.map(\.slot), [.sourceOnTarget, .targetOnTarget])
        let second = rule.memory(
            afterCallAt: 8, estimates: [ReusedEstimate(slot: .sourceOnTarget, cleanEstimate: b),
                                         ReusedEstimate(slot: .targetOnTarget, cleanEstimate: c)], previous: first)
        XCTAssertEqual(try XCTUnwrap(second.rate), 4.0 / 14 / 2, accuracy: 1e-12)
        XCTAssertEqual(second.lastCallStep, 8)
        XCTAssertEqual(second.accumulated, 0)
    }

    /// Threshold 0 (the default) makes every call and gives the same bits as a configuration that never
    /// mentions step caching, for every variant; the states carry no memory.
    func testThresholdZeroIsBitIdenticalToNoCaching() throws {
        for variant in SamplerVariant.allCases {
            for cfg in [1.0, 4.5] {
                let plain = SamplerConfiguration(variant: variant, cfg: cfg, seed: 5)
                var zero = plain
                zero.stepCacheThreshold = 0
                let a = RecordingModel(scenario.mixture)
                let b = RecordingModel(scenario.mixture)
                var states: [StepState] = []
                let outA = try runToEnd(try EditSampler(configuration: plain, inputs: makeInputs(scenario.source)), a)
                let outB = try XCTUnwrap(
                    try EditSampler(configuration: zero, inputs: makeInputs(scenario.source)).run(
                        model: b, observer: SamplerObserver(stateReached: { states.append($0) })
                    ).output)
                XCTAssertTrue(outA.isBitIdentical(to: outB), "\(variant) cfg \(cfg)")
                XCTAssertEqual(a.calls, plain.cost().calls)
                XCTAssertEqual(b.calls, a.calls)
                XCTAssertTrue(states.allSatisfy { $0.reuse == nil })
            }
        }
    }

    /// Where the clean estimate never changes (rate 0), any threshold skips every step after the two that
    /// measure the rate, the reused answers are the model's own (to rounding), and the counts add up.
    func testAThresholdThatMustSkipSkipsAndCountsCalls() throws {
        let field = constantField
        for variant in SamplerVariant.allCases {
            let plain = SamplerConfiguration(variant: variant, seed: 3)
            var cached = plain
            cached.stepCacheThreshold = 0.05
            let exactModel = RecordingModel(field)
            let cachedModel = RecordingModel(field)
            let exact = try runToEnd(try EditSampler(configuration: plain, inputs: makeInputs(scenario.source)), exactModel)
            var final: StepState? = nil
            let out = try XCTUnwrap(
                try EditSampler(configuration: cached, inputs: makeInputs(scenario.source)).run(
                    model: cachedModel, observer: SamplerObserver(stateReached: { final = $0 })
                ).output)
            // Initial call (OmniEdit variants), then the first two edit steps (3 calls each); nothing after.
            let initial = variant.estimatesInitialNoise ? [1] : []
            XCTAssertEqual(cachedModel.batches.map(\.count), initial + [3, 3], "\(variant)")
            XCTAssertEqual(exactModel.calls, plain.cost().calls)
            let reused = try XCTUnwrap(final?.reuse).requestsReused
            XCTAssertEqual(cachedModel.calls + reused, plain.cost().calls, "every planned request made or reused")
            XCTAssertGreaterThanOrEqual(Double(plain.cost().calls) / Double(cachedModel.calls), 5)
            XCTAssertLessThan(toleranceRatio(flat(out), flat(exact), atol: 1e-4, rtol: 1e-4), 1, "\(variant)")
        }
    }

    /// On a field whose clean estimate moves, a small threshold skips some steps but not all, a larger one
    /// skips more; the output moves away from the exact run only by a bounded amount.
    func testSkipsGrowWithTheThresholdOnAMovingField() throws {
        let plain = SamplerConfiguration(seed: 9)
        let exact = flat(try runToEnd(try EditSampler(configuration: plain, inputs: makeInputs(scenario.source)), scenario.mixture))
        var previousCalls = plain.cost().calls
        var sawSkip = false
        var counts: [Int] = []
        for threshold in [0.001, 0.05, 5.0] {
            var config = plain
            config.stepCacheThreshold = threshold
            let model = RecordingModel(scenario.mixture)
            var final: StepState? = nil
            let out = try XCTUnwrap(
                try EditSampler(configuration: config, inputs: makeInputs(scenario.source)).run(
                    model: model, observer: SamplerObserver(stateReached: { final = $0 })
                ).output)
            XCTAssertLessThanOrEqual(model.calls, previousCalls, "threshold \(threshold)")
            XCTAssertEqual(model.calls + (final?.reuse?.requestsReused ?? 0), plain.cost().calls)
            sawSkip = sawSkip || model.calls < plain.cost().calls
            previousCalls = model.calls
            counts.append(model.calls)
            XCTAssertTrue(out.isFinite)
            let diff = zip(flat(out), exact).map { abs($0 - $1) }.max()!
            if model.calls == plain.cost().calls { XCTAssertEqual(diff, 0, "no skip must mean the exact result") }
        }
        XCTAssertTrue(sawSkip)
        XCTAssertLessThanOrEqual(previousCalls, 7 + 3, "threshold 5 skips nearly everything")
    }

    func testThresholdEntersKeysOfEveryStepRunButNotTheInitialState() throws {
        let inputs = makeInputs(scenario.source)
        func keys(_ threshold: Double) throws -> [CacheKey] {
            var c = SamplerConfiguration(seed: 1)
            c.stepCacheThreshold = threshold
            let s = try EditSampler(configuration: c, inputs: inputs)
            return (c.start...c.steps).map { s.cacheKey(atStep: $0) }
        }
        let off = try keys(0)
        let on = try keys(0.3)
        let other = try keys(0.5)
        XCTAssertEqual(off[0], on[0], "the initial state is the same with or without step caching")
        for k in 1..<off.count {
            XCTAssertNotEqual(off[k], on[k], "step \(k)")
            XCTAssertNotEqual(on[k], other[k], "step \(k)")
        }
        XCTAssertEqual(try keys(0), off, "off keeps the keys of a configuration without step caching")
        XCTAssertEqual(off, (6...20).map { try! EditSampler(configuration: SamplerConfiguration(seed: 1), inputs: inputs).cacheKey(atStep: $0) })
    }

    func testResumingWithStepCachingIsBitIdenticalAndNeedsTheMemory() throws {
        for variant in SamplerVariant.allCases {
            var config = SamplerConfiguration(variant: variant, seed: 2)
            config.stepCacheThreshold = 0.3
            let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
            var states: [StepState] = []
            let output = try XCTUnwrap(
                try sampler.run(model: scenario.mixture, observer: SamplerObserver(stateReached: { states.append($0) }))
                    .output)
            for state in states {
                let again = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
                let stored = StepState(
                    step: state.step, z: state.z, noise: state.noise, cacheKey: state.cacheKey, reuse: state.reuse)
                XCTAssertTrue(
                    try runToEnd(again, scenario.mixture, from: stored).isBitIdentical(to: output),
                    "\(variant) resumed at \(state.step)")
                if state.step > config.start {
                    let forgetful = StepState(step: state.step, z: state.z, noise: state.noise, cacheKey: state.cacheKey)
                    XCTAssertThrowsError(try again.checkResumable(forgetful)) { error in
                        XCTAssertTrue("\(error)".contains("step-cache memory"), "\(error)")
                    }
                }
            }
        }
    }

    func testOutOfRangeThresholdsAreRejected() {
        for bad in [-0.1, .nan, .infinity, StepCacheRule.maxThreshold + 1] {
            var c = SamplerConfiguration()
            c.stepCacheThreshold = bad
            XCTAssertThrowsError(try c.validate(), "\(bad)")
        }
    }
}
