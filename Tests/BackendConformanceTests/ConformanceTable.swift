// The conformance table: every op of `Backend` at toy sizes and at the real models' sizes, each row
// with its own error bound. BackendConformanceTests runs every row on every backend (CPU, Vulkan
// tiled, Vulkan direct) against the naive Double references of TensorTestSupport.
//
// Adding an op: add its `Op` case, then a row here (`row(.newOp, …)`); the coverage test fails until
// both exist. Real-size rows keep the loop lengths of the real models (keys, head size, K of a GEMM,
// Cin·taps of a convolution, row length of a norm) and take a subset of query rows, heads or output
// channels, which does not change any per-invocation trip count.
import Tensor
import TensorTestSupport

/// One input of a case: host values and the dtype they are stored in on the backend (the reference
/// sees the values rounded to that dtype).
struct CaseInput: Sendable {
    var host: HostTensor
    var dtype: DType = .f32
}

/// One row: an op at one size, run on a backend and compared with a reference within atol + rtol·|ref|.
struct ConformanceCase: Sendable {
    let op: Op
    let label: String
    let atol: Float
    let rtol: Float
    /// Built when the row runs (real-size rows hold tens of MiB).
    let inputs: @Sendable () -> [CaseInput]
    /// The op on a backend, given the inputs uploaded there.
    let run: @Sendable (_ backend: any Backend, _ x: [Tensor]) throws -> Tensor
    /// The expected result from the host inputs.
    let reference: @Sendable (_ x: [HostTensor]) throws -> HostTensor
}

private func row(
    _ op: Op, _ label: String, atol: Float = 1e-5, rtol: Float = 1e-4, inputs: @escaping @Sendable () -> [CaseInput],
    run: @escaping @Sendable (any Backend, [Tensor]) throws -> Tensor,
    reference: @escaping @Sendable ([HostTensor]) throws -> HostTensor
) -> ConformanceCase {
    ConformanceCase(op: op, label: label, atol: atol, rtol: rtol, inputs: inputs, run: run, reference: reference)
}

/// Seeded normal values, scaled; `seed` differs per row so rows do not share data by accident.
private func random(_ shape: [Int], _ seed: UInt64, scale: Float = 1, dtype: DType = .f32) -> CaseInput {
    CaseInput(host: HostTensor.random(shape, seed: seed, scale: scale), dtype: dtype)
}

/// Positive values in [0.1, 3): the domain of log, sqrt and rsqrt, and safe divisors.
private func positive(_ shape: [Int], _ seed: UInt64) -> CaseInput {
    let h = HostTensor.random(shape, seed: seed)
    return CaseInput(host: HostTensor(shape, h.values.map { 0.1 + min(abs($0), 2.9) }))
}

/// Attention on q `[Lq, H, D]`, k/v `[Lk, Hkv, D|Dv]` (rank 3) or with a leading batch axis.
private func attentionRow(
    _ label: String, batch: Int? = nil, lq: Int, lk: Int, heads: Int, kvHeads: Int, d: Int, dv: Int, seed: UInt64,
    atol: Float = 2e-5, rtol: Float = 1e-3
) -> ConformanceCase {
    let lead = batch.map { [$0] } ?? []
    let scale = 1 / Float(d).squareRoot()
    return row(
        .attention, label, atol: atol, rtol: rtol,
        inputs: {
            [
                random(lead + [lq, heads, d], seed), random(lead + [lk, kvHeads, d], seed + 1),
                random(lead + [lk, kvHeads, dv], seed + 2),
            ]
        },
        run: { b, x in try b.attention(q: x[0], k: x[1], v: x[2], scale: scale) },
        reference: { x in
            let four = x.map { batch == nil ? HostTensor([1] + $0.shape, $0.values) : $0 }
            let y = Reference.attention(q: four[0], k: four[1], v: four[2], scale: scale)
            return batch == nil ? HostTensor(Array(y.shape.dropFirst()), y.values) : y
        })
}

