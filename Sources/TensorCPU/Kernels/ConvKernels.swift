import Foundation
import CCPUKernels
import Tensor

extension CPUBackend {
    /// Every rank is run as 3-D (missing leading spatial axes have size 1). Stride 1 with `directConv`:
    /// the direct kernel (`convTaps`, no im2col). Otherwise im2col + GEMM, per batch item and group:
    /// `out[Cout_g, P] = W_g[Cout_g, Cin_g·K] · col[Cin_g·K, P]`, with the column matrix built for a
    /// chunk of output positions at a time so its memory stays bounded; a 1×1×1 kernel is one GEMM.
    public func conv(checked x: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvGeometry, outputSize outSize: [Int])
        throws -> Tensor
    {
        let n = g.spatialRank
        let batch = x.shape[0]
        let cin = x.shape[1]
        let cout = weight.shape[0]
        let groups = g.groups
        let kernel = Array(weight.shape[2...])
        let inSize = Array(x.shape[2...])
        let b = try vector(bias, "conv\(n)d")
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
        countConvolution(2 * Double(batch * cout) * Double(kDim) * Double(pOut))
        let pointwise = kProd == 1 && st == [1, 1, 1] && pb == [0, 0, 0] && outs == ins
        if directConv && !pointwise && st == [1, 1, 1] && kProd <= Int(OE_CONV_MAX_TAPS) {
            let pa = [Int](repeating: 0, count: lead) + g.padding.map(\.after)
            try convTaps(
                xr.pointer, weight: wr.pointer, bias: b?.pointer, into: dst,
                shape: ConvTapsShape(
                    batch: batch, groups: groups, cin: cinG, cout: coutG, input: ins, output: outs, kernel: ks,
                    dilation: dl, padBefore: pb, padAfter: pa))
            _ = (xr, wr, b)
            return result
        }
        if let b {
            for bi in 0..<batch {
                for o in 0..<cout { (dst + (bi * cout + o) * pOut).update(repeating: b.pointer[o], count: pOut) }
            }
        }
        let beta: Float = b == nil ? 0 : 1
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
        // Column chunk: at most `convColumnBudget` floats of im2col per GEMM.
        let chunk = max(1, min(pOut, convColumnBudget / max(kDim, 1)))
        let col = try allocate(kDim * chunk * 4, zeroed: false)
        let cp = col.base.assumingMemoryBound(to: Float.self)
        let xp = UnsafePointer(xr.pointer)
        let geometry = Im2Col(
            kernel: (ks[0], ks[1], ks[2]), input: (ins[0], ins[1], ins[2]), output: (outs[0], outs[1], outs[2]),
            stride: (st[0], st[1], st[2]), dilation: (dl[0], dl[1], dl[2]), padBefore: (pb[0], pb[1], pb[2]))
        for bi in 0..<batch {
            for gi in 0..<groups {
                let xBase = xp + (bi * cin + gi * cinG) * pIn
                var p0 = 0
                while p0 < pOut {
                    let np = min(chunk, pOut - p0)
                    let start = p0
                    im2col(
                        xBase, into: cp, rows: kDim, columns: start..<(start + np), geometry: geometry)
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

/// Sizes of a 3-D im2col as plain scalars (the hot loop must not touch arrays).
struct Im2Col {
    let kernel: (t: Int, h: Int, w: Int)
    let input: (t: Int, h: Int, w: Int)
    let output: (t: Int, h: Int, w: Int)
    let stride: (t: Int, h: Int, w: Int)
    let dilation: (t: Int, h: Int, w: Int)
    let padBefore: (t: Int, h: Int, w: Int)
}

extension CPUBackend {
    /// Fills `col[r, j]` (row stride = `columns.count`) with the input element that kernel tap r =
    /// (c, kt, kh, kw) meets at output position `columns.lowerBound + j`, or 0 in the padding.
    /// Works a line of output positions (fixed t, h) at a time: one bounds decision for t and h, and
    /// for stride 1 along w a block copy between two zero-filled margins.
    func im2col(
        _ x: UnsafePointer<Float>, into col: UnsafeMutablePointer<Float>, rows: Int, columns: Range<Int>,
        geometry g: Im2Col
    ) {
        let np = columns.count
        let kProd = g.kernel.t * g.kernel.h * g.kernel.w
        let plane = g.output.h * g.output.w
        let pIn = g.input.t * g.input.h * g.input.w
        parallelRanges(rows, grain: max(1, 4096 / max(np, 1)), threads: threads) { range in
            for r in range {
                let c = r / kProd
                let kt = (r / (g.kernel.h * g.kernel.w)) % g.kernel.t
                let kh = (r / g.kernel.w) % g.kernel.h
                let kw = r % g.kernel.w
                let src = x + c * pIn
                let row = col + r * np
                var j = 0
                var p = columns.lowerBound
                while j < np {
                    let ot = p / plane
                    let oh = (p % plane) / g.output.w
                    let ow0 = p % g.output.w
                    let run = min(g.output.w - ow0, np - j)
                    let it = ot * g.stride.t - g.padBefore.t + kt * g.dilation.t
                    let ih = oh * g.stride.h - g.padBefore.h + kh * g.dilation.h
                    let out = row + j
                    if it < 0 || it >= g.input.t || ih < 0 || ih >= g.input.h {
                        out.update(repeating: 0, count: run)
                    } else {
                        let line = src + (it * g.input.h + ih) * g.input.w
                        let shift = kw * g.dilation.w - g.padBefore.w
                        if g.stride.w == 1 {
                            // iw = ow + shift: valid for ow in [-shift, W_in - shift).
                            let lo = min(max(-shift - ow0, 0), run)
                            let hi = max(min(g.input.w - shift - ow0, run), lo)
                            if lo > 0 { out.update(repeating: 0, count: lo) }
                            if hi > lo { (out + lo).update(from: line + ow0 + lo + shift, count: hi - lo) }
                            if run > hi { (out + hi).update(repeating: 0, count: run - hi) }
                        } else {
                            for q in 0..<run {
                                let iw = (ow0 + q) * g.stride.w + shift
                                out[q] = iw >= 0 && iw < g.input.w ? line[iw] : 0
                            }
                        }
                    }
                    j += run
                    p += run
                }
            }
        }
    }
}
