import Foundation
import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class AttentionTests: CPUTestCase {
    func testSoftmaxMatchesNaiveIncludingLargeLogits() throws {
        let x = HostTensor(
            HostTensor.random([6, 37], seed: 400).shape, HostTensor.random([6, 37], seed: 400).values.map { $0 * 30 })
        try assertClose(try backend.softmax(try upload(x)), Reference.softmax(x), atol: 1e-6, rtol: 1e-5)
        let rows = try backend.download(try backend.softmax(try upload(x)))
        for r in 0..<6 { XCTAssertEqual(rows[(r * 37)..<((r + 1) * 37)].reduce(0, +), 1, accuracy: 1e-5) }
    }

    /// Long sequence (300 tokens) with tiles smaller than the sequence and not dividing it, grouped
    /// heads and Dv ≠ D: the tiled online softmax must equal softmax(QKᵀ·scale)·V.
    func testTiledAttentionEqualsNaiveSoftmaxForLongSequences() throws {
        let q = HostTensor.random([1, 300, 4, 16], seed: 410)
        let k = HostTensor.random([1, 300, 2, 16], seed: 411)
        let v = HostTensor.random([1, 300, 2, 12], seed: 412)
        let scale = 1 / Float(16).squareRoot() * 3  // sharper than usual to stress the running max
        let expected = Reference.attention(q: q, k: k, v: v, scale: scale)
        // Score budgets for all 4 heads at once, groups of 3 + 1, and one head at a time.
        for budget in [1 << 20, 3 * 64 * 48, 1] {
            let tiled = try CPUBackend(
                attentionTile: (query: 64, key: 48), attentionScoreBudget: budget, attentionKernel: .blasTiles)
            let got = try tiled.attention(
                q: try tiled.upload(q.values, shape: q.shape, dtype: .f32),
                k: try tiled.upload(k.values, shape: k.shape, dtype: .f32),
                v: try tiled.upload(v.values, shape: v.shape, dtype: .f32), scale: scale)
            XCTAssertEqual(got.shape, expected.shape)
            XCTAssertNil(
                Closeness.check(try tiled.download(got), expected.values, atol: 2e-5, rtol: 1e-4), "budget \(budget)")
        }
    }

    /// The multi-threaded path (work items per head and query tile, each thread with its own
    /// scratch and BLAS held at one thread) against the naive reference: tiles that do not divide
    /// the lengths (query tiles 112 + 112 + 76, key tiles 3 × 80 + 60), cross-attention over fewer
    /// keys than one tile, and sharp scores whose exponentials underflow for most keys.
    func testAttentionOnSeveralThreadsWithUnevenTilesEqualsNaive() throws {
        let q = HostTensor.random([2, 300, 4, 16], seed: 460)
        let k = HostTensor.random([2, 300, 2, 16], seed: 461)
        let v = HostTensor.random([2, 300, 2, 12], seed: 462)
        let kFew = HostTensor.random([2, 7, 2, 16], seed: 463)
        let vFew = HostTensor.random([2, 7, 2, 12], seed: 464)
        for threads in [1, 2, 3] {
            for kernel in Self.kernels() {
                let cpu = try CPUBackend(
                    threads: threads, attentionTile: (query: 128, key: 80), attentionKernel: kernel)
                func run(_ q: HostTensor, _ k: HostTensor, _ v: HostTensor, _ scale: Float) throws -> [Float] {
                    try cpu.download(
                        try cpu.attention(
                            q: try cpu.upload(q.values, shape: q.shape, dtype: .f32),
                            k: try cpu.upload(k.values, shape: k.shape, dtype: .f32),
                            v: try cpu.upload(v.values, shape: v.shape, dtype: .f32), scale: scale))
                }
                for scale: Float in [0.25, 12] {
                    XCTAssertNil(
                        Closeness.check(
                            try run(q, k, v, scale), Reference.attention(q: q, k: k, v: v, scale: scale).values,
                            atol: 2e-5, rtol: 1e-4), "self, threads \(threads), scale \(scale), \(kernel)")
                    XCTAssertNil(
                        Closeness.check(
                            try run(q, kFew, vFew, scale),
                            Reference.attention(q: q, k: kFew, v: vFew, scale: scale).values, atol: 2e-5, rtol: 1e-4),
                        "cross, threads \(threads), scale \(scale), \(kernel)")
                }
            }
        }
    }

    /// The attention kernels this CPU runs: the portable one always, the fused ones where it can.
    static func kernels() -> [CPUAttentionKernel] {
        CPUAttentionKernel.allCases.filter { (try? CPUBackend(attentionKernel: $0)) != nil }
    }

    /// Real lengths and head size, both kernels, against the naive reference on a sample of query
    /// rows (rows are independent, so the sample is the reference of those rows): Wan-1.3B self
    /// attention (1950 tokens, head 128, 2 of its 12 heads; the keys end in a partial key block and a
    /// partial score tile), LTX-2 video length (6240 tokens, 1 of 32 heads, sharp scores), and
    /// cross-attention over 1 key and over 77 keys with Dv ≠ D.
    func testAttentionAtModelLengthsEqualsNaiveOnEachKernel() throws {
        struct Case {
            let name: String
            let lq, lk, heads, dk, dv: Int
            let scale: Float
        }
        let cases = [
            Case(name: "Wan 1950", lq: 1950, lk: 1950, heads: 2, dk: 128, dv: 128, scale: 1 / Float(128).squareRoot()),
            Case(
                name: "LTX-2 6240", lq: 6240, lk: 6240, heads: 1, dk: 128, dv: 128, scale: 3 / Float(128).squareRoot()),
            Case(name: "one key", lq: 1950, lk: 1, heads: 2, dk: 128, dv: 64, scale: 0.1),
            Case(name: "77 keys", lq: 300, lk: 77, heads: 3, dk: 128, dv: 40, scale: 0.1),
        ]
        for (n, c) in cases.enumerated() {
            let seed = UInt64(470 + 3 * n)
            let q = HostTensor.random([1, c.lq, c.heads, c.dk], seed: seed)
            let k = HostTensor.random([1, c.lk, c.heads, c.dk], seed: seed + 1)
            let v = HostTensor.random([1, c.lk, c.heads, c.dv], seed: seed + 2)
            let rows = Array(stride(from: 0, to: c.lq, by: max(1, c.lq / 24))) + [c.lq - 1]
            let row = c.heads * c.dk
            let sample = HostTensor(
                [1, rows.count, c.heads, c.dk], rows.flatMap { q.values[($0 * row)..<(($0 + 1) * row)] })
            let expected = Reference.attention(q: sample, k: k, v: v, scale: c.scale).values
            for kernel in Self.kernels() {
                let cpu = try CPUBackend(attentionKernel: kernel)
                let got = try cpu.download(
                    try cpu.attention(
                        q: try cpu.upload(q.values, shape: q.shape, dtype: .f32),
                        k: try cpu.upload(k.values, shape: k.shape, dtype: .f32),
                        v: try cpu.upload(v.values, shape: v.shape, dtype: .f32), scale: c.scale))
                let out = c.heads * c.dv
                let gotRows = rows.flatMap { got[($0 * out)..<(($0 + 1) * out)] }
                XCTAssertNil(Closeness.check(gotRows, expected, atol: 2e-5, rtol: 1e-4), "\(c.name), \(kernel)")
            }
        }
    }

    func testAttentionRank3AndBatchedPerFrameGroups() throws {
        for kernel in Self.kernels() {
            backend = try CPUBackend(attentionKernel: kernel)
            try rank3AndBatchedPerFrameGroups()
        }
    }

    private func rank3AndBatchedPerFrameGroups() throws {
        // Rank 3 [L, H, D] (Whisper-like), and HuMo's per-frame audio attention: batch = frames,
        // 12 video tokens attend to 4 audio tokens of their own frame.
        let q = HostTensor.random([23, 3, 8], seed: 420)
        let k = HostTensor.random([19, 3, 8], seed: 421)
        let v = HostTensor.random([19, 3, 8], seed: 422)
        let got = try backend.attention(q: try upload(q), k: try upload(k), v: try upload(v), scale: 0.35)
        let expected = Reference.attention(
            q: HostTensor([1] + q.shape, q.values), k: HostTensor([1] + k.shape, k.values),
            v: HostTensor([1] + v.shape, v.values), scale: 0.35)
        try assertClose(got, HostTensor(q.shape, expected.values), atol: 1e-5, rtol: 1e-4, "rank 3")
        let qf = HostTensor.random([3, 12, 2, 8], seed: 423)
        let kf = HostTensor.random([3, 4, 2, 8], seed: 424)
        let vf = HostTensor.random([3, 4, 2, 8], seed: 425)
        try assertClose(
            try backend.attention(q: try upload(qf), k: try upload(kf), v: try upload(vf), scale: 0.35),
            Reference.attention(q: qf, k: kf, v: vf, scale: 0.35), atol: 1e-5, rtol: 1e-4, "per frame")
        XCTAssertThrowsError(try backend.attention(q: try upload(qf), k: try upload(k), v: try upload(v), scale: 1))
    }

    func testRoPEBothPairingsMatchNaive() throws {
        let x = HostTensor.random([2, 10, 3, 12], seed: 430)
        let table = try RoPETable.oneD(positions: (0..<10).map(Double.init), headDim: 12)
        let (c, s) = try table.upload(on: backend)
        for pairing in RoPEPairing.allCases {
            try assertClose(
                try backend.rope(try upload(x), cos: c, sin: s, pairing: pairing),
                Reference.rope(x, cos: table.cos, sin: table.sin, pairing: pairing), atol: 1e-6, rtol: 1e-5,
                "\(pairing)")
        }
        XCTAssertThrowsError(
            try backend.rope(try upload(HostTensor.random([9, 3, 12], seed: 1)), cos: c, sin: s, pairing: .interleaved))
    }

    func testWan3DTableSplitsHeadDimOverFrameRowAndColumn() throws {
        // head dim 128: pairs 0–21 time (θ = 10000^(−2j/44)), 22–42 height and 43–63 width (θ = 10000^(−2j/42)).
        let (f, h, w) = (3, 2, 4)
        let t = try RoPETable.wan3D(frames: f, height: h, width: w, headDim: 128, frameOffset: 1)
        XCTAssertEqual(t.positions, f * h * w)
        XCTAssertEqual(t.pairs, 64)
        for token in 0..<(f * h * w) {
            let (fi, hi, wi) = (token / (h * w), (token / w) % h, token % w)
            for j in 0..<64 {
                let angle: Double
                if j < 22 {
                    angle = Double(fi + 1) * pow(10_000, -2 * Double(j) / 44)
                } else if j < 43 {
                    angle = Double(hi) * pow(10_000, -2 * Double(j - 22) / 42)
                } else {
                    angle = Double(wi) * pow(10_000, -2 * Double(j - 43) / 42)
                }
                XCTAssertEqual(t.cos[token * 64 + j], Float(cos(angle)), accuracy: 1e-6)
                XCTAssertEqual(t.sin[token * 64 + j], Float(sin(angle)), accuracy: 1e-6)
            }
        }
    }
}