private func convRow(
    _ label: String, x: [Int], weight: [Int], bias: Bool = true, geometry: @escaping @Sendable () throws -> ConvGeometry,
    seed: UInt64, weightDType: DType = .f32
) -> ConformanceCase {
    // Weights scaled by 1/√(Cin·taps) keep outputs near unit size whatever the loop length.
    let fanIn = weight.dropFirst().reduce(1, *)
    return row(
        .conv, label, atol: 1e-4, rtol: 1e-3,
        inputs: {
            [random(x, seed), random(weight, seed + 1, scale: 1 / Float(fanIn).squareRoot(), dtype: weightDType)]
                + (bias ? [random([weight[0]], seed + 2)] : [])
        },
        run: { b, t in try b.conv(t[0], weight: t[1], bias: t.count > 2 ? t[2] : nil, geometry: try geometry()) },
        reference: { h in try Reference.conv(h[0], h[1], h.count > 2 ? h[2] : nil, try geometry()) })
}

enum ConformanceTable {
    static let cases: [ConformanceCase] =
        memory + layout + elementwise + linearAlgebra + convolution + norms + attentionFamily + reductions

    static let memory: [ConformanceCase] = [
        row(
            .upload, "upload f16 [3, 257]", atol: 0, rtol: 0, inputs: { [random([3, 257], 1, dtype: .f16)] },
            run: { _, x in x[0] }, reference: { $0[0] }),
        row(
            .download, "download of a permuted view [7, 5, 3] → [3, 7, 5]", atol: 0, rtol: 0,
            inputs: { [random([7, 5, 3], 2)] }, run: { _, x in try x[0].permuted([2, 0, 1]) },
            reference: { Reference.permute($0[0], [2, 0, 1]) }),
        row(
            .fill, "fill bf16 [4, 1001]", atol: 0, rtol: 0, inputs: { [] },
            run: { b, _ in try b.fill(shape: [4, 1001], value: 0.3, dtype: .bf16) },
            reference: { _ in
                HostTensor([4, 1001], HalfConversion.roundTrip([Float](repeating: 0.3, count: 4004), through: .bf16))
            }),
    ]

    static let layout: [ConformanceCase] = [
        row(
            .contiguous, "contiguous: heads-first view of Wan q [1560, 4, 128] (subset of 12 heads)", atol: 0,
            rtol: 0, inputs: { [random([1560, 4, 128], 10)] }, run: { b, x in try b.contiguous(x[0].permuted([1, 0, 2])) },
            reference: { Reference.permute($0[0], [1, 0, 2]) }),
        row(
            .cast, "cast a transposed [1536, 3] view to bf16", atol: 0, rtol: 0, inputs: { [random([1536, 3], 11)] },
            run: { b, x in try b.cast(x[0].transposed(0, 1), to: .bf16) },
            reference: { x in
                let t = Reference.permute(x[0], [1, 0])
                return HostTensor(t.shape, HalfConversion.roundTrip(t.values, through: .bf16))
            }),
        row(
            .concat, "concat: VAE causal cache (2 frames) before a chunk [1, 96, 3, 8, 8] on time", atol: 0, rtol: 0,
            inputs: { [random([1, 96, 2, 8, 8], 12), random([1, 96, 3, 8, 8], 13)] },
            run: { b, x in try b.concat(x, axis: 2) }, reference: { Reference.concat($0, axis: 2) }),
        row(
            .pad, "pad reflect + constant [1, 16, 3, 10, 10]", atol: 0, rtol: 0,
            inputs: { [random([1, 16, 3, 10, 10], 14)] },
            run: { b, x in
                try b.pad(
                    try b.pad(x[0], padding: [.init(0, 0), .init(0, 0), .init(2, 0), .init(1, 1), .init(1, 1)], mode: .constant(0.5)),
                    padding: [.init(0, 0), .init(0, 0), .init(0, 0), .init(3, 2), .init(2, 3)], mode: .reflect)
            },
            reference: { x in
                Reference.pad(
                    Reference.pad(x[0], [.init(0, 0), .init(0, 0), .init(2, 0), .init(1, 1), .init(1, 1)], .constant(0.5)),
                    [.init(0, 0), .init(0, 0), .init(0, 0), .init(3, 2), .init(2, 3)], .reflect)
            }),
        row(
            .pad, "pad replicate [2, 7, 9]", atol: 0, rtol: 0, inputs: { [random([2, 7, 9], 15)] },
            run: { b, x in try b.pad(x[0], padding: [.init(0, 1), .init(3, 0), .init(4, 4)], mode: .replicate) },
            reference: { Reference.pad($0[0], [.init(0, 1), .init(3, 0), .init(4, 4)], .replicate) }),
        row(
            .resize, "resize nearest-exact ×2 (VAE upsample) [1, 8, 2, 30, 52] on H", atol: 0, rtol: 0,
            inputs: { [random([1, 8, 2, 30, 52], 16)] },
            run: { b, x in try b.resize(x[0], axis: 3, size: 60, mode: .nearestExact) },
            reference: { Reference.resize($0[0], axis: 3, size: 60, mode: .nearestExact) }),
        row(
            .resize, "resize linear 37 → 50 (both corner rules) and nearest 50 → 19", atol: 2e-5, rtol: 1e-5,
            inputs: { [random([3, 37, 5], 17)] },
            run: { b, x in
                try b.resize(
                    try b.resize(
                        try b.resize(x[0], axis: 1, size: 50, mode: .linear(alignCorners: false)), axis: 2, size: 9,
                        mode: .linear(alignCorners: true)), axis: 1, size: 19, mode: .nearest)
            },
            reference: { x in
                Reference.resize(
                    Reference.resize(
                        Reference.resize(x[0], axis: 1, size: 50, mode: .linear(alignCorners: false)), axis: 2,
                        size: 9, mode: .linear(alignCorners: true)), axis: 1, size: 19, mode: .nearest)
            }),
        row(
            .embedding, "embedding: Whisper vocabulary rows [51866, 64] (subset of 1280 columns), bf16", atol: 0,
            rtol: 0, inputs: { [random([51866, 64], 18, dtype: .bf16)] },
            run: { b, x in try b.embedding(x[0], indices: [0, 50257, 7, 51865, 7, 1234]) },
            reference: { x in
                let rows = [0, 50257, 7, 51865, 7, 1234]
                return HostTensor([rows.count, 64], rows.flatMap { x[0].values[($0 * 64)..<($0 * 64 + 64)] })
            }),
    ]

