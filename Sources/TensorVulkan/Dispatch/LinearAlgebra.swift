// LinearAlgebraOps: batched matmul and nn.Linear on the tiled `gemm` shader. Transposes, batch
// broadcasting and half-precision weights are all read in place through strides and dtype constants.
import Tensor

/// One GEMM problem for gemm.comp: C[z] = A[z]·B[z] (+ bias), element strides of A and B, and the
/// (A, B, C, bias) element offsets of every batch z.
struct GEMMProblem {
    var m: Int, n: Int, k: Int
    var sam: Int, sak: Int, sbk: Int, sbn: Int
    /// Row stride of C (elements between C[m, 0] and C[m + 1, 0]).
    var ldc: Int
    /// Four offsets per batch: A, B, C, bias.
    var offsets: [Int]
    var a: Tensor
    var b: Tensor
    var c: Tensor
    /// Bias and where it applies (1: per column n, 2: per row m), or nil.
    var bias: (tensor: Tensor, mode: UInt32)?
}

extension GEMMProblem {
    /// True when k is contiguous in A and B and every row starts on a multiple of 4 elements, so
    /// gemm_direct may read 4 values of k at once.
    var chunksOfFour: Bool {
        guard sak == 1, sbk == 1, k % 4 == 0, sam % 4 == 0, sbn % 4 == 0 else { return false }
        return stride(from: 0, to: offsets.count, by: 4).allSatisfy { offsets[$0] % 4 == 0 && offsets[$0 + 1] % 4 == 0 }
    }
}

extension VulkanBackend {
    public func matmul(checked a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, shape: MatmulShape) throws
        -> Tensor
    {
        let (m, n, k, batchShape) = (shape.m, shape.n, shape.k, shape.batch)
        let av = try a.expanded(to: batchShape + Array(a.shape.suffix(2)))
        let bv = try b.expanded(to: batchShape + Array(b.shape.suffix(2)))
        let out = try newTensor(batchShape + [m, n], op: "matmul")
        let batches = batchShape.reduce(1, *)
        guard out.count > 0 else { return out }
        var offsets: [Int] = []
        offsets.reserveCapacity(4 * batches)
        let batchStrides = Layout.contiguousStrides(batchShape)
        for z in 0..<batches {
            var (ao, bo) = (av.offset, bv.offset)
            for axis in batchShape.indices {
                let index = (z / batchStrides[axis]) % batchShape[axis]
                ao += index * av.strides[axis]
                bo += index * bv.strides[axis]
            }
            offsets += [ao, bo, z * m * n, 0]
        }
        let aRows = av.strides[av.rank - 2]
        let aCols = av.strides[av.rank - 1]
        let bRows = bv.strides[bv.rank - 2]
        let bCols = bv.strides[bv.rank - 1]
        try gemm(
            GEMMProblem(
                m: m, n: n, k: k,
                sam: transposeA ? aCols : aRows, sak: transposeA ? aRows : aCols,
                sbk: transposeB ? bCols : bRows, sbn: transposeB ? bRows : bCols,
                ldc: n, offsets: offsets, a: av, b: bv, c: out, bias: nil),
            op: "matmul")
        return out
    }

    public func linear(checked x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        let rows = x.shape.dropLast().reduce(1, *)
        // Rows of x as one matrix: a view when the leading axes merge, else a dense copy.
        let flat = try (try? x.reshaped([rows, inFeatures])) ?? dense(x, "linear").reshaped([rows, inFeatures])
        _ = try buffer(flat, "linear")
        let out = try newTensor(Array(x.shape.dropLast()) + [outFeatures], op: "linear")
        guard out.count > 0 else { return out }
        let biasTensor = try bias.map { try dense($0, "linear") }
        try gemm(
            GEMMProblem(
                m: rows, n: outFeatures, k: inFeatures,
                sam: flat.strides[0], sak: flat.strides[1],
                // y = x·Wᵀ: B(k, n) = W[n, k].
                sbk: weight.strides[1], sbn: weight.strides[0],
                ldc: outFeatures, offsets: [flat.offset, weight.offset, 0, 0], a: flat, b: weight, c: out,
                bias: biasTensor.map { ($0, 1) }),
            op: "linear")
        return out
    }

    /// Records gemm.comp for `problem`.
    func gemm(_ problem: GEMMProblem, op: String) throws {
        let batches = problem.offsets.count / 4
        let limits = context.limits.maxComputeWorkGroupCount
        // Tiled: 64×64 outputs per group on a 2-D grid. Direct: 8 rows × 32 columns per group, in a
        // linear (panel-ordered) group id spread over x and y.
        let groups: (x: Int, y: Int, z: Int)
        if kernelStyle == .tiled {
            groups = ((problem.n + 63) / 64, (problem.m + 63) / 64, batches)
        } else {
            let flat = grid((problem.m + 7) / 8 * ((problem.n + 31) / 32), local: 1)
            groups = (flat.x, flat.y, batches)
        }
        guard groups.y <= Int(limits.1), groups.z <= Int(limits.2) else {
            throw TensorError.invalidArgument(
                "\(op): \(problem.m) rows in \(batches) batches exceed the device's work-group limits")
        }
        if kernelStyle == .direct {
            try checkLoopTrips(problem.chunksOfFour ? problem.k / 4 : problem.k, op, "an inner size K of \(problem.k)")
        }
        let offsets = try meta(problem.offsets, op)
        let a = try buffer(problem.a, op)
        let b = try buffer(problem.b, op)
        let c = try buffer(problem.c, op)
        // Without a bias the binding still needs a buffer; the shader never reads it.
        let bias = try problem.bias.map { try buffer($0.tensor, op) } ?? offsets
        var constants = [problem.a.dtype.shaderCode, problem.b.dtype.shaderCode, problem.bias?.mode ?? 0]
        if kernelStyle == .direct { constants.append(problem.chunksOfFour ? 1 : 0) }
        try context.record { recorder in
            try recorder.dispatch(
                kernelStyle == .tiled ? "gemm" : "gemm_direct", constants: constants,
                buffers: [a, b, c, bias, offsets],
                push: [
                    "M": .uint(problem.m), "N": .uint(problem.n), "K": .uint(problem.k), "sam": .uint(problem.sam),
                    "sak": .uint(problem.sak), "sbk": .uint(problem.sbk), "sbn": .uint(problem.sbn),
                    "ldc": .uint(problem.ldc),
                ], groups: groups)
        }
    }
}
