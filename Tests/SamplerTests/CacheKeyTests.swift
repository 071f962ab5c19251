import XCTest

@testable import Sampler

/// Spec §6: a state's key covers exactly what influenced it, so later-only changes keep earlier states.
final class CacheKeyTests: XCTestCase {
    let scenario = Scenario.make()

    func keys(_ config: SamplerConfiguration, _ inputs: SamplerInputs? = nil) throws -> [CacheKey] {
        let sampler = try EditSampler(configuration: config, inputs: inputs ?? makeInputs(scenario.source))
        return (config.start...config.steps).map { sampler.cacheKey(atStep: $0) }
    }

    /// Index of the first step whose key differs (keys are listed from `start`).
    func firstDifference(_ a: [CacheKey], _ b: [CacheKey]) -> Int? {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }.map { $0.offset + 6 }
    }

    func testKeysAreDistinctPerStepAndStable() throws {
        let k = try keys(.lipSync(seed: 1))
        XCTAssertEqual(Set(k).count, k.count)
        XCTAssertEqual(try keys(.lipSync(seed: 1)), k)
        XCTAssertEqual(k[0].bytes.count, 32)
        XCTAssertEqual(k[0].description.count, 64)
    }

    func testWhichParametersInvalidateWhichSteps() throws {
        let base = SamplerConfiguration.lipSync(seed: 1)
        let baseKeys = try keys(base)
        func changed(_ edit: (inout SamplerConfiguration) -> Void) throws -> Int? {
            var c = base
            edit(&c)
            return firstDifference(baseKeys, try keys(c))
        }
        // cfg, the variant and the seed first act at step 6 (state 7); the initial state survives them.
        XCTAssertEqual(try changed { $0.cfg = 3 }, 7)
        XCTAssertEqual(try changed { $0.variant = .omniEditRandomNoise }, 7)
        XCTAssertEqual(try changed { $0.seed = 2 }, 7)
        XCTAssertEqual(try changed { $0.window = 5 }, 7)
        // end 16 → 18: steps 6...16 edit in both; step 17 differs, so states up to 17 are shared.
        XCTAssertEqual(try changed { $0.end = 18 }, 18)
        XCTAssertEqual(try changed { $0.end = 12 }, 14)
        // The grid, start and the initial rescale shape the initial state itself.
        XCTAssertEqual(try changed { $0.grid = .shifted(steps: 20, shift: 4) }, 6)
        XCTAssertEqual(try changed { $0.rescaleInitialNoise = false }, 6)
        XCTAssertNil(try changed { $0.end = 16 })
    }

    func testEndBeyondLastStepIsNormalised() throws {
        let a = SamplerConfiguration(end: 19, seed: 1)
        let b = SamplerConfiguration(end: 500, seed: 1)
        XCTAssertEqual(try keys(a), try keys(b))
    }

    func testSeedDoesNotEnterOmniEditKeysWithoutEditSteps() throws {
        // end < start: OmniEdit draws no noise, so the seed cannot have influenced any state.
        let a = SamplerConfiguration(start: 6, end: 2, seed: 1)
        var b = a
        b.seed = 99
        XCTAssertEqual(try keys(a), try keys(b))
        // FlowEdit re-noises at its first plain step, so its later states depend on the seed.
        var fa = a
        fa.variant = .flowEdit
        var fb = fa
        fb.seed = 99
        XCTAssertEqual(firstDifference(try keys(fa), try keys(fb)), 7)
    }

    func testInputsEnterEveryKeyTheyInfluence() throws {
        let base = try keys(.lipSync(seed: 1))
        var shifted = flat(scenario.source)
        shifted[150] += 1e-3
        XCTAssertEqual(firstDifference(base, try keys(.lipSync(seed: 1), makeInputs(avLatent(shifted)))), 6)
        XCTAssertEqual(
            firstDifference(base, try keys(.lipSync(seed: 1), makeInputs(scenario.source, model: "other"))), 6)
        // c_tgt is first used by step 6.
        XCTAssertEqual(firstDifference(base, try keys(.lipSync(seed: 1), makeInputs(scenario.source, target: [3]))), 7)
    }

    func testResumingWithAStateOfAnotherRunThrows() throws {
        let sampler = try EditSampler(configuration: .lipSync(seed: 1), inputs: makeInputs(scenario.source))
        var states: [StepState] = []
        _ = try sampler.run(model: scenario.mixture, observer: SamplerObserver(stateReached: { states.append($0) }))
        let other = try EditSampler(configuration: .lipSync(seed: 2), inputs: makeInputs(scenario.source))
        // The initial state is shared (the seed has not acted yet); a later one is not.
        XCTAssertNoThrow(try other.checkResumable(states[0]))
        XCTAssertThrowsError(try other.run(model: scenario.mixture, resumingFrom: states[3])) { error in
            guard case SamplerError.stateMismatch(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("cache key"), message)
        }
        let forged = StepState(step: 25, z: states[0].z, noise: states[0].noise, cacheKey: states[0].cacheKey)
        XCTAssertThrowsError(try sampler.checkResumable(forged))
        let noNoise = StepState(step: 6, z: states[0].z, noise: nil, cacheKey: states[0].cacheKey)
        XCTAssertThrowsError(try sampler.checkResumable(noNoise))
    }
}
