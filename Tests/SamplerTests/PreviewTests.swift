import XCTest

@testable import Sampler

/// Spec §6: the timeline shows `x0 = Z - σ·vp` at a cached step.
final class PreviewTests: XCTestCase {
    let scenario = Scenario.make()

    func testPreviewIsStateMinusSigmaTimesGuidedVelocity() throws {
        let config = SamplerConfiguration.lipSync(seed: 2)
        let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
        var states: [StepState] = []
        _ = try sampler.run(model: scenario.mixture, observer: SamplerObserver(stateReached: { states.append($0) }))
        let state = states[4]
        let requests = sampler.previewRequests(for: state)
        XCTAssertEqual(requests.map(\.role), [.source, .target])
        let sigma = sampler.sigmas[state.step]
        XCTAssertTrue(requests.allSatisfy { $0.sigma == sigma && $0.latent.isBitIdentical(to: state.z) })
        let preview = try sampler.x0Preview(of: state, velocities: try scenario.mixture.velocities(for: requests))
        let z = flat(state.z)
        let vs = scenario.mixture.velocity(z, sigma: sigma, role: .source)
        let vt = scenario.mixture.velocity(z, sigma: sigma, role: .target)
        let expected = z.indices.map { z[$0] - sigma * (vs[$0] + 4.5 * (vt[$0] - vs[$0])) }
        XCTAssertLessThanOrEqual(toleranceRatio(flat(preview), expected, atol: 1e-5, rtol: 1e-5), 1)
        XCTAssertThrowsError(try sampler.x0Preview(of: state, velocities: []))
    }

    /// FlowEdit's edit sequence E is already a clean estimate, and the finished state is at σ = 0.
    func testCleanStatesNeedNoModelCall() throws {
        let config = SamplerConfiguration(variant: .flowEdit, seed: 2)
        let sampler = try EditSampler(configuration: config, inputs: makeInputs(scenario.source))
        var states: [StepState] = []
        _ = try sampler.run(model: scenario.mixture, observer: SamplerObserver(stateReached: { states.append($0) }))
        for state in states {
            let clean = state.step <= config.firstPlainStep || state.step == config.steps
            XCTAssertEqual(sampler.previewRequests(for: state).isEmpty, clean, "step \(state.step)")
            if clean { XCTAssertTrue(try sampler.x0Preview(of: state, velocities: []).isBitIdentical(to: state.z)) }
        }
    }
}