    static let elementwise: [ConformanceCase] =
        UnaryOp.allCases.map { op in
            let domainLimited: Set<UnaryOp> = [.log, .sqrt, .rsqrt]
            return row(
                .unary, "unary \(op.rawValue) [4099]", atol: 1e-6, rtol: 2e-5,
                inputs: { [domainLimited.contains(op) ? positive([4099], 20) : random([4099], 20, scale: 2)] },
                run: { b, x in try b.unary(op, x[0]) }, reference: { Reference.unary(op, $0[0]) })
        }
        + BinaryOp.allCases.map { op in
            row(
                .binary, "binary \(op.rawValue): Wan tokens [64, 1536] ⊙ [1, 1536]", atol: 1e-6, rtol: 1e-6,
                inputs: { [random([64, 1536], 21), positive([1, 1536], 22)] },
                run: { b, x in try b.binary(op, x[0], x[1]) }, reference: { try Reference.binary(op, $0[0], $0[1]) })
        }
        + [
            row(
                .binary, "binary add, f16 operand broadcast on both sides [5, 1, 7] + [3, 1]", atol: 0, rtol: 0,
                inputs: { [random([5, 1, 7], 23, dtype: .f16), random([3, 1], 24)] },
                run: { b, x in try b.binary(.add, x[0], x[1]) }, reference: { try Reference.binary(.add, $0[0], $0[1]) }
            )
        ]
        + BinaryOp.allCases.map { op in
            row(
                .scalar, "scalar \(op.rawValue) 0.7 [3, 1001]", atol: 1e-6, rtol: 1e-6, inputs: { [random([3, 1001], 25)] },
                run: { b, x in try b.scalar(op, x[0], 0.7) },
                reference: { x in HostTensor(x[0].shape, x[0].values.map { Float(Reference.binary(op, Double($0), 0.7)) }) }
            )
        }
        + [
            row(
                .clamp, "clamp [-0.5, 1.25] [8191]", atol: 0, rtol: 0, inputs: { [random([8191], 26, scale: 2)] },
                run: { b, x in try b.clamp(x[0], min: -0.5, max: 1.25) },
                reference: { x in HostTensor(x[0].shape, x[0].values.map { min(max($0, -0.5), 1.25) }) }),
            row(
                .modulate, "modulate: Wan AdaLN x [256, 1536], scale/shift [1, 1536]", atol: 1e-6, rtol: 1e-5,
                inputs: { [random([256, 1536], 27), random([1, 1536], 28), random([1, 1536], 29)] },
                run: { b, x in try b.modulate(x[0], scale: x[1], shift: x[2]) },
                reference: { x in
                    let one = HostTensor(x[1].shape, x[1].values.map { $0 + 1 })
                    return try Reference.binary(.add, try Reference.binary(.mul, x[0], one), x[2])
                }),
            row(
                .gatedAdd, "gatedAdd: Wan residual x + gate ⊙ y [256, 1536], gate [1, 1536]", atol: 1e-6, rtol: 1e-5,
                inputs: { [random([256, 1536], 30), random([256, 1536], 31), random([1, 1536], 32)] },
                run: { b, x in try b.gatedAdd(x[0], x[1], gate: x[2]) },
                reference: { x in try Reference.binary(.add, x[0], try Reference.binary(.mul, x[1], x[2])) }),
        ]

