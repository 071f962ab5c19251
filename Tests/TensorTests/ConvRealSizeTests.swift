import Tensor
@testable import TensorCPU
import TensorTestSupport
import XCTest

/// Convolutions at the video VAEs' real widths (128–512 channels) on both CPU paths — the direct
/// stride-1 kernel (where the CPU has AVX-512) and im2col + GEMM — against a naive sum in Double,
/// for a subset of output channels that includes a partial 12-channel block of the direct kernel.
final class ConvRealSizeTests: CPUTestCase {
    private func check(
        x xShape: [Int], cout: Int, kernel: [Int], geometry: ConvGeometry, channels: [Int], seed: UInt64,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let cin = xShape[1] / geometry.groups
        let fanIn = cin * kernel.reduce(1, *)
        let xh = HostTensor.random(xShape, seed: seed)
        let wh = HostTensor.random([cout, cin] + kernel, seed: seed + 1, scale: 1 / Float(fanIn).squareRoot())
        let bh = HostTensor.random([cout], seed: seed + 2, scale: 0.1)
        let outSize = try geometry.outputSize(input: Array(xShape[2...]), kernel: kernel)
        let expected = naive(xh, wh, bh, geometry, outSize: outSize, channels: channels)
        for direct in [true, false] {
            let cpu = try CPUBackend(directConv: direct)
            let y = try cpu.conv(
                try cpu.upload(xh.values, shape: xh.shape, dtype: .f32),
                weight: try cpu.upload(wh.values, shape: wh.shape, dtype: .f32),
                bias: try cpu.upload(bh.values, shape: bh.shape, dtype: .f32), geometry: geometry)
            XCTAssertEqual(y.shape, [xShape[0], cout] + outSize, file: file, line: line)
            let got = try cpu.download(y)
            let plane = outSize.reduce(1, *)
            var worst = 0.0
            for b in 0..<xShape[0] {
                for (k, o) in channels.enumerated() {
                    for p in 0..<plane {
                        let e = expected[(b * channels.count + k) * plane + p]
                        worst = max(worst, abs(Double(got[(b * cout + o) * plane + p]) - e) / (1 + abs(e)))
                    }
                }
            }
            XCTAssertLessThan(
                worst, 2e-5, "x \(xShape) k \(kernel) \(direct && cpu.directConv ? "direct" : "im2col")", file: file,
                line: line)
        }
    }

