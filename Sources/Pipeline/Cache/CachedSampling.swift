// Pipeline — one window's sampler run through the step cache, shared by every job: resume from the
// deepest cached step that is still valid, store each step reached, stop at the user's preview step.
import Foundation
import Sampler

extension CacheStore {
    /// Runs `sampler` up to the goal step (`previewStep`, or the last step when it is 0), resuming from
    /// the deepest cached state between the goal and the edit start, and storing every state reached.
    /// Returns the clean latent (the final state, or the sampler's x0 preview at the goal) and the
    /// seconds spent inside `EditSampler.run`. `progress` hears this window's fraction done.
    /// - Throws: `PipelineError.aborted` when `shouldAbort` stopped the run before the goal.
    func sample(
        _ sampler: EditSampler, model velocity: some VelocityModel, previewStep: Int,
        progress: @escaping (Double) -> Void, shouldAbort: @escaping () -> Bool
    ) throws -> (clean: Latent, seconds: Double) {
        let config = sampler.configuration
        let goal = previewStep == 0 ? config.steps : min(max(previewStep, config.start), config.steps)
        var resume: StepState? = nil
        for k in stride(from: goal, through: config.start, by: -1) {
            if let s = step(sampler.cacheKey(atStep: k)), (try? sampler.checkResumable(s)) != nil {
                resume = s
                break
            }
        }
        var reached: StepState? = resume.flatMap { $0.step >= goal ? $0 : nil }
        var seconds = 0.0
        if reached == nil {
            let observer = SamplerObserver(
                progress: { p in progress(Double(p.callsDone) / Double(max(1, p.callsTotal))) },
                shouldAbort: { reached != nil || shouldAbort() },
                stateReached: { state in
                    self.putStep(state)
                    if state.step >= goal { reached = state }
                })
            let started = DispatchTime.now().uptimeNanoseconds
            let outcome = try sampler.run(model: velocity, resumingFrom: resume, observer: observer)
            seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if case .completed(_, let final) = outcome { reached = final }
        }
        guard let state = reached else { throw PipelineError.aborted }
        let requests = sampler.previewRequests(for: state)
        guard !requests.isEmpty else { return (state.z, seconds) }
        return (try sampler.x0Preview(of: state, velocities: velocity.velocities(for: requests)), seconds)
    }
}