    static let linearAlgebra: [ConformanceCase] = [
        row(
            .matmul, "matmul batched, transposed, broadcast [2, 3, 64, 77]ᵀ · [53, 64]ᵀ", atol: 1e-5, rtol: 1e-4,
            inputs: { [random([2, 3, 64, 77], 40), random([53, 64], 41)] },
            run: { b, x in try b.matmul(x[0], x[1], transposeA: true, transposeB: true) },
            reference: { try Reference.matmul($0[0], $0[1], transposeA: true, transposeB: true) }),
        row(
            .matmul, "matmul K = 1536 (Wan dim), odd N [16, 1536] · [1536, 97]", atol: 1e-4, rtol: 1e-4,
            inputs: { [random([16, 1536], 42), random([1536, 97], 43, scale: 1 / Float(1536).squareRoot())] },
            run: { b, x in try b.matmul(x[0], x[1]) },
            reference: { x in
                Reference.linear(x[0], Reference.permute(x[1], [1, 0]), nil)
            }),
        row(
            .linear, "linear Wan FFN up 1536 → 8960, bf16 weight (8 of 1560 rows)", atol: 1e-4, rtol: 1e-4,
            inputs: {
                [
                    random([8, 1536], 44), random([8960, 1536], 45, scale: 1 / Float(1536).squareRoot(), dtype: .bf16),
                    random([8960], 46),
                ]
            },
            run: { b, x in try b.linear(x[0], weight: x[1], bias: x[2]) },
            reference: { Reference.linear($0[0], $0[1], $0[2]) }),
        row(
            .linear, "linear Wan FFN down 8960 → 1536, f16 weight (8 rows, 512 of 1536 columns)", atol: 1e-4,
            rtol: 1e-4,
            inputs: {
                [random([8, 8960], 47), random([512, 8960], 48, scale: 1 / Float(8960).squareRoot(), dtype: .f16)]
            },
            run: { b, x in try b.linear(x[0], weight: x[1], bias: nil) },
            reference: { Reference.linear($0[0], $0[1], nil) }),
        row(
            .linear, "linear on a transposed view, K not a multiple of 4 [2, 3, 37] · [11, 37]ᵀ", atol: 1e-5,
            rtol: 1e-4, inputs: { [random([2, 37, 3], 49), random([11, 37], 50), random([11], 51)] },
            run: { b, x in try b.linear(x[0].transposed(1, 2), weight: x[1], bias: x[2]) },
            reference: { Reference.linear(Reference.permute($0[0], [0, 2, 1]), $0[1], $0[2]) }),
    ]

