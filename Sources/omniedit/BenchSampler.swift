import ArgumentParser
import Foundation
import Sampler

/// `omniedit bench-sampler`: the sampler's own cost per step, everything except the model.
///
/// The velocity model returns one precomputed latent for every request, so what is timed is the
/// sampler's arithmetic (state mixing, guidance, noise generation, rescale, the update, finiteness checks)
/// and its bookkeeping (layout checks, cache keys). Spec §4 budget: negligible next to one model call.
struct BenchSampler: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-sampler",
        abstract: "Measure the OmniEdit sampler's own overhead per step (model calls excluded).")

    @Option(help: "Latent shape C,F,H,W of the video part.")
    var shape: String = "16,26,60,104"

    @Option(help: "Elements of an extra 'audio' part (0: video only).")
    var audio: Int = 0

    @Option(help: "Variant: omniEdit, omniEditRandomNoise or flowEdit.")
    var variant: String = "omniEdit"

    @Option(help: "Windows to sample (each a full LipSync-default run).")
    var repeats: Int = 2

    /// Answers every request with the same precomputed velocity: the model costs nothing.
    struct ConstantModel: VelocityModel {
        let velocity: Latent
        func velocities(for batch: [VelocityRequest]) throws -> [Latent] {
            Array(repeating: velocity, count: batch.count)
        }
    }

    func run() throws {
        let dims = shape.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count == 4, dims.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--shape needs four positive integers, got '\(shape)'")
        }
        guard let chosen = SamplerVariant(rawValue: variant) else {
            throw ValidationError("--variant must be one of \(SamplerVariant.allCases.map(\.rawValue))")
        }
        guard repeats > 0, audio >= 0 else { throw ValidationError("--repeats must be > 0 and --audio ≥ 0") }
        let count = dims.reduce(1, *)

        // Source and velocity: deterministic noise, so the run is the same every time.
        func noise(_ n: Int, _ step: Int, _ part: String) throws -> [Float] {
            try GaussianNoise.values(
                count: n, key: NoiseKey(seed: 99, window: 0, step: step, stream: .editMixing, part: part))
        }
        var parts = [try LatentPart(name: "video", shape: dims, values: try noise(count, 0, "video"))]
        var velocityParts = [try LatentPart(name: "video", shape: dims, values: try noise(count, 1, "video"))]
        if audio > 0 {
            parts.append(try LatentPart(name: "audio", shape: [audio], values: try noise(audio, 0, "audio")))
            velocityParts.append(try LatentPart(name: "audio", shape: [audio], values: try noise(audio, 1, "audio")))
        }
        let source = try Latent(parts: parts)
        let model = ConstantModel(velocity: try Latent(parts: velocityParts))
        let config = SamplerConfiguration(variant: chosen, seed: 1)
        let inputs = SamplerInputs(
            source: source, sourceConditionDigest: [1], targetConditionDigest: [2], modelIdentity: "bench")

        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
        }
        print(
            "latent: video \(dims) + audio \(audio) = \(source.count) floats; variant \(chosen.rawValue); "
                + "LipSync grid T \(config.steps), start \(config.start), end \(config.end), cfg \(config.cfg); "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
        var setup: [Double] = []
        var initial: [Double] = []
        var edit: [Double] = []
        var plain: [Double] = []
        var noiseTimes: [Double] = []
        for r in 0..<repeats {
            var sampler: EditSampler?
            setup.append(ms(try clock.measure { sampler = try EditSampler(configuration: config, inputs: inputs) }))
            guard let sampler else { return }
            var state: StepState?
            initial.append(ms(try clock.measure { state = try sampler.initialState(model: model) }))
            guard var current = state else { return }
            while current.step < config.steps {
                let i = current.step
                let t = ms(try clock.measure { current = try sampler.step(current, model: model) })
                if config.isEditStep(i) { edit.append(t) } else { plain.append(t) }
            }
            noiseTimes.append(ms(try clock.measure { _ = try noise(count, 2 + r, "video") }))
        }
        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? .nan : s[s.count / 2]
        }
        let perStep = (edit.reduce(0, +) + plain.reduce(0, +)) / Double(edit.count + plain.count)
        print(String(format: "setup (validation + SHA-256 of X0): %8.2f ms per window (median)", median(setup)))
        print(String(format: "initial state:                      %8.2f ms per window (median)", median(initial)))
        print(
            String(format: "edit step:                          %8.2f ms/step (median of %d)", median(edit), edit.count)
        )
        print(
            String(
                format: "plain step:                         %8.2f ms/step (median of %d)", median(plain), plain.count))
        print(String(format: "mean over all steps:                %8.2f ms/step", perStep))
        print(String(format: "of which noise for one part:        %8.2f ms (median)", median(noiseTimes)))
    }
}
