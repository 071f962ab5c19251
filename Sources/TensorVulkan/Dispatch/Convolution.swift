// ConvolutionOps: N-d convolution (N = 1, 2, 3) as im2col + GEMM. One batch item at a time shares
// one column buffer, so the columns cost Cin·ΠK·ΠO floats, not B times that.
import Tensor

extension VulkanBackend {
    public func conv(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) throws -> Tensor {
        let n = geometry.spatialRank
        guard x.rank == n + 2, weight.rank == n + 2 else {
            throw TensorError.shapeMismatch(
                "conv: x \(x.shape), weight \(weight.shape) for \(n) spatial axes (expected \(n + 2) axes each)")
        }
        let (batch, cin) = (x.shape[0], x.shape[1])
        let (cout, cinPerGroup) = (weight.shape[0], weight.shape[1])
        let groups = geometry.groups
        guard cin % groups == 0, cout % groups == 0, cin / groups == cinPerGroup else {
            throw TensorError.shapeMismatch(
                "conv: x \(x.shape) with \(groups) groups needs weight [Cout, \(cin / max(groups, 1)), ...], got \(weight.shape)"
            )
        }
        if let bias, bias.shape != [cout] {
            throw TensorError.shapeMismatch("conv: bias \(bias.shape) for \(cout) output channels")
        }
        let spatial = Array(x.shape.suffix(n))
        let kernel = Array(weight.shape.suffix(n))
        let outSpatial = try geometry.outputSize(input: spatial, kernel: kernel)
        let out = try newTensor([batch, cout] + outSpatial, op: "conv")
        guard out.count > 0 else { return out }
        // As 3-D: missing leading spatial axes have size 1, kernel 1, stride 1, no padding.
        func threeD(_ v: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: 3 - n) + v }
        let s = threeD(spatial, 1)
        let k = threeD(kernel, 1)
        let o = threeD(outSpatial, 1)
        let stride = threeD(geometry.stride, 1)
        let dilation = threeD(geometry.dilation, 1)
        let before = threeD(geometry.padding.map(\.before), 0)
        let positions = o.reduce(1, *)
        let taps = k.reduce(1, *)
        let rowsPerGroup = cinPerGroup * taps
        let columnCount = try Layout.elementCount([cin, taps, positions], op: "conv (im2col columns)")
        try checkIndexable(columnCount, "conv (im2col columns)")

        let dense = try dense(x, "conv")
        let packedWeight = weight.isContiguous ? weight : try contiguous(weight)
        let biasTensor = try bias.map { try self.dense($0, "conv") }
        let columns = try newTensor([cin * taps, positions], op: "conv")
        let source = try buffer(dense, "conv")
        let columnBuffer = try buffer(columns, "conv")
        let perItem = cin * s.reduce(1, *)
        let coutPerGroup = cout / groups
        for b in 0..<batch {
            let count = cin * taps * positions
            let push = [count, cin] + s + k + o + stride + dilation + before + [b * perItem]
            let words = try push.map { try u32($0, "conv") }
            try context.record { recorder in
                try recorder.dispatch(
                    "im2col", buffers: [source, columnBuffer], push: words, groups: grid(count))
            }
            // out[b, g·Cout/G + m, p] = Σ_r W[g·Cout/G + m, r] · columns[g·rowsPerGroup + r, p]
            var offsets: [Int] = []
            for g in 0..<groups {
                offsets += [
                    packedWeight.offset + g * coutPerGroup * rowsPerGroup,
                    g * rowsPerGroup * positions,
                    (b * cout + g * coutPerGroup) * positions,
                    g * coutPerGroup,
                ]
            }
            try gemm(
                GEMMProblem(
                    m: coutPerGroup, n: positions, k: rowsPerGroup, sam: rowsPerGroup, sak: 1, sbk: positions, sbn: 1,
                    ldc: positions, offsets: offsets, a: packedWeight, b: columns, c: out,
                    bias: biasTensor.map { ($0, 2) }),
                op: "conv")
        }
        return out
    }
}
