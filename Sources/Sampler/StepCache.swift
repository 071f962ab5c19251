// Step caching (beyond the reference, TeaCache-style): skip a step's model calls when the model's answer
// is predicted to have changed little since the last real call, and answer from that call instead.
//
// Why the clean estimate and not the input or the raw velocity (measured on the built-in LipSync model,
// notes/stepcache.md): OmniEdit re-mixes fresh noise into `n` at every edit step (spec §4), so the model's
// input changes by 80–140 % (relative L1) from one edit step to the next and an input-change indicator
// never falls below any useful threshold there; the velocity `v ≈ n - x0` follows the noise and changes as
// much. The clean estimate `x̂0 = z - σ·v` changes by about a quarter of that. So the reused quantity is
// each request's `x̂0`, re-expressed for the new input as `v = (z - x̂0)/σ` (the velocity that points from
// the new noisy latent to the old clean estimate).
//
// The indicator predicts what a reused answer puts into the state: a step moves the state by
// `(σ'-σ)·v = (σ'-σ)/σ·(z - x̂0)`, so an `x̂0` stale by δ moves it wrongly by `(σ-σ')/σ · δ`; δ is predicted
// as the measured change of `x̂0` per step (between the last two real calls) times the steps since the
// last call. Summed over the steps answered from memory, this is compared with the threshold. Early,
// high-noise steps (small `(σ-σ')/σ`) are skipped readily, the last steps (the final one has weight 1:
// its output IS the clean estimate) almost never — skipping late steps is what cost picture quality
// with an unweighted indicator (notes/stepcache.md).

/// Which request of a step an answer belongs to, so each is reused from the same request of an earlier
/// step: the guided pair on the target state and the source branch on the source sequence (spec §4, §5).
public enum ReuseSlot: Int, Hashable, Sendable, CaseIterable {
    /// `v(Z, σ, c_src)` (FlowEdit: on `Zt`); absent when cfg = 1.
    case sourceOnTarget = 0
    /// `v(Z, σ, c_tgt)` (FlowEdit: on `Zt`).
    case targetOnTarget = 1
    /// `v(S, σ, c_src)`, the source branch of an edit step.
    case sourceOnSource = 2
}

/// One request's clean estimate at its last real model call.
public struct ReusedEstimate: Hashable, Sendable {
    public let slot: ReuseSlot
    /// `x̂0 = z - σ·v` of that call.
    public let cleanEstimate: Latent

    public init(slot: ReuseSlot, cleanEstimate: Latent) {
        self.slot = slot
        self.cleanEstimate = cleanEstimate
    }
}

/// What step caching remembers between steps; part of ``StepState`` so a resumed run decides exactly as
/// an uninterrupted one (spec §6 "resumed … identical").
public struct StepCacheMemory: Hashable, Sendable {
    /// The clean estimates of the last real call, one per slot it answered, in slot order.
    public var estimates: [ReusedEstimate]
    /// The step of that call.
    public var lastCallStep: Int
    /// Relative L1 change of the clean estimates per step between the last two real calls (the largest
    /// over the slots); nil until two calls were made.
    public var rate: Double?
    /// Predicted state error accumulated over the steps answered from memory since the last real call.
    public var accumulated: Double
    /// Requests answered from memory so far in this window (a count for reports and tests).
    public var requestsReused: Int

    public init(
        estimates: [ReusedEstimate], lastCallStep: Int, rate: Double?, accumulated: Double, requestsReused: Int
    ) {
        self.estimates = estimates
        self.lastCallStep = lastCallStep
        self.rate = rate
        self.accumulated = accumulated
        self.requestsReused = requestsReused
    }

    /// The estimate of `slot`, if the last call answered it.
    public func estimate(_ slot: ReuseSlot) -> Latent? {
        estimates.first { $0.slot == slot }?.cleanEstimate
    }
}

/// The decision of step caching, on numbers only: whether a step may be answered from memory.
///
/// `threshold` bounds the predicted relative error that answers from memory put into the state since
/// the last real call: step `i` is skipped when `accumulated + rate·(i - lastCall)·(σ_i - σ_{i+1})/σ_i ≤
/// threshold`. 0 turns step caching off (every step calls the model; the result is bit-identical to a
/// run without it).
public struct StepCacheRule: Hashable, Sendable {
    public var threshold: Double

    public init(threshold: Double) { self.threshold = threshold }

    /// Largest accepted threshold: beyond it almost every step after the second would be skipped.
    public static let maxThreshold = 10.0

    public var isEnabled: Bool { threshold > 0 }

