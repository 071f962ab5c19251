import XCTest

@testable import Sampler

/// Spec §6 "Determinism" and "Per-step cache": same seed ⇒ same bits, resume ⇒ same bits.
final class DeterminismAndResumeTests: XCTestCase {
    let scenario = Scenario.make()

    func configs() -> [SamplerConfiguration] {
        SamplerVariant.allCases.flatMap { variant in
            [
                SamplerConfiguration(variant: variant, seed: 21, window: 1),
                SamplerConfiguration(
                    variant: variant, grid: .ltx2(steps: 10, mu: 2.05, terminal: 0.1), start: 3, end: 9, cfg: 10,
                    seed: 22,
                    rescaleInitialNoise: false),
            ]
        }
    }

    func testSameSeedGivesBitIdenticalOutput() throws {
        for config in configs() {
            let a = try runToEnd(
                try EditSampler(configuration: config, inputs: makeInputs(scenario.source)), scenario.mixture)
            let b = try runToEnd(
                try EditSampler(configuration: config, inputs: makeInputs(scenario.source)), scenario.mixture)
            XCTAssertTrue(a.isBitIdentical(to: b), "\(config.variant)")
        }
    }

    /// On the non-linear mixture field the drawn noise changes the edit, so seeds and windows must matter.
    func testDifferentSeedOrWindowGivesDifferentOutput() throws {
        for config in configs() {
            let base = flat(
                try runToEnd(
                    try EditSampler(configuration: config, inputs: makeInputs(scenario.source)), scenario.mixture))
            var reseeded = config
            reseeded.seed += 1
            var otherWindow = config
            otherWindow.window += 1
            for changed in [reseeded, otherWindow] {
                let sampler = try EditSampler(configuration: changed, inputs: makeInputs(scenario.source))
                let out = flat(try runToEnd(sampler, scenario.mixture))
                let maxDiff = zip(out, base).map { abs($0 - $1) }.max()!
                XCTAssertGreaterThan(maxDiff, 1e-3, "\(config.variant) seed \(changed.seed) window \(changed.window)")
            }
        }
    }

    func testResumingFromEveryStepIsBitIdentical() throws {
        for config in configs() {
            let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
            var states: [StepState] = []
            let full = try sampler.run(
                model: scenario.mixture, observer: SamplerObserver(stateReached: { states.append($0) }))
            let output = try XCTUnwrap(full.output)
            XCTAssertEqual(states.map(\.step), Array(config.start...config.steps))
            for state in states {
                // A fresh sampler, as after a restart; the state rebuilt field by field, as from a cache.
                let again = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
                let stored = StepState(step: state.step, z: state.z, noise: state.noise, cacheKey: state.cacheKey)
                let resumed = try runToEnd(again, scenario.mixture, from: stored)
                XCTAssertTrue(resumed.isBitIdentical(to: output), "\(config.variant) resumed at \(state.step)")
            }
        }
    }

    func testSingleStepsComposeToTheRun() throws {
        let config = SamplerConfiguration(seed: 4)
        let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
        var state = try sampler.initialState(model: scenario.mixture)
        while state.step < config.steps { state = try sampler.step(state, model: scenario.mixture) }
        XCTAssertTrue(state.z.isBitIdentical(to: try runToEnd(sampler, scenario.mixture)))
        XCTAssertThrowsError(try sampler.step(state, model: scenario.mixture)) { error in
            XCTAssertTrue("\(error)".contains("finished"), "\(error)")
        }
    }
}
