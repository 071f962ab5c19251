import Foundation
import Tensor
import TensorCPU
import TensorVulkan
import XCTest

/// A Wan-style DiT block, scaled down, run op for op on the CPU backend and on Vulkan:
/// AdaLN (layer norm → modulate) → q/k/v linears (bf16 weights) → RMS norm of q, k → 3-D RoPE →
/// attention → output linear → gated residual → layer norm → FFN (linear, GELU-tanh, linear) →
/// gated residual. The two backends must agree to 1e-3 abs + 1e-3 rel after every op compounds.
final class TransformerBlockTests: VulkanTestCase {
    struct Weights {
        let dim: Int, heads: Int, ffn: Int
        let wq: [Float], wk: [Float], wv: [Float], wo: [Float], w1: [Float], w2: [Float]
        let bq: [Float], bo: [Float], b1: [Float], b2: [Float]
        let normQ: [Float], normK: [Float], modulation: [Float]

        init(dim: Int, heads: Int, ffn: Int, random: inout SeededRandom) {
            self.dim = dim
            self.heads = heads
            self.ffn = ffn
            let s = 1 / Float(dim).squareRoot()
            wq = random.floats(dim * dim, -s, s)
            wk = random.floats(dim * dim, -s, s)
            wv = random.floats(dim * dim, -s, s)
            wo = random.floats(dim * dim, -s, s)
            w1 = random.floats(ffn * dim, -s, s)
            w2 = random.floats(dim * ffn, -s, s)
            bq = random.floats(dim, -0.1, 0.1)
            bo = random.floats(dim, -0.1, 0.1)
            b1 = random.floats(ffn, -0.1, 0.1)
            b2 = random.floats(dim, -0.1, 0.1)
            normQ = random.floats(dim, 0.5, 1.5)
            normK = random.floats(dim, 0.5, 1.5)
            modulation = random.floats(6 * dim, -0.5, 0.5)
        }
    }

    /// Runs the block on `backend` and downloads its output.
    static func block(_ backend: some Backend, x: [Float], tokens: Int, weights w: Weights, rope: RoPETable) throws
        -> [Float]
    {
        let dim = w.dim
        func up(_ v: [Float], _ shape: [Int], _ dtype: DType = .f32) throws -> Tensor {
            try backend.upload(v, shape: shape, dtype: dtype)
        }
        let h = try up(x, [tokens, dim])
        let mod = try up(w.modulation, [6, dim])
        let m = try (0..<6).map { try mod.narrowed(axis: 0, start: $0, length: 1) }
        let (cos, sin) = try rope.upload(on: backend)

        let n1 = try backend.modulate(
            try backend.layerNorm(h, weight: nil, bias: nil, eps: 1e-6), scale: m[1], shift: m[0])
        let q = try backend.rmsNorm(
            try backend.linear(n1, weight: try up(w.wq, [dim, dim], .bf16), bias: try up(w.bq, [dim])),
            weight: try up(w.normQ, [dim]), eps: 1e-6)
        let k = try backend.rmsNorm(
            try backend.linear(n1, weight: try up(w.wk, [dim, dim], .bf16), bias: nil), weight: try up(w.normK, [dim]),
            eps: 1e-6)
        let v = try backend.linear(n1, weight: try up(w.wv, [dim, dim], .bf16), bias: nil)
        let headDim = dim / w.heads
        let qh = try backend.rope(
            try q.reshaped([tokens, w.heads, headDim]), cos: cos, sin: sin, pairing: .interleaved)
        let kh = try backend.rope(
            try k.reshaped([tokens, w.heads, headDim]), cos: cos, sin: sin, pairing: .interleaved)
        let attended = try backend.attention(
            q: qh, k: kh, v: try v.reshaped([tokens, w.heads, headDim]), scale: 1 / Float(headDim).squareRoot())
        let projected = try backend.linear(
            try attended.reshaped([tokens, dim]), weight: try up(w.wo, [dim, dim], .bf16), bias: try up(w.bo, [dim]))
        let h1 = try backend.gatedAdd(h, projected, gate: m[2])

        let n2 = try backend.modulate(
            try backend.layerNorm(h1, weight: nil, bias: nil, eps: 1e-6), scale: m[4], shift: m[3])
        let hidden = try backend.unary(
            .geluTanh, try backend.linear(n2, weight: try up(w.w1, [w.ffn, dim], .f16), bias: try up(w.b1, [w.ffn])))
        let ffn = try backend.linear(hidden, weight: try up(w.w2, [dim, w.ffn], .f16), bias: try up(w.b2, [dim]))
        return try backend.download(try backend.gatedAdd(h1, ffn, gate: m[5]))
    }