    /// The predicted error of answering a step from memory: the clean estimate's staleness
    /// `rate · stepsSinceCall` times the step's weight `(σ - σ')/σ`; nil when it cannot be predicted.
    public static func predictedError(rate: Double?, stepsSinceCall: Int, sigma: Double, sigmaNext: Double)
        -> Double?
    {
        guard let rate, rate.isFinite, rate >= 0, stepsSinceCall > 0, sigma > 0, sigmaNext >= 0, sigmaNext < sigma
        else { return nil }
        return rate * Double(stepsSinceCall) * (sigma - sigmaNext) / sigma
    }

    /// Whether a step with `predicted` error (``predictedError(rate:stepsSinceCall:sigma:sigmaNext:)``) is
    /// answered from memory: caching on, a prediction (two real calls made), every slot the step needs
    /// remembered, and the accumulated prediction including this step within the threshold.
    public func reuses(predicted: Double?, accumulated: Double, slotsRemembered: Bool) -> Bool {
        guard isEnabled, slotsRemembered, let predicted else { return false }
        return accumulated + predicted <= threshold
    }

    /// The change per step from the relative L1 change `change / norm` over `steps` steps; nil when
    /// it cannot be measured (zero norm, non-finite sums, no steps between).
    public static func rate(change: Double, norm: Double, steps: Int) -> Double? {
        guard steps > 0, norm > 0, change.isFinite, norm.isFinite else { return nil }
        return change / norm / Double(steps)
    }

    /// The memory after a real call at `step` that answered `estimates`: the rate is measured against
    /// the previous call's estimates of the same slots (the largest), the accumulation restarts.
    public func memory(afterCallAt step: Int, estimates: [ReusedEstimate], previous: StepCacheMemory?)
        -> StepCacheMemory
    {
        var rate: Double? = nil
        if let previous {
            for e in estimates {
                guard let old = previous.estimate(e.slot), old.layout == e.cleanEstimate.layout else { continue }
                var change = 0.0
                var norm = 0.0
                for (a, b) in zip(e.cleanEstimate.parts, old.parts) {
                    let (c, n) = Kernels.l1Change(a.values, from: b.values)
                    change += c
                    norm += n
                }
                if let r = Self.rate(change: change, norm: norm, steps: step - previous.lastCallStep) {
                    rate = max(rate ?? r, r)
                }
            }
        }
        return StepCacheMemory(
            estimates: estimates.sorted { $0.slot.rawValue < $1.slot.rawValue }, lastCallStep: step, rate: rate,
            accumulated: 0, requestsReused: previous?.requestsReused ?? 0)
    }
}

extension EditSampler {
    /// The step-caching rule of this run.
    var stepCacheRule: StepCacheRule { StepCacheRule(threshold: configuration.stepCacheThreshold) }

    /// Answers the requests of step `i` (one per slot): from `memory` when the rule allows, else with one
    /// model batch whose clean estimates become the new memory. With caching off this is `evaluate`.
    func evaluateOrReuse(
        _ model: some VelocityModel, _ batch: [VelocityRequest], slots: [ReuseSlot], step i: Int,
        memory: inout StepCacheMemory?, name: String
    ) throws -> [Latent] {
        let rule = stepCacheRule
        guard rule.isEnabled else { return try evaluate(model, batch, step: name) }
        if let m = memory,
            let predicted = StepCacheRule.predictedError(
                rate: m.rate, stepsSinceCall: i - m.lastCallStep, sigma: sigmas[i], sigmaNext: sigmas[i + 1]),
            rule.reuses(
                predicted: predicted, accumulated: m.accumulated,
                slotsRemembered: slots.allSatisfy { m.estimate($0) != nil } && batch.allSatisfy { $0.sigma > 0 })
        {
            // v = (z - x̂0) / σ: the velocity from the new input to the remembered clean estimate.
            let velocities = zip(batch, slots).map { request, slot in
                Latent.axpby(1 / request.sigma, request.latent, -1 / request.sigma, m.estimate(slot)!)
            }
            memory!.accumulated += predicted
            memory!.requestsReused += batch.count
            return velocities
        }
        let velocities = try evaluate(model, batch, step: name)
        let estimates = zip(zip(batch, slots), velocities).map { pair, v in
            ReusedEstimate(slot: pair.1, cleanEstimate: Latent.axpby(1, pair.0.latent, -pair.0.sigma, v))
        }
        memory = rule.memory(afterCallAt: i, estimates: estimates, previous: memory)
        return velocities
    }

    /// The slots of ``guidedRequests(_:sigma:)``: the target call alone when cfg = 1.
    var guidedSlots: [ReuseSlot] {
        configuration.cfg == 1 ? [.targetOnTarget] : [.sourceOnTarget, .targetOnTarget]
    }
}
