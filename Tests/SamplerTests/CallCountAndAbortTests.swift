import XCTest

@testable import Sampler

/// Spec §4 "Cost per window" and the abort/progress contract.
final class CallCountAndAbortTests: XCTestCase {
    let scenario = Scenario.make()

    func testHumoDefaultsCostFortyCallsInFifteenBatches() throws {
        let config = SamplerConfiguration.lipSync(seed: 1)
        XCTAssertEqual(config.cost().calls, 40)
        XCTAssertEqual(config.cost().batches, 15)
        let model = RecordingModel(scenario.mixture)
        _ = try runToEnd(try EditSampler(configuration: config, inputs: makeInputs(scenario.source)), model)
        // 1 initial call, 11 edit steps (6...16) of 3, 3 plain steps (17...19) of 2.
        XCTAssertEqual(model.batches.map(\.count), [1] + Array(repeating: 3, count: 11) + Array(repeating: 2, count: 3))
        XCTAssertEqual(model.calls, 40)
        // The initial call is on the clean source at σ_{T-1} under c_src; the edit batch is
        // [v(Z, c_src), v(Z, c_tgt), v(S, c_src)] at σ_i.
        XCTAssertEqual(model.batches[0][0].sigma, try StepGrid.humoDefault.sigmas()[19])
        XCTAssertEqual(model.batches[0][0].role, .source)
        XCTAssertTrue(model.batches[0][0].latent.isBitIdentical(to: scenario.source))
        XCTAssertEqual(model.batches[1].map(\.role), [.source, .target, .source])
        XCTAssertEqual(model.batches[1].map(\.sigma), Array(repeating: try StepGrid.humoDefault.sigmas()[6], count: 3))
    }

    func testCallCountsForEveryVariantAndGuidance() throws {
        for variant in SamplerVariant.allCases {
            for cfg in [1.0, 4.5] {
                for (start, end) in [(6, 16), (6, 3), (0, 30)] {
                    let config = SamplerConfiguration(variant: variant, start: start, end: end, cfg: cfg, seed: 2)
                    let edits = max(0, min(end, 19) - start + 1)
                    let plains = 20 - start - edits
                    let perEdit = cfg == 1 ? 2 : 3
                    let perPlain = cfg == 1 ? 1 : 2
                    let initial = variant == .flowEdit ? 0 : 1
                    let model = RecordingModel(scenario.mixture)
                    _ = try runToEnd(try EditSampler(configuration: config, inputs: makeInputs(scenario.source)), model)
                    let label = "\(variant) cfg \(cfg) start \(start) end \(end)"
                    XCTAssertEqual(model.calls, initial + perEdit * edits + perPlain * plains, label)
                    XCTAssertEqual(model.batches.count, initial + edits + plains, label)
                    XCTAssertEqual(config.cost().calls, model.calls, label)
                    XCTAssertEqual(config.cost().batches, model.batches.count, label)
                }
            }
        }
    }

    func testAVEditDefaultsCost() {
        let config = SamplerConfiguration.avEdit()
        XCTAssertEqual(config.cost().calls, 1 + 28 * 3)
        XCTAssertEqual(config.cost().batches, 29)
        XCTAssertFalse(config.rescaleInitialNoise)
    }

    func testProgressCountsEveryCallUpToTheTotal() throws {
        let config = SamplerConfiguration.lipSync(seed: 3)
        var reports: [SamplerProgress] = []
        let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
        _ = try sampler.run(model: scenario.mixture, observer: SamplerObserver(progress: { reports.append($0) }))
        XCTAssertEqual(reports.map(\.callsDone), [1] + (1...11).map { 1 + 3 * $0 } + (1...3).map { 34 + 2 * $0 })
        XCTAssertTrue(reports.allSatisfy { $0.callsTotal == 40 })
        XCTAssertEqual(reports.map(\.step), Array(6...20))
    }

    /// Aborting after any number of model batches returns the last completed state and no output; resuming
    /// it finishes bit-identically to an uninterrupted run, and the resumed progress continues the count.
    func testAbortReturnsResumableStateAndNoOutput() throws {
        for variant in SamplerVariant.allCases {
            let config = SamplerConfiguration(variant: variant, seed: 4)
            let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
            let full = try runToEnd(sampler, scenario.mixture)
            let totalBatches = config.cost().batches
            for allowed in 0..<totalBatches {
                let model = RecordingModel(scenario.mixture)
                let outcome = try sampler.run(
                    model: model, observer: SamplerObserver(shouldAbort: { model.batches.count >= allowed }))
                XCTAssertNil(outcome.output, "\(variant) abort after \(allowed) batches")
                XCTAssertEqual(model.batches.count, allowed)
                guard case .aborted(let last) = outcome else { return XCTFail("not aborted") }
                let initial = variant == .flowEdit ? 0 : 1
                if allowed == 0 && initial == 1 {
                    XCTAssertNil(last)
                    continue
                }
                let state = try XCTUnwrap(last)
                XCTAssertEqual(state.step, config.start + allowed - initial)
                var resumedProgress: [Int] = []
                let resumed = try sampler.run(
                    model: scenario.mixture, resumingFrom: state,
                    observer: SamplerObserver(progress: { resumedProgress.append($0.callsDone) }))
                XCTAssertTrue(
                    try XCTUnwrap(resumed.output).isBitIdentical(to: full), "\(variant) resumed after \(allowed)")
                XCTAssertEqual(resumedProgress.last, config.cost().calls)
            }
        }
    }

    func testModelErrorsPropagate() throws {
        struct Broken: Error {}
        struct Failing: VelocityModel {
            func velocities(for batch: [VelocityRequest]) throws -> [Latent] { throw Broken() }
        }
        let sampler = try EditSampler(configuration: .lipSync(), inputs: makeInputs(scenario.source))
        XCTAssertThrowsError(try sampler.run(model: Failing())) { XCTAssertTrue($0 is Broken) }
    }
}