    func testWanStyleBlockAgreesWithCPUBackend() throws {
        let vulkan = try vulkan()
        let cpu = try CPUBackend()
        var random = SeededRandom(20)
        let (frames, height, width) = (2, 5, 6)
        let tokens = frames * height * width
        let weights = Weights(dim: 96, heads: 4, ffn: 160, random: &random)
        let rope = try RoPETable.wan3D(frames: frames, height: height, width: width, headDim: 24)
        let x = random.floats(tokens * 96)
        let onCPU = try Self.block(cpu, x: x, tokens: tokens, weights: weights, rope: rope)
        let onVulkan = try Self.block(vulkan, x: x, tokens: tokens, weights: weights, rope: rope)
        assertClose(onVulkan, onCPU, atol: 1e-3, rtol: 1e-3, "block output")
        // The block must actually change its input, or agreement would prove nothing.
        XCTAssertGreaterThan(zip(onCPU, x).map { abs($0 - $1) }.max() ?? 0, 0.1)
    }

    func testTensorsOfAnotherBackendAreRejected() throws {
        let vulkan = try vulkan()
        let cpu = try CPUBackend()
        let foreign = try cpu.zeros([2, 2])
        XCTAssertThrowsError(try vulkan.unary(.relu, foreign)) { error in
            guard case TensorError.foreignStorage(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("vulkan"), message)
        }
    }
}

/// One backend used from several threads at once: ops interleave in the shared command batch, and
/// each thread still gets its own correct result.
final class ConcurrencyTests: VulkanTestCase {
    func testConcurrentLinearsOnOneBackendEachMatchReference() throws {
        let backend = try vulkan()
        let (rows, inF, outF) = (23, 40, 17)
        let cases = (0..<4).map { seed -> ([Float], [Float]) in
            var random = SeededRandom(UInt64(100 + seed))
            return (random.floats(rows * inF), random.floats(outF * inF))
        }
        let runs = cases.count * 3
        let results = Results(count: runs)
        DispatchQueue.concurrentPerform(iterations: runs) { i in
            let (x, w) = cases[i % cases.count]
            do {
                let y = try backend.linear(
                    try backend.upload(x, shape: [rows, inF], dtype: .f32),
                    weight: try backend.upload(w, shape: [outF, inF], dtype: .f16), bias: nil)
                results.set(i, try backend.download(y))
            } catch {
                results.set(i, [])
            }
        }
        for i in 0..<runs {
            let (x, w) = cases[i % cases.count]
            let expected = Reference.linear(
                x, HalfConversion.roundTrip(w, through: .f16), nil, rows: rows, inF: inF, outF: outF)
            assertClose(results.get(i), expected, atol: 1e-4, rtol: 1e-4, "run \(i)")
        }
    }
}

/// Per-run results written from several threads.
private final class Results: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var values: [[Float]]

    init(count: Int) { values = Array(repeating: [], count: count) }

    func set(_ i: Int, _ v: [Float]) {
        lock.lock()
        values[i] = v
        lock.unlock()
    }

    func get(_ i: Int) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        return values[i]
    }
}