    /// y[b, o, p] for the listed channels o, summed in Double straight from the definition.
    private func naive(
        _ x: HostTensor, _ w: HostTensor, _ bias: HostTensor, _ g: ConvGeometry, outSize: [Int], channels: [Int]
    ) -> [Double] {
        let lead = 3 - g.spatialRank
        func lift(_ a: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: lead) + a }
        let ins = lift(Array(x.shape[2...]), 1)
        let ks = lift(Array(w.shape[2...]), 1)
        let outs = lift(outSize, 1)
        let st = lift(g.stride, 1)
        let dl = lift(g.dilation, 1)
        let pb = lift(g.padding.map(\.before), 0)
        let (batch, cinAll, cin, cout) = (x.shape[0], x.shape[1], w.shape[1], w.shape[0])
        let coutG = cout / g.groups
        let taps = ks.reduce(1, *)
        let pIn = ins.reduce(1, *)
        var y = [Double]()
        for b in 0..<batch {
            for o in channels {
                let firstIn = (o / coutG) * cin
                for t in 0..<outs[0] {
                    for h in 0..<outs[1] {
                        for q in 0..<outs[2] {
                            var sum = Double(bias.values[o])
                            for c in 0..<cin {
                                let xBase = (b * cinAll + firstIn + c) * pIn
                                let wBase = (o * cin + c) * taps
                                for a in 0..<ks[0] {
                                    let it = t * st[0] - pb[0] + a * dl[0]
                                    guard it >= 0 && it < ins[0] else { continue }
                                    for e in 0..<ks[1] {
                                        let ih = h * st[1] - pb[1] + e * dl[1]
                                        guard ih >= 0 && ih < ins[1] else { continue }
                                        for f in 0..<ks[2] {
                                            let iw = q * st[2] - pb[2] + f * dl[2]
                                            guard iw >= 0 && iw < ins[2] else { continue }
                                            sum +=
                                                Double(w.values[wBase + (a * ks[1] + e) * ks[2] + f])
                                                * Double(x.values[xBase + (it * ins[1] + ih) * ins[2] + iw])
                                        }
                                    }
                                }
                            }
                            y.append(sum)
                        }
                    }
                }
            }
        }
        return y
    }

    func testCausal3x3x3At512Channels() throws {
        // A Wan decoder conv at 384–512 wide: 2 zero frames in front, 1 pixel each side, odd sizes
        // (9-lane row vectors, taps in the padding masked).
        try check(
            x: [1, 512, 3, 7, 9], cout: 512, kernel: [3, 3, 3],
            geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)), channels: [0, 11, 12, 300, 511],
            seed: 300)
    }

    func testPrePadded3x3x3At128ChannelsWithAPartialChannelBlock() throws {
        // LTX-2's decoder pads itself (replicated frames, reflected pixels), so the conv sees no padding;
        // 130 output channels leave a 10-row block; 29 columns do not fill a 32-wide tile.
        try check(
            x: [1, 128, 4, 11, 29], cout: 130, kernel: [3, 3, 3], geometry: try ConvGeometry(spatialRank: 3),
            channels: [0, 64, 119, 120, 129], seed: 310)
    }

    func testStride2AndPointwiseAt256Channels() throws {
        // Wan's spatial downsample: zero pad right/bottom by 1, 1×3×3 stride (1, 2, 2); and a 1×1×1 shortcut.
        try check(
            x: [1, 256, 2, 13, 10], cout: 256, kernel: [1, 3, 3],
            geometry: try ConvGeometry(
                spatialRank: 3, stride: [1, 2, 2], padding: [AxisPadding(0, 0), AxisPadding(0, 1), AxisPadding(0, 1)]),
            channels: [0, 255], seed: 320)
        try check(
            x: [1, 384, 2, 5, 6], cout: 192, kernel: [1, 1, 1], geometry: try ConvGeometry(spatialRank: 3),
            channels: [0, 100, 191], seed: 330)
    }

    func testDilatedGroupedAndBatched() throws {
        // A vocoder-like dilated 1-d conv (k 7, dilation 3, batch 2) and a grouped 2-d one.
        try check(
            x: [2, 128, 301], cout: 128, kernel: [7],
            geometry: try ConvGeometry(spatialRank: 1, padding: [.symmetric(9)], dilation: [3]), channels: [0, 127],
            seed: 340)
        try check(
            x: [1, 256, 9, 14], cout: 256, kernel: [3, 3],
            geometry: try ConvGeometry(spatialRank: 2, padding: [.symmetric(1), AxisPadding(2, 0)], groups: 2),
            channels: [0, 127, 128, 255], seed: 350)
    }

    func testLTX2MidStageAt1024ChannelsSixteenWideRows() throws {
        // LTX-2's 1024-wide decoder stage at its real geometry (a 16×16-cell tile, 2 latent frames, padded
        // by the model): 16-wide rows, so each 32-lane tile spans two output rows. 140 of the 1024
        // output channels (11 full blocks and a partial one) keep the weights small.
        try check(
            x: [1, 1024, 4, 18, 18], cout: 140, kernel: [3, 3, 3], geometry: try ConvGeometry(spatialRank: 3),
            channels: [0, 13, 131, 139], seed: 360)
    }

    func testRowsWithAPartialLastVectorAndAnOddVectorCount() throws {
        // 40-wide rows: vectors of 16, 16 and 8 lanes; 3 × 5 rows × 3 = 45 vectors, so the last tile
        // has one vector.
        XCTAssertEqual(ConvTapsVectors(output: [3, 5, 40], columns: 0, padded: true).count, 45)
        try check(
            x: [1, 256, 3, 5, 40], cout: 30, kernel: [3, 3, 3],
            geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1)), channels: [0, 17, 29], seed: 370)
    }

    func testVectorLayout() {
        // Rows that are multiples of 16 always go by row (no lane past the output columns).
        let ltx2Last = ConvTapsVectors(output: [9, 128, 128], columns: 10 * 130 * 130, padded: false)
        XCTAssertEqual([ltx2Last.rowVectors, ltx2Last.count], [8, 9 * 128 * 8])
        XCTAssertEqual(ConvTapsVectors(output: [2, 16, 16], columns: 18 * 18 + 15 * 18 + 16, padded: false).count, 32)
        // 9-wide rows without padding (the input pre-padded to 5 × 9 × 11): one 9-lane vector per row
        // would waste 7 of 16 lanes, the input grid flat wastes 2 of 11 columns.
        let nineWide = ConvTapsVectors(output: [3, 7, 9], columns: 2 * 9 * 11 + 6 * 11 + 9, padded: false)
        XCTAssertEqual([nineWide.rowVectors, nineWide.count], [0, 18])
        // With padding the kernel masks taps per row, so it always goes by row.
        let padded = ConvTapsVectors(output: [3, 7, 9], columns: 2 * 9 * 11 + 6 * 11 + 9, padded: true)
        XCTAssertEqual([padded.rowVectors, padded.count], [1, 21])
    }

    func testPrePaddedNineWideRowsRunFlat() throws {
        // The flat layout (nineWide above) against the naive sum.
        try check(
            x: [1, 140, 5, 9, 11], cout: 26, kernel: [3, 3, 3], geometry: try ConvGeometry(spatialRank: 3),
            channels: [0, 13, 25], seed: 380)
    }
}
