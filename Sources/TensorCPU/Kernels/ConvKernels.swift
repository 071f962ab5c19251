import Foundation
import Tensor

extension CPUBackend {
    /// Convolution by im2col + GEMM. Every rank is run as 3-D (missing leading spatial axes have size
    /// 1). Per batch item and group: `out[Cout_g, P] = W_g[Cout_g, Cin_g·K] · col[Cin_g·K, P]`, with
    /// the column matrix built for a chunk of output positions at a time so its memory stays bounded.
    public func conv(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) throws -> Tensor {
        let n = g.spatialRank
        guard x.rank == n + 2, weight.rank == n + 2 else {
            throw TensorError.shapeMismatch(
                "conv\(n)d: x \(x.shape) must be [B, Cin, \(n) spatial], weight \(weight.shape) [Cout, Cin/groups, \(n) kernel]"
            )
        }
        let batch = x.shape[0]
        let cin = x.shape[1]
        let cout = weight.shape[0]
        let groups = g.groups
        guard cin % groups == 0, cout % groups == 0, weight.shape[1] == cin / groups else {
            throw TensorError.shapeMismatch("conv\(n)d: x \(x.shape), weight \(weight.shape), groups \(groups)")
        }
        let kernel = Array(weight.shape[2...])
        let inSize = Array(x.shape[2...])
        let outSize = try g.outputSize(input: inSize, kernel: kernel)
        let b = try vector(bias, count: cout, "bias", "conv\(n)d")
        let (result, dst) = try output([batch, cout] + outSize)
        if result.count == 0 { return result }

        // Lift to 3-D.
        let lead = 3 - n
        let ks = [Int](repeating: 1, count: lead) + kernel
        let ins = [Int](repeating: 1, count: lead) + inSize
        let outs = [Int](repeating: 1, count: lead) + outSize
        let st = [Int](repeating: 1, count: lead) + g.stride
        let dl = [Int](repeating: 1, count: lead) + g.dilation
        let pb = [Int](repeating: 0, count: lead) + g.padding.map(\.before)

        let xr = try f32(x, "conv")
        let wr = try f32(weight, "conv")
        let cinG = cin / groups
        let coutG = cout / groups
        let kProd = ks[0] * ks[1] * ks[2]
        let kDim = cinG * kProd
        let pIn = ins[0] * ins[1] * ins[2]
        let pOut = outs[0] * outs[1] * outs[2]
        if let b {
            for bi in 0..<batch {
                for o in 0..<cout { (dst + (bi * cout + o) * pOut).update(repeating: b.pointer[o], count: pOut) }
            }
        }
        let beta: Float = b == nil ? 0 : 1
        let pointwise = kProd == 1 && st == [1, 1, 1] && pb == [0, 0, 0] && outs == ins
        if pointwise {
            for bi in 0..<batch {
                for gi in 0..<groups {
                    try sgemm(
                        coutG, pOut, cinG, alpha: 1,
                        a: BLASMatrix(pointer: wr.pointer + gi * coutG * kDim, ld: kDim, transposed: false),
                        b: BLASMatrix(pointer: xr.pointer + (bi * cin + gi * cinG) * pIn, ld: pIn, transposed: false),
                        beta: beta, c: dst + (bi * cout + gi * coutG) * pOut, ldc: pOut)
                }
            }
            return result
        }
        // Column chunk: at most ~8M floats (32 MB) of im2col per GEMM.
        let chunk = max(1, min(pOut, (8 << 20) / max(kDim, 1)))
        let col = try allocate(kDim * chunk * 4, zeroed: false)
        let cp = col.base.assumingMemoryBound(to: Float.self)
        let xp = UnsafePointer(xr.pointer)
        for bi in 0..<batch {
            for gi in 0..<groups {
                let xBase = xp + (bi * cin + gi * cinG) * pIn
                var p0 = 0
                while p0 < pOut {
                    let np = min(chunk, pOut - p0)
                    let start = p0
                    parallelRanges(kDim, grain: max(1, 4096 / np), threads: threads) { rows in
                        for r in rows {
                            let c = r / kProd
                            let kt = (r / (ks[1] * ks[2])) % ks[0]
                            let kh = (r / ks[2]) % ks[1]
                            let kw = r % ks[2]
                            let src = xBase + c * pIn
                            let row = cp + r * np
                            // Odometer over output positions (t, h, w) starting at `start`.
                            var ot = start / (outs[1] * outs[2])
                            var oh = (start / outs[2]) % outs[1]
                            var ow = start % outs[2]
                            for j in 0..<np {
                                let it = ot * st[0] - pb[0] + kt * dl[0]
                                let ih = oh * st[1] - pb[1] + kh * dl[1]
                                let iw = ow * st[2] - pb[2] + kw * dl[2]
                                if it >= 0 && it < ins[0] && ih >= 0 && ih < ins[1] && iw >= 0 && iw < ins[2] {
                                    row[j] = src[(it * ins[1] + ih) * ins[2] + iw]
                                } else {
                                    row[j] = 0
                                }
                                ow += 1
                                if ow == outs[2] {
                                    ow = 0
                                    oh += 1
                                    if oh == outs[1] {
                                        oh = 0
                                        ot += 1
                                    }
                                }
                            }
                        }
                    }
                    try sgemm(
                        coutG, np, kDim, alpha: 1,
                        a: BLASMatrix(pointer: wr.pointer + gi * coutG * kDim, ld: kDim, transposed: false),
                        b: BLASMatrix(pointer: cp, ld: np, transposed: false),
                        beta: beta, c: dst + (bi * cout + gi * coutG) * pOut + p0, ldc: pOut)
                    p0 += np
                }
            }
        }
        _ = (xr, wr, col)
        return result
    }
}
