import ArgumentParser
import Foundation
import Models
import Tensor
import TensorCPU

/// `omniedit bench-dit`: one Wan2.1 DiT forward at the real 1.3B configuration (random weights
/// generated in memory) on the CPU backend: seconds, effective GFLOP/s and peak memory.
///
/// The peer is `tools/bench/dit_torch.py`: the same forward (diffusers `WanTransformer3DModel`,
/// same config, latent, context and FLOP formula) in PyTorch CPU, run in the same session.
///
/// FLOPs counted (multiply-add = 2), per layer with L tokens, T text rows, d = dim, f = ffn:
/// self q,k,v,o 8·L·d²; self scores+values 4·L²·d; cross q,o 4·L·d²; cross k,v 4·T·d²;
/// cross scores+values 4·L·T·d; FFN 4·L·d·f; plus patch embedding, text/time embeddings and head.
struct BenchDiT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-dit", abstract: "One Wan2.1-1.3B DiT forward on the CPU backend (random weights).")

    @Option(help: "Latent frames (1×16×F×H×W; default 5 → 1950 tokens with 30×52).")
    var frames = 5

    @Option(help: "Latent height.")
    var height = 30

    @Option(help: "Latent width.")
    var width = 52

    @Option(help: "Transformer layers (30 in Wan2.1-1.3B; fewer for a quick look).")
    var layers = 30

    @Option(help: "Text rows given (zero-padded to 512 inside, as Wan).")
    var textRows = 512

    @Option(help: "Timed forwards (the best is reported) after one untimed warm-up when > 1.")
    var repeats = 1

    @Option(help: "Threads of the Swift kernels (default: all cores; set OPENBLAS_NUM_THREADS for BLAS to match).")
    var threads: Int?

    @Option(help: "Store the generated weights as f32, bf16 or f16.")
    var weightDtype = "f32"

    @Option(help: "Arithmetic of the linear layers: f32, bf16 (AVX512_BF16) or auto (bf16 for bf16 weights).")
    var precision = "f32"

    @Flag(help: "With --precision bf16|auto: also run f32 linear layers, alternating, and print the speed ratio and the error.")
    var againstF32 = false

    func run() throws {
        guard frames > 0, height > 0, width > 0, height % 2 == 0, width % 2 == 0, layers > 0, repeats >= 1,
            (1...512).contains(textRows)
        else { throw ValidationError("sizes must be positive, H and W even, text rows 1…512") }
        guard let dtype = DType(rawValue: weightDtype) else { throw ValidationError("--weight-dtype f32|bf16|f16") }
        var config = WanConfig.wan1_3B
        config.numLayers = layers
        guard let linearPrecision = CPUPrecision(rawValue: precision) else {
            throw ValidationError("--precision f32|bf16|auto")
        }
        let cpu = try CPUBackend(threads: threads, precision: linearPrecision)
        print("device: \(cpu.device)")
        let tokens = frames * (height / 2) * (width / 2)
        print(
            "config: Wan2.1-1.3B (dim \(config.dim), \(layers) layers, \(config.numHeads) heads, ffn \(config.ffnDim)), latent 1×16×\(frames)×\(height)×\(width), \(tokens) tokens, weights \(dtype)"
        )

        let start = Date()
        var reader = try WeightReader(generating: Self.randomWeights(on: cpu, dtype: dtype), backend: cpu)
        let model = try WanDiT(config: config, reader: &reader)
        print(String(format: "weights generated: %.1f s", Date().timeIntervalSince(start)))

        var noise = SplitMix64(seed: 7)
        let inputs = WanDiTInputs(
            x: try cpu.upload(
                noise.uniform(16 * frames * height * width, scale: 1), shape: [16, frames, height, width], dtype: .f32),
            timestep: 500,
            context: try cpu.upload(noise.uniform(textRows * 4096, scale: 1), shape: [textRows, 4096], dtype: .f32))
        if repeats > 1 { _ = try model.velocity(inputs, on: cpu) }
        var best = Double.infinity
        var cpuSeconds = 0.0
        var checksum: Float = 0
        for _ in 0..<repeats {
            let t0 = Date()
            let c0 = Self.processCPUSeconds()
            let v = try model.velocity(inputs, on: cpu)
            let wall = Date().timeIntervalSince(t0)
            if wall < best { (best, cpuSeconds) = (wall, Self.processCPUSeconds() - c0) }
            checksum = try cpu.download(v).reduce(0) { $0 + abs($1) }
        }
        let flops = Self.flops(
            config, tokens: tokens, textLen: config.textLen, latentValues: 16 * frames * height * width)
        print(
            String(
                format: "forward: %.2f s, %.1f GFLOP (counted), %.1f GFLOP/s effective", best, flops / 1e9,
                flops / best / 1e9))
        // CPU time beside wall time: the cores are shared, so wall time alone depends on the neighbours.
        print(
            String(
                format: "process CPU time during the forward: %.2f s (%.2f cores busy)", cpuSeconds, cpuSeconds / best))
        print(String(format: "peak memory (max RSS): %.2f GiB", Self.peakRSSGiB()))
        print(String(format: "output mean |v|: %.4f", checksum / Float(16 * frames * height * width)))
        if linearPrecision != .f32 && againstF32 {
            // The same model and inputs through f32 linear layers, alternating with the precision
            // asked for, so both see the same load from other processes; and the error between them.
            let f32 = try CPUBackend(threads: threads, precision: .f32)
            var bestF32 = Double.infinity
            var bestOther = Double.infinity
            var (reference, other) = ([Float](), [Float]())
            for _ in 0..<max(2, repeats) {
                var t0 = Date()
                reference = try f32.download(try model.velocity(inputs, on: f32))
                bestF32 = min(bestF32, Date().timeIntervalSince(t0))
                t0 = Date()
                other = try cpu.download(try model.velocity(inputs, on: cpu))
                bestOther = min(bestOther, Date().timeIntervalSince(t0))
            }
            let diff = zip(other, reference).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            let norm = reference.reduce(0.0) { $0 + Double($1 * $1) }
            let worst = zip(other, reference).map { abs($0 - $1) }.max() ?? 0
            let scale = reference.map(abs).max() ?? 1
            print(
                String(
                    format: "alternating with f32 linear layers: f32 %.2f s, %@ %.2f s → %.2f× the f32 speed",
                    bestF32, precision, bestOther, bestF32 / bestOther))
            print(
                String(
                    format: "%@ vs f32 output: relative L2 error %.2e, max |Δ| / max |v| %.2e", precision,
                    (diff / max(norm, 1e-30)).squareRoot(), worst / max(scale, 1e-30)))
        }
    }

    /// Counted FLOPs of one forward (see the type's documentation).
    static func flops(_ c: WanConfig, tokens l: Int, textLen t: Int, latentValues: Int) -> Double {
        let (L, T, d, f) = (Double(l), Double(t), Double(c.dim), Double(c.ffnDim))
        let perLayer = 8 * L * d * d + 4 * L * L * d + 4 * L * d * d + 4 * T * d * d + 4 * L * T * d + 4 * L * d * f
        let patch = 2 * L * d * Double(c.inDim * 4)
        let text = 2 * T * Double(c.textDim) * d + 2 * T * d * d
        let time = 2 * Double(c.freqDim) * d + 2 * d * d + 2 * d * 6 * d
        let head = 2 * L * d * Double(c.headOutFeatures)
        return Double(c.numLayers) * perLayer + patch + text + time + head
    }

    /// Weights with a sensible scale: matrices uniform with variance 1/fan_in, biases ±0.02,
    /// norm gains 1 ± 0.1, modulation tables ±0.05.
    static func randomWeights(on cpu: CPUBackend, dtype: DType) -> @Sendable (String, [Int]) throws -> Tensor {
        { key, shape in
            // FNV-1a of the key: the same weights in every run (Swift's hashValue is seeded per process).
            var rng = SplitMix64(seed: key.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 })
            let count = shape.reduce(1, *)
            let values: [Float]
            if key.hasSuffix("modulation") {
                values = rng.uniform(count, scale: 0.05)
            } else if key.hasSuffix(".bias") {
                values = rng.uniform(count, scale: 0.02)
            } else if shape.count == 1 {
                values = rng.uniform(count, scale: 0.1).map { 1 + $0 }
            } else {
                let fanIn = shape.dropFirst().reduce(1, *)
                values = rng.uniform(count, scale: (3 / Float(fanIn)).squareRoot())
            }
            return try cpu.upload(values, shape: shape, dtype: shape.count >= 2 ? dtype : .f32)
        }
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func peakRSSGiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024 / Double(1 << 30)
    }
}