final class TransformerBlockTests: CPUTestCase {
    /// A whole scaled-down Wan block (dim 48, 4 heads × 12, FFN 96, 2×3×4 tokens, 7 text tokens)
    /// composed from backend ops equals the same block composed from naive reference ops.
    func testWanBlockComposedFromOpsMatchesNaiveBlock() throws {
        let block = TinyWanBlock.random()
        let x = HostTensor.random([block.tokens, block.dim], seed: 700)
        let ctx = HostTensor.random([7, block.dim], seed: 701)
        let got = try block.forward(backend, x: x, context: ctx)
        let expected = try block.reference(x: x, context: ctx)
        XCTAssertNil(Closeness.check(got, expected.values, atol: 1e-4, rtol: 1e-4))
    }

    func testWanBlockWithHalfWeightsMatchesRoundedReference() throws {
        let block = TinyWanBlock.random(seed: 99)
        let x = HostTensor.random([block.tokens, block.dim], seed: 702)
        let ctx = HostTensor.random([5, block.dim], seed: 703)
        for dt in [DType.f16, .bf16] {
            let got = try block.forward(backend, x: x, context: ctx, weightType: dt)
            let expected = try block.reference(x: x, context: ctx, weightType: dt)
            XCTAssertNil(Closeness.check(got, expected.values, atol: 1e-4, rtol: 1e-4), "\(dt)")
        }
    }
}

