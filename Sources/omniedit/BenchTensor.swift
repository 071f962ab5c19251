import ArgumentParser
import Foundation
import Tensor
import TensorCPU

#if canImport(TensorVulkan)
    import TensorVulkan
#endif

/// `omniedit bench-tensor`: throughput of the compute runtime on the Wan2.1-1.3B shapes.
///
/// - GEMM: our `linear` (bias included, output allocated per call) vs raw `cblas_sgemm` on
///   preallocated buffers, same operands; ratio = our GFLOP/s ÷ raw GFLOP/s (target ≥ 0.9).
///   FLOPs = 2·tokens·in·out.
/// - Attention: 12 heads × 128 dims, FLOPs = 4·L²·heads·dim (QKᵀ and PV), tiled online softmax.
/// - The same linear and attention on the Vulkan backend when a device exists (`--vulkan`).
/// Each figure is the best of `--repeats` runs after one warm-up.
struct BenchTensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tensor",
        abstract: "GEMM and attention throughput of the CPU (and Vulkan) tensor backends on Wan-1.3B shapes.")

    @Option(help: "Token counts for the GEMM and attention rows, comma-separated.")
    var tokens: String = "1560,6240"

    @Option(help: "Linear weight shapes out x in, comma-separated (Wan-1.3B: attention 1536x1536, FFN up 8960x1536).")
    var weights: String = "1536x1536,8960x1536"

    @Option(help: "Timed runs per figure (the best is reported).")
    var repeats: Int = 3

    @Flag(help: "Also run the linear and attention rows on the Vulkan backend (any device, lavapipe included).")
    var vulkan = false

    func run() throws {
        let tokenCounts = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let shapes: [(out: Int, inF: Int)] = try weights.split(separator: ",").map { item in
            let parts = item.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--weights: '\(item)' is not OUTxIN")
            }
            return (parts[0], parts[1])
        }
        guard !tokenCounts.isEmpty, tokenCounts.allSatisfy({ $0 > 0 }), repeats >= 1 else {
            throw ValidationError("--tokens needs positive integers and --repeats ≥ 1")
        }
        let cpu = try CPUBackend(precision: .f32)
        print("device: \(cpu.device)")
        let bf16Backend = try CPUBackend(precision: .bf16)
        let lowered = bf16Backend.bf16Kernel ? bf16Backend : nil
        print("GEMM (linear y = x·Wᵀ + b, f32)        ours GFLOP/s   raw sgemm GFLOP/s   ratio")
        for t in tokenCounts {
            for s in shapes {
                let flops = 2.0 * Double(t) * Double(s.inF) * Double(s.out)
                let x = Self.randomValues(t * s.inF, seed: 1)
                let w = Self.randomValues(s.out * s.inF, seed: 2, scale: 0.02)
                let b = Self.randomValues(s.out, seed: 3)
                // Ours and raw alternate run by run, so a burst of load from other processes hits both.
                let (ours, raw) = try alternating(
                    try linearRunner(cpu, x: x, w: w, b: b, tokens: t, shape: s, dtype: .f32),
                    rawRunner(x: x, w: w, tokens: t, shape: s))
                print(
                    String(
                        format: "  tokens %5d  W %5dx%-5d  %12.1f   %17.1f   %5.3f", t, s.out, s.inF,
                        flops / ours / 1e9, flops / raw / 1e9, raw / ours))
                let bf16 = try best(
                    repeats: repeats, try linearRunner(cpu, x: x, w: w, b: b, tokens: t, shape: s, dtype: .bf16))
                let f16 = try best(
                    repeats: repeats, try linearRunner(cpu, x: x, w: w, b: b, tokens: t, shape: s, dtype: .f16))
                print(
                    String(
                        format: "  tokens %5d  W %5dx%-5d  half weights: bf16 %.1f, f16 %.1f GFLOP/s", t, s.out, s.inF,
                        flops / bf16 / 1e9, flops / f16 / 1e9))
                if let lowered {
                    // bf16 arithmetic (AVX512_BF16), alternating with raw f32 sgemm: the ratio is the gain.
                    let (ours, raw) = try alternating(
                        try linearRunner(lowered, x: x, w: w, b: b, tokens: t, shape: s, dtype: .bf16),
                        rawRunner(x: x, w: w, tokens: t, shape: s))
                    print(
                        String(
                            format: "  tokens %5d  W %5dx%-5d  bf16 arithmetic %.1f GFLOP/s vs raw f32 sgemm %.1f → %.2f×",
                            t, s.out, s.inF, flops / ours / 1e9, flops / raw / 1e9, raw / ours))
                }
            }
        }
        try attentionRows(cpu, label: "cpu")
        if vulkan {
            #if canImport(TensorVulkan)
                do {
                    let gpu = try VulkanBackend(policy: .anyDevice)
                    print("device: \(gpu.device)")
                    for t in tokenCounts {
                        for s in shapes {
                            let flops = 2.0 * Double(t) * Double(s.inF) * Double(s.out)
                            let seconds = try best(
                                repeats: repeats,
                                try linearRunner(
                                    gpu, x: Self.randomValues(t * s.inF, seed: 1),
                                    w: Self.randomValues(s.out * s.inF, seed: 2, scale: 0.02),
                                    b: Self.randomValues(s.out, seed: 3), tokens: t, shape: s, dtype: .f32))
                            print(
                                String(
                                    format: "  vulkan linear tokens %5d  W %5dx%-5d  %.1f GFLOP/s", t, s.out, s.inF,
                                    flops / seconds / 1e9))
                        }
                    }
                    try attentionRows(gpu, label: "vulkan")
                } catch {
                    print("vulkan: unavailable (\(error))")
                }
            #else
                print("vulkan: not built into this binary")
            #endif
        }
    }

    private func attentionRows(_ backend: some Backend, label: String) throws {
        let (heads, dim) = (12, 128)
        print("attention \(label) (\(heads) heads × \(dim), no mask)   GFLOP/s")
        for t in tokens.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            let shape = [t, heads, dim]
            let q = try backend.upload(Self.randomValues(t * heads * dim, seed: 4), shape: shape, dtype: .f32)
            let k = try backend.upload(Self.randomValues(t * heads * dim, seed: 5), shape: shape, dtype: .f32)
            let v = try backend.upload(Self.randomValues(t * heads * dim, seed: 6), shape: shape, dtype: .f32)
            let flops = 4.0 * Double(t) * Double(t) * Double(heads) * Double(dim)
            let run: () throws -> Void = {
                let o = try backend.attention(q: q, k: k, v: v, scale: 1 / Float(dim).squareRoot())
                try backend.synchronize()
                _ = try backend.download(o.narrowed(axis: 0, start: 0, length: 1))
            }
            // On the CPU, a raw sgemm (tokens × 1536 · 1536 × 1536) alternates with the attention
            // runs, so the attention rate can be read against the GEMM rate of the same moment
            // (other processes share our cores).
            guard backend is CPUBackend else {
                let seconds = try best(repeats: t > 4000 ? 1 : repeats, run)
                print(
                    String(
                        format: "  tokens %5d  %.1f GFLOP/s  (%.2f s, %.1f GFLOP)", t, flops / seconds / 1e9, seconds,
                        flops / 1e9))
                continue
            }
            let gemmFlops = 2.0 * Double(t) * 1536 * 1536
            var bestAttention = Double.infinity
            var bestGEMM = Double.infinity
            let raw = rawRunner(
                x: Self.randomValues(t * 1536, seed: 7), w: Self.randomValues(1536 * 1536, seed: 8), tokens: t,
                shape: (1536, 1536))
            try run()
            try raw()
            for _ in 0..<(t > 4000 ? 1 : repeats) {
                bestAttention = min(bestAttention, try time(run))
                bestGEMM = min(bestGEMM, try time(raw))
            }
            print(
                String(
                    format:
                        "  tokens %5d  %.1f GFLOP/s  (%.2f s, %.1f GFLOP); raw sgemm meanwhile %.1f GFLOP/s → %.2f of it",
                    t, flops / bestAttention / 1e9, bestAttention, flops / 1e9, gemmFlops / bestGEMM / 1e9,
                    (flops / bestAttention) / (gemmFlops / bestGEMM)))
        }
    }

    /// One call of our `linear` (result waited for), operands uploaded once.
    private func linearRunner(
        _ backend: some Backend, x: [Float], w: [Float], b: [Float], tokens: Int, shape: (out: Int, inF: Int),
        dtype: DType
    ) throws -> () throws -> Void {
        let xt = try backend.upload(x, shape: [tokens, shape.inF], dtype: .f32)
        let wt = try backend.upload(w, shape: [shape.out, shape.inF], dtype: dtype)
        let bt = try backend.upload(b, shape: [shape.out], dtype: .f32)
        return {
            let y = try backend.linear(xt, weight: wt, bias: bt)
            try backend.synchronize()
            _ = try backend.download(y.narrowed(axis: 0, start: 0, length: 1))
        }
    }

    /// One raw `cblas_sgemm` of the same product into a preallocated output.
    private func rawRunner(x: [Float], w: [Float], tokens: Int, shape: (out: Int, inF: Int)) -> () throws -> Void {
        let c = UnsafeMutablePointer<Float>.allocate(capacity: tokens * shape.out)
        c.initialize(repeating: 0, count: tokens * shape.out)
        let keep = RawBuffer(c)
        return {
            try x.withUnsafeBufferPointer { xp in
                try w.withUnsafeBufferPointer { wp in
                    if let a = xp.baseAddress, let b = wp.baseAddress {
                        try BLASBaseline.sgemmABt(m: tokens, n: shape.out, k: shape.inF, a: a, b: b, c: keep.pointer)
                    }
                }
            }
        }
    }

    /// Best times of two bodies run alternately `repeats` times after one warm-up each.
    private func alternating(_ a: () throws -> Void, _ b: () throws -> Void) throws -> (Double, Double) {
        try a()
        try b()
        var best = (Double.infinity, Double.infinity)
        for _ in 0..<repeats {
            best.0 = min(best.0, try time(a))
            best.1 = min(best.1, try time(b))
        }
        return best
    }

    private func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Best wall time of `repeats` runs after one untimed warm-up.
    private func best(repeats: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var bestTime = Double.infinity
        for _ in 0..<repeats { bestTime = min(bestTime, try time(body)) }
        return bestTime
    }

    /// Deterministic values uniform in [−scale, scale).
    private static func randomValues(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<n).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }
}

/// Owns a raw output buffer for the baseline GEMM and frees it with the closure that uses it.
private final class RawBuffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
