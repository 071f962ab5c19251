import Foundation
import Tensor

/// A matrix operand as BLAS wants it: f32 rows (or columns) with a leading dimension.
struct BLASMatrix {
    let pointer: UnsafeMutablePointer<Float>
    /// Leading dimension (elements between consecutive rows of the stored layout).
    let ld: Int
    /// True when the stored layout is the transpose of the logical matrix (column-major view).
    let transposed: Bool
}

extension CPUBackend {
    /// Row-major GEMM C[M,N] = alpha·op(A)·op(B) + beta·C, through OpenBLAS (multi-threaded).
    /// Throws when a size or leading dimension does not fit BLAS's 32-bit integers.
    @inline(__always)
    func sgemm(
        _ m: Int, _ n: Int, _ k: Int, alpha: Float, a: BLASMatrix, b: BLASMatrix, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) throws {
        guard m > 0, n > 0 else { return }
        guard [m, n, k, a.ld, b.ld, ldc].allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw TensorError.invalidArgument("GEMM \(m)×\(k)·\(k)×\(n): a size exceeds BLAS's 32-bit limit")
        }
        if k == 0 {
            // BLAS leaves C·beta; make that explicit for the empty product.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        blas.sgemm(
            transA: a.transposed, transB: b.transposed, m, n, k, alpha: alpha, a.pointer, lda: max(a.ld, 1),
            b.pointer, ldb: max(b.ld, 1), beta: beta, c, ldc: max(ldc, 1))
    }

    /// The last two axes of x as a BLAS matrix without copying when they are f32 with a unit stride
    /// on either axis; otherwise the whole tensor is made contiguous first. Returns the matrix of
    /// batch index 0 and the strides of the batch axes (elements).
    func matrixOperand(_ x: Tensor, _ op: String) throws -> (BLASMatrix, batchStrides: [Int], keep: CPUStorage) {
        let s = try storage(x, op)
        let r = x.rank
        let rows = x.shape[r - 2]
        let cols = x.shape[r - 1]
        if x.dtype == .f32 {
            let p = x.cpuAddress(s).assumingMemoryBound(to: Float.self)
            let rs = rows == 1 ? max(cols, 1) : x.strides[r - 2]
            let cs = cols == 1 ? 1 : x.strides[r - 1]
            if cs == 1 && rs >= max(cols, 1) {
                return (BLASMatrix(pointer: p, ld: rs, transposed: false), Array(x.strides.dropLast(2)), s)
            }
            let cs2 = cols == 1 ? max(rows, 1) : x.strides[r - 1]
            let rs2 = rows == 1 ? 1 : x.strides[r - 2]
            if rs2 == 1 && cs2 >= max(rows, 1) {
                return (BLASMatrix(pointer: p, ld: cs2, transposed: true), Array(x.strides.dropLast(2)), s)
            }
        }
        let run = try f32(x, op)
        let strides = Layout.contiguousStrides(x.shape)
        return (
            BLASMatrix(pointer: run.pointer, ld: max(cols, 1), transposed: false), Array(strides.dropLast(2)),
            run.storage
        )
    }

    public func matmul(checked a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, shape: MatmulShape) throws
        -> Tensor
    {
        let (m, n, ka, batch) = (shape.m, shape.n, shape.k, shape.batch)
        let batchA = Array(a.shape.dropLast(2))
        let batchB = Array(b.shape.dropLast(2))
        let (result, dst) = try output(batch + [m, n])
        let batchCount = batch.reduce(1, *)
        if batchCount == 0 || m == 0 || n == 0 { return result }
        let (ma, stridesA, keepA) = try matrixOperand(a, "matmul")
        let (mb, stridesB, keepB) = try matrixOperand(b, "matmul")
        // A batch of A whose rows follow each other in memory, times one shared B: one big GEMM.
        let bShared = batchB.reduce(1, *) == 1
        if bShared && !transposeA && !ma.transposed && batchCount > 1
            && Layout.isContiguous(shape: batchA + [m], strides: stridesA + [ma.ld])
        {
            let mbEff = BLASMatrix(pointer: mb.pointer, ld: mb.ld, transposed: mb.transposed != transposeB)
            try sgemm(batchCount * m, n, ka, alpha: 1, a: ma, b: mbEff, beta: 0, c: dst, ldc: n)
            _ = (keepA, keepB)
            return result
        }
        let ea = batch.count - batchA.count
        let eb = batch.count - batchB.count
        var index = [Int](repeating: 0, count: batch.count)
        for t in 0..<batchCount {
            var rest = t
            for k in stride(from: batch.count - 1, through: 0, by: -1) {
                index[k] = rest % batch[k]
                rest /= batch[k]
            }
            var oa = 0
            var ob = 0
            for k in 0..<batch.count {
                if k >= ea, batchA[k - ea] != 1 { oa += index[k] * stridesA[k - ea] }
                if k >= eb, batchB[k - eb] != 1 { ob += index[k] * stridesB[k - eb] }
            }
            let opA = BLASMatrix(pointer: ma.pointer + oa, ld: ma.ld, transposed: ma.transposed != transposeA)
            let opB = BLASMatrix(pointer: mb.pointer + ob, ld: mb.ld, transposed: mb.transposed != transposeB)
            try sgemm(m, n, ka, alpha: 1, a: opA, b: opB, beta: 0, c: dst + t * m * n, ldc: n)
        }
        _ = (keepA, keepB)
        return result
    }

    public func linear(checked x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let outF = weight.shape[0]
        let inF = weight.shape[1]
        let rows = x.count / max(inF, 1)
        let b = try vector(bias, "linear")
        let (result, dst) = try output(Array(x.shape.dropLast()) + [outF])
        if rows == 0 || outF == 0 { return result }
        // x as [rows, in]: a view when possible.
        let x2 = (try? x.reshaped([rows, inF])) ?? x
        let (mx, _, keepX) = try matrixOperand(x2.rank == 2 ? x2 : try contiguous(x).reshaped([rows, inF]), "linear")
        if let b {
            // C starts as the bias in every row; the GEMM then accumulates with beta = 1.
            parallelRanges(rows, grain: 64, threads: threads) { range in
                for r in range { (dst + r * outF).update(from: b.pointer, count: outF) }
            }
        }
        let beta: Float = b == nil ? 0 : 1
        if inF > 0 && linearRunsBF16(weight: weight) {
            let xRun = mx.transposed || mx.ld != inF ? try f32(try contiguous(x), "linear") : nil
            try linearBF16(
                x: xRun?.pointer ?? mx.pointer, rows: rows, weight: weight, dst: dst, accumulate: b != nil)
            _ = (keepX, b, xRun)
            return result
        }
        if weight.dtype == .f32 {
            let (mw, _, keepW) = try matrixOperand(weight, "linear")
            // y = x·Wᵀ: B is W transposed.
            let opB = BLASMatrix(pointer: mw.pointer, ld: mw.ld, transposed: !mw.transposed)
            try sgemm(rows, outF, inF, alpha: 1, a: mx, b: opB, beta: beta, c: dst, ldc: outF)
            _ = keepW
        } else {
            // Half weights: widen blocks of output rows to f32 (bounded scratch), one GEMM per block.
            let ws = try storage(weight, "linear")
            let blockRows = max(1, min(outF, (16 << 20) / max(inF, 1)))
            let scratch = try allocate(blockRows * inF * 4, zeroed: false)
            let sp = scratch.base.assumingMemoryBound(to: Float.self)
            var o0 = 0
            while o0 < outF {
                let nb = min(blockRows, outF - o0)
                stridedCopy(
                    from: weight.cpuAddress(ws) + o0 * weight.strides[0] * weight.dtype.byteSize, weight.dtype,
                    strides: weight.strides, to: scratch.base, .f32, strides: [inF, 1], shape: [nb, inF],
                    threads: threads)
                try sgemm(
                    rows, nb, inF, alpha: 1, a: mx, b: BLASMatrix(pointer: sp, ld: inF, transposed: true),
                    beta: beta, c: dst + o0, ldc: outF)
                o0 += nb
            }
        }
        _ = (keepX, b)
        return result
    }
}
