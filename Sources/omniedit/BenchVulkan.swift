import ArgumentParser
import Foundation
import Tensor
import TensorCPU
import TensorVulkan

/// `omniedit bench-vulkan`: throughput of the Vulkan backend on the Wan2.1-1.3B shapes, with the
/// device named (lavapipe here; the best GPU on a machine that has one), beside our CPU backend
/// (OpenBLAS) on the same inputs in the same run.
///
/// - GEMM: `linear` y = x·Wᵀ + b at `--tokens` tokens for weights 1536×1536 (attention projections)
///   and 8960×1536 (FFN up), f32 and bf16 weights; FLOPs = 2·tokens·in·out.
/// - Attention: 12 heads × 128 dims, q = k = v length `--tokens`; FLOPs = 4·L²·heads·dim (QKᵀ, PV).
/// Each figure is the best of `--repeats` runs after one warm-up; a run ends when the device has
/// finished (`synchronize`), and includes allocating its output. `vulkan/cpu` is the speed ratio.
struct BenchVulkan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-vulkan",
        abstract: "GEMM and attention GFLOP/s of the Vulkan backend beside the CPU backend, Wan-1.3B shapes.")

    @Option(help: "Tokens (rows of x, and the attention sequence length).")
    var tokens: Int = 1560

    @Option(help: "Timed runs per figure (the best is reported).")
    var repeats: Int = 3

    @Flag(help: "Require a GPU, as BackendChoice.auto does (default: any device, lavapipe included).")
    var gpuOnly = false

    @Option(
        help: "Shader style of GEMM and attention: tiled (shared memory) or direct (no barriers); default by device.")
    var kernel: String?

    @Option(help: "Linear weight shapes OUTxIN, comma-separated.")
    var weights: String = "1536x1536,8960x1536"

    @Flag(help: "Skip the CPU backend column.")
    var noCPU = false

    func run() throws {
        guard tokens > 0, repeats >= 1 else { throw ValidationError("--tokens and --repeats must be positive") }
        let choice = try kernel.map { name in
            guard let k = KernelStyle(rawValue: name) else {
                throw ValidationError("--kernel: '\(name)' is not tiled or direct")
            }
            return k
        }
        let shapes: [(Int, Int)] = try weights.split(separator: ",").map { item in
            let parts = item.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--weights: '\(item)' is not OUTxIN")
            }
            return (parts[0], parts[1])
        }
        let vulkan = try VulkanBackend(policy: gpuOnly ? .gpuOnly : .anyDevice, kernelStyle: choice)
        let cpu: CPUBackend? = noCPU ? nil : try CPUBackend()
        print("vulkan: \(vulkan.device), \(vulkan.kernelStyle.rawValue) shaders")
        if let cpu { print("cpu:    \(cpu.device)") }
        let backends: [(any Backend)?] = [vulkan, cpu]
        print("                                                 vulkan GFLOP/s  ms     cpu GFLOP/s  ms     vulkan/cpu")
        for (outF, inF) in shapes {
            for dtype in [DType.f32, .bf16] {
                let flops = 2.0 * Double(tokens) * Double(inF) * Double(outF)
                let times = try backends.map { backend -> Double? in
                    guard let backend else { return nil }
                    let x = try backend.upload(Self.values(tokens * inF, seed: 1), shape: [tokens, inF], dtype: .f32)
                    let bias = try backend.upload(Self.values(outF, seed: 3), shape: [outF], dtype: .f32)
                    let w = try backend.upload(
                        Self.values(outF * inF, seed: 2, scale: 0.02), shape: [outF, inF], dtype: dtype)
                    return try best(backend) { _ = try backend.linear(x, weight: w, bias: bias) }
                }
                row(String(format: "linear %5d tokens, W %5d×%-5d %-4@", tokens, outF, inF, dtype.rawValue as NSString),
                    flops: flops, times)
            }
        }
        let (heads, dim) = (12, 128)
        let shape = [tokens, heads, dim]
        let flops = 4.0 * Double(tokens) * Double(tokens) * Double(heads) * Double(dim)
        let times = try backends.map { backend -> Double? in
            guard let backend else { return nil }
            let q = try backend.upload(Self.values(tokens * heads * dim, seed: 4), shape: shape, dtype: .f32)
            let k = try backend.upload(Self.values(tokens * heads * dim, seed: 5), shape: shape, dtype: .f32)
            let v = try backend.upload(Self.values(tokens * heads * dim, seed: 6), shape: shape, dtype: .f32)
            return try best(backend) { _ = try backend.attention(q: q, k: k, v: v, scale: 1 / Float(dim).squareRoot()) }
        }
        row(String(format: "attention %5d tokens, %d heads × %d        ", tokens, heads, dim), flops: flops, times)
    }

    /// One line: GFLOP/s and ms of each backend, and the Vulkan-to-CPU speed ratio.
    private func row(_ label: String, flops: Double, _ times: [Double?]) {
        var line = label
        for time in times {
            guard let time else { continue }
            line += String(format: "   %9.1f  %8.1f", flops / time / 1e9, time * 1e3)
        }
        if times.count == 2, let v = times[0], let c = times[1] { line += String(format: "   %8.2f×", c / v) }
        print(line)
    }

    /// Best wall time of `repeats` runs of `body` (each waited for), after one warm-up run that also
    /// builds the pipelines.
    private func best(_ backend: any Backend, _ body: () throws -> Void) throws -> Double {
        var fastest = Double.infinity
        for run in 0...repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            try backend.synchronize()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { fastest = min(fastest, elapsed) }
        }
        return fastest
    }

    /// Deterministic values in [−scale, scale).
    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return scale * (Float(state >> 40) / Float(1 << 23) - 1)
        }
    }
}