    static let convolution: [ConformanceCase] = [
        convRow(
            "conv3d Wan VAE causal 3×3×3 at width 384 (16 of 384 output channels)", x: [1, 384, 3, 10, 10],
            weight: [16, 384, 3, 3, 3], geometry: { try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)) },
            seed: 60, weightDType: .bf16),
        convRow(
            "conv3d VAE time downsample stride (2, 1, 1), kernel 3×1×1 at width 384 (8 outputs)",
            x: [1, 384, 5, 6, 6], weight: [8, 384, 3, 1, 1], bias: false,
            geometry: { try ConvGeometry(spatialRank: 3, stride: [2, 1, 1]) }, seed: 63),
        convRow(
            "conv2d stride 2, asymmetric padding (VAE spatial downsample) [1, 96, 17, 17]", x: [1, 96, 17, 17],
            weight: [12, 96, 3, 3],
            geometry: { try ConvGeometry(spatialRank: 2, stride: [2, 2], padding: [.init(0, 1), .init(0, 1)]) },
            seed: 66),
        convRow(
            "conv1d Whisper front end 128 mel → 24 of 1280, 3000 frames, pad 1", x: [1, 128, 3000],
            weight: [24, 128, 3], geometry: { try ConvGeometry(spatialRank: 1, padding: [.symmetric(1)]) }, seed: 69),
        convRow(
            "conv1d grouped + dilated [2, 8, 40], 4 groups, dilation 3", x: [2, 8, 40], weight: [12, 2, 3],
            geometry: { try ConvGeometry(spatialRank: 1, dilation: [3], groups: 4) }, seed: 72),
    ]

    static let norms: [ConformanceCase] = [
        row(
            .layerNorm, "layerNorm Wan/HuMo row of 5120 with affine (16 rows)", atol: 1e-5, rtol: 1e-4,
            inputs: { [random([16, 5120], 80, scale: 3), random([5120], 81), random([5120], 82)] },
            run: { b, x in try b.layerNorm(x[0], weight: x[1], bias: x[2], eps: 1e-6) },
            reference: { Reference.layerNorm($0[0], $0[1], $0[2], eps: 1e-6) }),
        row(
            .layerNorm, "layerNorm without affine (Wan norm1) [3, 1536]", atol: 1e-5, rtol: 1e-4,
            inputs: { [random([3, 1536], 83)] }, run: { b, x in try b.layerNorm(x[0], weight: nil, bias: nil, eps: 1e-6) },
            reference: { Reference.layerNorm($0[0], nil, nil, eps: 1e-6) }),
        row(
            .rmsNorm, "rmsNorm Wan q/k norm over dim 1536 (64 rows)", atol: 1e-5, rtol: 1e-4,
            inputs: { [random([64, 1536], 84), random([1536], 85)] },
            run: { b, x in try b.rmsNorm(x[0], weight: x[1], eps: 1e-6) },
            reference: { Reference.rmsNorm($0[0], $0[1], eps: 1e-6) }),
        row(
            .groupNorm, "groupNorm 32 groups of [1, 384, 2, 24, 24] (rows of 13,824)", atol: 1e-5, rtol: 1e-4,
            inputs: { [random([1, 384, 2, 24, 24], 86), random([384], 87), random([384], 88)] },
            run: { b, x in try b.groupNorm(x[0], groups: 32, weight: x[1], bias: x[2], eps: 1e-6) },
            reference: { Reference.groupNorm($0[0], groups: 32, $0[1], $0[2], eps: 1e-6) }),
        row(
            .channelRMSNorm, "channelRMSNorm Wan VAE width 384 [1, 384, 3, 12, 12]", atol: 1e-5, rtol: 1e-4,
            inputs: { [random([1, 384, 3, 12, 12], 89), random([384], 90)] },
            run: { b, x in try b.channelRMSNorm(x[0], gamma: x[1], eps: 1e-12) },
            reference: { Reference.channelRMSNorm($0[0], $0[1], eps: 1e-12) }),
    ]

    static let attentionFamily: [ConformanceCase] = [
        row(
            .softmax, "softmax over 6240 scores (16 rows)", atol: 1e-7, rtol: 1e-4,
            inputs: { [random([16, 6240], 100, scale: 8)] }, run: { b, x in try b.softmax(x[0]) },
            reference: { Reference.softmax($0[0]) }),
        row(
            .rope, "rope Wan 3-D table 4×30×52 tokens × head 128 (2 of 12 heads), interleaved", atol: 1e-5,
            rtol: 1e-5, inputs: { [random([1, 6240, 2, 128], 101)] },
            run: { b, x in
                let (c, s) = try wanTable.upload(on: b)
                return try b.rope(x[0], cos: c, sin: s, pairing: .interleaved)
            },
            reference: { Reference.rope($0[0], cos: wanTable.cos, sin: wanTable.sin, pairing: .interleaved) }),
        row(
            .rope, "rope halves pairing [2, 33, 3, 64]", atol: 1e-5, rtol: 1e-5, inputs: { [random([2, 33, 3, 64], 102)] },
            run: { b, x in
                let (c, s) = try halvesTable.upload(on: b)
                return try b.rope(x[0], cos: c, sin: s, pairing: .halves)
            },
            reference: { Reference.rope($0[0], cos: halvesTable.cos, sin: halvesTable.sin, pairing: .halves) }),
        attentionRow(
            "attention odd sizes, 4 heads on 2 kv heads, Dv ≠ D", lq: 77, lk: 53, heads: 4, kvHeads: 2, d: 24, dv: 16,
            seed: 103),
        attentionRow(
            "attention batched [2, 40, 2, 128]", batch: 2, lq: 40, lk: 40, heads: 2, kvHeads: 2, d: 128, dv: 128,
            seed: 106),
        attentionRow(
            "attention head dim 10, Dv 6 (not multiples of 4)", lq: 9, lk: 13, heads: 2, kvHeads: 2, d: 10, dv: 6,
            seed: 109),
        attentionRow(
            "attention Wan text cross-attention 512 keys × head 128", lq: 8, lk: 512, heads: 2, kvHeads: 2, d: 128,
            dv: 128, seed: 112),
        attentionRow(
            "attention 1950 keys × head 128", lq: 8, lk: 1950, heads: 2, kvHeads: 2, d: 128, dv: 128, seed: 115),
        attentionRow(
            "attention 6240 keys × head 128 (Wan 480p, 4 latent frames)", lq: 8, lk: 6240, heads: 2, kvHeads: 2,
            d: 128, dv: 128, seed: 118),
        attentionRow(
            "attention Whisper encoder 1500 positions × head 64", lq: 8, lk: 1500, heads: 2, kvHeads: 2, d: 64, dv: 64,
            seed: 121),
        attentionRow(
            "attention Wan VAE block 576 pixels × one head of 384", lq: 8, lk: 576, heads: 1, kvHeads: 1, d: 384,
            dv: 384, seed: 124),
        attentionRow(
            "attention Wan VAE block 4096 pixels × one head of 384", lq: 6, lk: 4096, heads: 1, kvHeads: 1, d: 384,
            dv: 384, seed: 127),
    ]

    static let reductions: [ConformanceCase] =
        ReduceOp.allCases.map { op in
            row(
                .reduce, "reduce \(op.rawValue) over the middle axis of [3, 1536, 5]", atol: 1e-4, rtol: 1e-5,
                inputs: { [random([3, 1536, 5], 130)] }, run: { b, x in try b.reduce(op, x[0], axis: 1, keepDim: false) },
                reference: { Reference.reduce(op, $0[0], axis: 1) })
        } + [
            row(
                .reduce, "reduce mean over the last axis, keepDim [4, 7, 3]", atol: 1e-6, rtol: 1e-5,
                inputs: { [random([4, 7, 3], 131)] }, run: { b, x in try b.reduce(.mean, x[0], axis: -1, keepDim: true) },
                reference: { x in
                    let r = Reference.reduce(.mean, x[0], axis: 2)
                    return HostTensor([4, 7, 1], r.values)
                })
        ]

    /// Wan's 3-D RoPE table of a 480×832 clip of 13 frames' first 4 latent frames (4×30×52 = 6240 tokens).
    static let wanTable = try! RoPETable.wan3D(frames: 4, height: 30, width: 52, headDim: 128)
    static let halvesTable = try! RoPETable.oneD(positions: (0..<33).map(Double.init), headDim: 64)
}
