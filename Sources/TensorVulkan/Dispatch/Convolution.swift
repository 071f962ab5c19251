// ConvolutionOps: N-d convolution (N = 1, 2, 3) as im2col + GEMM. One batch item and one range of
// output positions at a time share one column buffer of at most `columnBudget` floats, so a VAE-sized
// convolution (Cin·ΠK·ΠO in the billions) runs in slices instead of failing to allocate.
import Tensor

extension VulkanBackend {
    public func conv(checked x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, outputSize: [Int])
        throws -> Tensor
    {
        try conv(checked: x, weight: weight, bias: bias, geometry: geometry, outputSize: outputSize, columnBudget: 1 << 25)
    }

    /// `conv` with the column buffer limited to `columnBudget` floats (128 MiB by default; tests
    /// pass a tiny budget to prove the slicing).
    func conv(
        checked x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, outputSize outSpatial: [Int],
        columnBudget: Int
    ) throws -> Tensor {
        let n = geometry.spatialRank
        let (batch, cin) = (x.shape[0], x.shape[1])
        let (cout, cinPerGroup) = (weight.shape[0], weight.shape[1])
        let groups = geometry.groups
        let spatial = Array(x.shape.suffix(n))
        let kernel = Array(weight.shape.suffix(n))
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
        let rows = try Layout.elementCount([cin, taps], op: "conv (im2col rows)")
        try checkIndexable(rows, "conv (im2col rows)")
        // Output positions per slice: as many as the budget allows, at least one.
        let chunk = max(1, min(positions, columnBudget / max(rows, 1)))
        try checkIndexable(rows * chunk, "conv (im2col columns)")

        let dense = try dense(x, "conv")
        let packedWeight = weight.isContiguous ? weight : try contiguous(weight)
        let biasTensor = try bias.map { try self.dense($0, "conv") }
        let columns = try newTensor([rows, chunk], op: "conv")
        let source = try buffer(dense, "conv")
        let columnBuffer = try buffer(columns, "conv")
        let perItem = cin * s.reduce(1, *)
        let coutPerGroup = cout / groups
        for b in 0..<batch {
            for first in Swift.stride(from: 0, to: positions, by: chunk) {
                let width = min(chunk, positions - first)
                let count = rows * width
                let push: PushValues = [
                    "count": .uint(count), "C": .uint(cin), "T": .uint(s[0]), "H": .uint(s[1]), "W": .uint(s[2]),
                    "KT": .uint(k[0]), "KH": .uint(k[1]), "KW": .uint(k[2]),
                    "TO": .uint(o[0]), "HO": .uint(o[1]), "WO": .uint(o[2]),
                    "st": .uint(stride[0]), "sh": .uint(stride[1]), "sw": .uint(stride[2]),
                    "dt": .uint(dilation[0]), "dh": .uint(dilation[1]), "dw": .uint(dilation[2]),
                    "pt": .uint(before[0]), "ph": .uint(before[1]), "pw": .uint(before[2]),
                    "x_offset": .uint(b * perItem), "first": .uint(first), "chunk": .uint(width),
                ]
                try context.record { recorder in
                    try recorder.dispatch(
                        "im2col", buffers: [source, columnBuffer], push: push, groups: grid(count))
                }
                // out[b, g·Cout/G + m, first + j] = Σ_r W[g·Cout/G + m, r] · columns[g·rowsPerGroup + r, j]
                var offsets: [Int] = []
                for g in 0..<groups {
                    offsets += [
                        packedWeight.offset + g * coutPerGroup * rowsPerGroup,
                        g * rowsPerGroup * width,
                        (b * cout + g * coutPerGroup) * positions + first,
                        g * coutPerGroup,
                    ]
                }
                try gemm(
                    GEMMProblem(
                        m: coutPerGroup, n: width, k: rowsPerGroup, sam: rowsPerGroup, sak: 1, sbk: width, sbn: 1,
                        ldc: positions, offsets: offsets, a: packedWeight, b: columns, c: out,
                        bias: biasTensor.map { ($0, 2) }),
                    op: "conv")
            }
        }
        return out
    }
}