final class BiasedAttentionTests: CPUTestCase {
    func testAttentionWithRelativeBiasAndMaskMatchesNaive() throws {
        let q = HostTensor.random([2, 9, 4, 8], seed: 900)
        let k = HostTensor.random([2, 11, 2, 8], seed: 901)
        let v = HostTensor.random([2, 11, 2, 6], seed: 902)
        // T5-style per-head bias [H, Lq, Lk], broadcast over the batch.
        let bias = HostTensor.random([4, 9, 11], seed: 903)
        let full = HostTensor([2, 4, 9, 11], bias.values + bias.values)
        let got = try backend.attention(
            q: try upload(q), k: try upload(k), v: try upload(v), scale: 0.3, bias: try upload(bias))
        try assertClose(
            got, Reference.attention(q: q, k: k, v: v, scale: 0.3, bias: full), atol: 1e-5, rtol: 1e-4, "bias")
        // A key-padding mask: −∞ on the last 3 keys equals attention over the first 8 keys only.
        var mask = [Float](repeating: 0, count: 11)
        for j in 8..<11 { mask[j] = -.infinity }
        let masked = try backend.attention(
            q: try upload(q), k: try upload(k), v: try upload(v), scale: 0.3,
            bias: try backend.upload(mask, shape: [1, 1, 1, 11], dtype: .f32))
        let short = try backend.attention(
            q: try upload(q), k: try upload(k).narrowed(axis: 1, start: 0, length: 8),
            v: try upload(v).narrowed(axis: 1, start: 0, length: 8), scale: 0.3)
        XCTAssertNil(Closeness.check(try backend.download(masked), try backend.download(short), atol: 1e-5, rtol: 1e-5))
        XCTAssertThrowsError(
            try backend.attention(
                q: try upload(q), k: try upload(k), v: try upload(v), scale: 0.3,
                bias: try upload(HostTensor.random([3, 9, 11], seed: 1))))
    }
}

