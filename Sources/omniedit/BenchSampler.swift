import ArgumentParser
import Foundation
import Sampler

/// `omniedit bench-sampler`: the sampler's own cost per step, everything except the model.
///
/// The velocity model returns one precomputed latent for every request, so what is timed is the
/// sampler's arithmetic (state mixing, guidance, noise generation, rescale, the update, finiteness checks)
/// and its bookkeeping (layout checks, cache keys). Spec §4 budget: negligible next to one model call.
///
/// Peer, same run: the same edit and plain step written plainly (one `map`/`zip` pass per formula of spec
/// §4, libm Box–Muller, one thread), and one copy of the latent as the memory-bandwidth floor. Ours and the
/// peer alternate repeat by repeat, so a burst of load from other processes hits both; medians are printed.
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

    @Option(help: "Windows to sample (each a full LipSync-default run), alternating with the peer.")
    var repeats: Int = 3

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
        print(
            "latent: video \(dims) + audio \(audio) = \(source.count) floats; variant \(chosen.rawValue); "
                + "LipSync grid T \(config.steps), start \(config.start), end \(config.end), cfg \(config.cfg); "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores")

        var setup: [Double] = []
        var initial: [Double] = []
        var edit: [Double] = []
        var plain: [Double] = []
        var naiveEdit: [Double] = []
        var naivePlain: [Double] = []
        var copy: [Double] = []
        let x0 = source.parts[0].values
        let v = model.velocity.parts[0].values
        for _ in 0..<repeats {
            var sampler: EditSampler?
            setup.append(try Self.ms { sampler = try EditSampler(configuration: config, inputs: inputs) })
            guard let sampler else { return }
            var state: StepState?
            initial.append(try Self.ms { state = try sampler.initialState(model: model) })
            guard var current = state else { return }
            while current.step < config.steps {
                let i = current.step
                let t = try Self.ms { current = try sampler.step(current, model: model) }
                if config.isEditStep(i) { edit.append(t) } else { plain.append(t) }
            }
            // The peer on the video part, at the first edit step's σ values.
            let (s, s2) = (Float(sampler.sigmas[6]), Float(sampler.sigmas[7]))
            naiveEdit.append(
                try Self.ms { _ = Self.naiveEditStep(z: x0, x0: x0, n: v, v: v, sigma: s, sigmaNext: s2, cfg: 4.5) })
            naivePlain.append(try Self.ms { _ = Self.naivePlainStep(z: x0, v: v, sigma: s, sigmaNext: s2, cfg: 4.5) })
            copy.append(try Self.ms { _ = x0.withUnsafeBufferPointer { Array($0) } })
        }
        let row = { (name: String, ours: [Double], peer: [Double]) in
            let (o, p) = (Self.median(ours), Self.median(peer))
            print(
                name.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + String(format: "%9.2f %12.2f %9.1fx", o, p, p / o))
        }
        print("per step, model excluded (ms)   ours    naive peer   speedup")
        row("edit step (3 velocities)", edit, naiveEdit)
        row("plain step (2 velocities)", plain, naivePlain)
        print(String(format: "one copy of the video part (memory floor): %.2f ms", Self.median(copy)))
        print(String(format: "setup per window (validation + SHA-256 of X0): %.2f ms", Self.median(setup)))
        print(String(format: "initial state per window (model excluded): %.2f ms", Self.median(initial)))
        let total = edit.reduce(0, +) + plain.reduce(0, +)
        print(String(format: "mean over all steps: %.2f ms/step", total / Double(edit.count + plain.count)))
    }

    static func ms(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? .nan : s[s.count / 2]
    }

    /// Spec §4's edit step transcribed plainly: guidance, S, n̂, libm Box–Muller ε, mix, rescale, update.
    static func naiveEditStep(
        z: [Float], x0: [Float], n: [Float], v: [Float], sigma: Float, sigmaNext: Float, cfg: Float
    )
        -> ([Float], [Float])
    {
        let vp = zip(v, v).map { $0 + cfg * ($1 - $0) }
        let s = zip(x0, n).map { (1 - sigma) * $0 + sigma * $1 }
        let nHat = zip(s, v).map { $0 + (1 - sigma) * $1 }
        var eps = [Float](repeating: 0, count: n.count)
        for j in stride(from: 0, to: n.count, by: 4) {
            let w = Philox4x32.block(counter: SIMD4(UInt32(j / 4), 6, 0, 1 << 24), key: SIMD2(1, 0))
            let words = [w.x, w.y, w.z, w.w]
            for pair in 0..<2 {
                let r = (-2 * log((Double(words[2 * pair]) + 1) / 4_294_967_296)).squareRoot()
                let a = 2 * Double.pi * Double(words[2 * pair + 1]) / 4_294_967_296
                for (k, value) in [r * cos(a), r * sin(a)].enumerated() where j + 2 * pair + k < n.count {
                    eps[j + 2 * pair + k] = Float(value)
                }
            }
        }
        var n2 = zip(nHat, eps).map { (1 - sigma) * $0 + sigma * $1 }
        let norm = n2.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let k = Float(Double(n2.count).squareRoot() / norm)
        n2 = n2.map { $0 * k }
        let out = z.indices.map { i in
            z[i] + (sigmaNext - sigma) * (vp[i] - v[i]) + (sigma - sigmaNext) * x0[i] + sigmaNext * n2[i] - sigma * n[i]
        }
        return (out, n2)
    }

    /// Spec §4's plain step transcribed plainly: guidance, then Euler.
    static func naivePlainStep(z: [Float], v: [Float], sigma: Float, sigmaNext: Float, cfg: Float) -> [Float] {
        let vp = zip(v, v).map { $0 + cfg * ($1 - $0) }
        return zip(z, vp).map { $0 + (sigmaNext - sigma) * $1 }
    }
}
