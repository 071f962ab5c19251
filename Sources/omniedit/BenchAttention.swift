import ArgumentParser
import Foundation
import Tensor
import TensorCPU

/// `omniedit bench-attention`: the CPU backend's attention (no mask, f32) beside PyTorch's
/// `scaled_dot_product_attention` (`tools/bench/attention_torch.py`, same sizes and memory layout, torch
/// threads = ours) and raw `cblas_sgemm` (tokens × 1536 · 1536 × 1536, the GEMM rate of the moment: the
/// limit f32 arithmetic reaches on these cores), passes alternating ours, peer, sgemm, ours … so that all
/// three see the same load from other processes. FLOPs = 4·L²·heads·dim (QKᵀ and PV). Each figure is
/// the best of `--repeats` passes after one warm-up; the load average is printed before and after.
struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-attention",
        abstract: "CPU attention beside PyTorch SDPA and raw sgemm, interleaved in one run (Wan / LTX-2 sizes).")

    @Option(help: "Sequence lengths (queries = keys), comma-separated (Wan-1.3B 480p: 1950 per 5 latent frames).")
    var tokens = "1950,6240"
    @Option(help: "Heads (Wan-1.3B 12, LTX-2 video 32; fewer heads measure the same rate faster).")
    var heads = 12
    @Option(help: "Head dimension.")
    var headDim = 128
    @Option(help: "Our kernels to run, comma-separated (fused-avx512, fused-avx2, blas-tiles); default the backend's choice.")
    var kernels: String?
    @Option(help: "Timed passes per side, alternating; the best of each side is reported.")
    var repeats = 3
    @Option(help: "Threads for both sides (our kernels and BLAS; torch.set_num_threads). Default: all cores.")
    var threads: Int?
    @Option(help: "Python with torch for the peer (tools/bench/requirements-attention.txt).")
    var python = "python3"
    @Option(help: "The peer script.")
    var peerScript = "tools/bench/attention_torch.py"
    @Flag(help: "Run our side (and sgemm) only (without it a peer that cannot start is an error).")
    var noPeer = false

    func run() throws {
        let lengths = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !lengths.isEmpty, lengths.allSatisfy({ (1...65536).contains($0) }), (1...256).contains(heads),
            (1...1024).contains(headDim), repeats >= 1
        else { throw ValidationError("--tokens 1…65536 each, --heads 1…256, --head-dim 1…1024, --repeats ≥ 1") }
        if let threads, threads >= 1, ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            setenv("OPENBLAS_NUM_THREADS", "\(threads)", 1)  // read when OpenBLAS is opened, just below
        }
        let base = try CPUBackend(threads: threads)
        let chosen: [CPUAttentionKernel] =
            try kernels.map { list in
                try list.split(separator: ",").map { name in
                    guard let k = CPUAttentionKernel(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError(
                            "--kernels: '\(name)' is not one of \(CPUAttentionKernel.allCases.map(\.rawValue))")
                    }
                    return k
                }
            } ?? [base.attentionKernel]
        let backends = try chosen.map { try CPUBackend(threads: threads, attentionKernel: $0) }
        let blasThreads = (try? OpenBLAS.load().threads) ?? base.threads
        emit("device: \(base.device)")
        emit("load average before: \(Self.loadAverage())")
        emit("peer: \(noPeer ? "none (--no-peer)" : "\(python) \(peerScript), torch threads \(blasThreads)")")
        emit(
            "| tokens | heads × dim | side | GFLOP/s (best of \(repeats)) | s | ratio ours / SDPA | raw sgemm GFLOP/s meanwhile | ratio / sgemm |"
        )
        emit("|---|---|---|---|---|---|---|---|")
        for length in lengths {
            try benchLength(length, backends: backends, threads: blasThreads)
        }
        emit("load average after: \(Self.loadAverage())")
    }

    private func benchLength(_ length: Int, backends: [CPUBackend], threads: Int) throws {
        let flops = 4 * Double(length) * Double(length) * Double(heads) * Double(headDim)
        var peer: BenchPeer?
        if !noPeer {
            peer = try BenchPeer(
                python: python, script: peerScript,
                arguments: [
                    "--tokens", "\(length)", "--heads", "\(heads)", "--dim", "\(headDim)", "--threads", "\(threads)",
                ])
            try peer?.waitUntilReady()
        }
        let runs = try backends.map { try attentionRunner($0, length: length) }
        let sgemm = SGEMMRunner(tokens: length)
        // Warm-up of every side, then the timed rounds.
        for run in runs { try run() }
        _ = try peer?.run()
        try sgemm.run()
        var ours = [Double](repeating: .infinity, count: runs.count)
        var theirs = Double.infinity
        var raw = Double.infinity
        for _ in 0..<repeats {
            for (i, run) in runs.enumerated() { ours[i] = min(ours[i], try Self.time(run)) }
            if let peer { theirs = min(theirs, try peer.run().seconds) }
            raw = min(raw, try Self.time(sgemm.run))
        }
        peer?.close()
        let rawRate = 2 * Double(length) * 1536 * 1536 / raw / 1e9
        let shape = "\(heads) × \(headDim)"
        for (i, backend) in backends.enumerated() {
            let rate = flops / ours[i] / 1e9
            let vsPeer = theirs.isFinite ? String(format: "%.2f", theirs / ours[i]) : "–"
            emit(
                String(
                    format: "| %d | %@ | ours (%@) | %.1f | %.3f | %@ | %.1f | %.2f |", length, shape,
                    backend.attentionKernel.rawValue, rate, ours[i], vsPeer, rawRate, rate / rawRate))
        }
        if theirs.isFinite {
            let version = "torch \(peer?.ready["torch"] ?? "?") SDPA, \(peer?.ready["threads"] ?? "?") threads"
            emit(
                String(
                    format: "| %d | %@ | %@ | %.1f | %.3f | 1 | %.1f | %.2f |", length, shape, version,
                    flops / theirs / 1e9, theirs, rawRate, flops / theirs / 1e9 / rawRate))
        }
    }

    /// One attention call on `backend` (result waited for), operands uploaded once, layout [L, H, D].
    private func attentionRunner(_ backend: CPUBackend, length: Int) throws -> () throws -> Void {
        var rng = SplitMix64(seed: 2026)
        let count = length * heads * headDim
        let shape = [length, heads, headDim]
        let q = try backend.upload(rng.normal(count, std: 1), shape: shape, dtype: .f32)
        let k = try backend.upload(rng.normal(count, std: 1), shape: shape, dtype: .f32)
        let v = try backend.upload(rng.normal(count, std: 1), shape: shape, dtype: .f32)
        let scale = 1 / Float(headDim).squareRoot()
        return { _ = try backend.attention(q: q, k: k, v: v, scale: scale) }
    }

    private static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// /proc/loadavg's 1, 5 and 15 minute averages (other processes on these cores).
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// Raw `cblas_sgemm` of tokens × 1536 · (1536 × 1536)ᵀ on preallocated buffers: the GEMM rate of the moment.
final class SGEMMRunner {
    let tokens: Int
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>

    init(tokens: Int) {
        self.tokens = tokens
        a = .allocate(capacity: tokens * 1536)
        b = .allocate(capacity: 1536 * 1536)
        c = .allocate(capacity: tokens * 1536)
        var rng = SplitMix64(seed: 7)
        a.initialize(from: rng.uniform(tokens * 1536, scale: 1), count: tokens * 1536)
        b.initialize(from: rng.uniform(1536 * 1536, scale: 0.02), count: 1536 * 1536)
        c.initialize(repeating: 0, count: tokens * 1536)
    }

    deinit {
        a.deallocate()
        b.deallocate()
        c.deallocate()
    }

    func run() throws { try BLASBaseline.sgemmABt(m: tokens, n: 1536, k: 1536, a: a, b: b, c: c) }

    /// The best rate of `repeats` calls, GFLOP/s: the limit f32 arithmetic reaches on these cores now.
    static func rate(tokens: Int = 1950, repeats: Int = 3) throws -> Double {
        let runner = SGEMMRunner(tokens: tokens)
        try runner.run()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = Date()
            try runner.run()
            best = min(best, Date().timeIntervalSince(start))
        }
        return 2 * Double(tokens) * 1536 * 1536 / best / 1e9
    }
}