final class WanGeometryTests: CPUTestCase {
    /// The real Wan-1.3B head geometry (dim 1536 = 12 heads × 128) on a 2×2×3 token grid:
    /// RMSNorm across all heads, 3-D RoPE, attention — each against its naive reference.
    func testRealHeadGeometryNormRoPEAndAttention() throws {
        let (tokens, heads, d) = (12, 12, 128)
        let x = HostTensor.random([tokens, heads * d], seed: 1000)
        let w = HostTensor.random([heads * d], seed: 1001, scale: 0.1).shifted(by: 1)
        let normed = try backend.rmsNorm(try upload(x), weight: try upload(w), eps: 1e-6)
        let normedRef = Reference.rmsNorm(x, w, eps: 1e-6)
        try assertClose(normed, normedRef, atol: 1e-5, rtol: 1e-5, "rmsNorm over 1536")
        let table = try RoPETable.wan3D(frames: 2, height: 2, width: 3, headDim: d)
        let (c, s) = try table.upload(on: backend)
        let q = try backend.rope(try normed.reshaped([tokens, heads, d]), cos: c, sin: s, pairing: .interleaved)
        let qRef = Reference.rope(
            HostTensor([tokens, heads, d], normedRef.values), cos: table.cos, sin: table.sin, pairing: .interleaved)
        try assertClose(q, qRef, atol: 1e-5, rtol: 1e-5, "3-D RoPE")
        let v = HostTensor.random([tokens, heads, d], seed: 1002)
        let o = try backend.attention(q: q, k: q, v: try upload(v), scale: 1 / Float(d).squareRoot())
        let oRef = Reference.attention(
            q: HostTensor([1] + qRef.shape, qRef.values), k: HostTensor([1] + qRef.shape, qRef.values),
            v: HostTensor([1] + v.shape, v.values), scale: 1 / Float(d).squareRoot())
        try assertClose(o, HostTensor(v.shape, oRef.values), atol: 1e-5, rtol: 1e-4, "attention 12 × 128")
    }
}
