import ArgumentParser
import Foundation
import Tensor
import TensorCPU

/// `omniedit cpu-info`: what the CPU backend found and chose on this machine: the CPU's instruction
/// sets, the OpenBLAS core we asked for and the one the library runs. With `--gemm-output` it also
/// writes one fixed `linear` product (raw little-endian f32) so that runs forced onto other paths
/// (`OMNIEDIT_MAX_CPU_ISA=avx2`, `OPENBLAS_CORETYPE=…`, `OMNIEDIT_CPU_PRECISION=bf16`) can be compared
/// number for number.
struct CPUInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpu-info", abstract: "CPU features and the compute kernels the CPU backend chose.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Write y = x·Wᵀ + b for fixed x [257, 1536], W [300, 1536] here (f32, row-major).")
    var gemmOutput: String?

    func run() throws {
        let cpu = try CPUBackend()
        let blas = cpu.blas
        let chosen: String? = if case .chosen(let core) = blas.decision { core.rawValue } else { nil }
        let report: [String: Any] = [
            "features": blas.features.summary, "level": blas.features.level.description,
            "decision": blas.decision.description, "chosenCore": chosen ?? NSNull(), "runningCore": blas.runningCore,
            "runsChosenCore": blas.runsChosenCore, "library": blas.library, "config": blas.config,
            "blasThreads": blas.threads, "threads": cpu.threads, "precision": cpu.precision.rawValue,
            "bf16Kernel": cpu.bf16Kernel,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("device: \(cpu.device.name)")
            for key in report.keys.sorted() { print("\(key): \(report[key] ?? "")") }
        }
        if let path = gemmOutput {
            var rng = SplitMix64(seed: 11)
            let x = try cpu.upload(rng.uniform(257 * 1536, scale: 1), shape: [257, 1536], dtype: .f32)
            let w = try cpu.upload(rng.uniform(300 * 1536, scale: 0.05), shape: [300, 1536], dtype: .f32)
            let b = try cpu.upload(rng.uniform(300, scale: 0.1), shape: [300], dtype: .f32)
            let y = try cpu.download(try cpu.linear(x, weight: w, bias: b))
            try y.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
