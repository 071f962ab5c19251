import CCPUKernels
import Foundation
import Tensor

/// How the direct kernel groups output positions into 16-lane vectors (see `OEConvGrid`): by output
/// row (`rowVectors` per row; lanes in the zero padding are masked) unless there is no padding and the
/// rows' masked last vectors cost more lanes than running the input grid flat, as for short odd rows.
struct ConvTapsVectors: Equatable {
    /// Vectors per output row in row mode; 0 in flat mode.
    let rowVectors: Int
    /// Vectors in all.
    let count: Int

    /// `output`: the output grid (frames, height, width); `columns`: the input-grid positions up to and
    /// including the last output (flat mode's work); `padded`: whether the conv pads (flat mode reads
    /// the input grid as it is, so it needs none).
    init(output: [Int], columns: Int, padded: Bool) {
        let lanes = Int(OE_CONV_LANES)
        let perRow = (output[2] + lanes - 1) / lanes
        let rowMode = output[0] * output[1] * perRow
        let flat = (columns + lanes - 1) / lanes
        (rowVectors, count) = padded || rowMode <= flat ? (perRow, rowMode) : (0, flat)
    }
}

/// Sizes of a stride-1 convolution lifted to 3-D (per group: `cin` / `cout` channels).
struct ConvTapsShape {
    let batch, groups, cin, cout: Int
    let input, output, kernel, dilation, padBefore, padAfter: [Int]
}

extension CPUBackend {
    /// Stride-1 convolution without im2col and without a padded copy: `oe_conv_taps` reads every kernel
    /// tap's operand straight from the input, shifted by the tap, masking the lanes that fall in the
    /// zero padding (see `conv_taps.c`).
    ///
    /// Work items are (block of 12-channel weight panels, range of positions); each packs its own
    /// panels (≤ 4 MiB), so the packed weights never exist whole. Items are sized so both cores get
    /// work when there are few channel blocks (e.g. 3 output channels).
    func convTaps(
        _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, shape s: ConvTapsShape
    ) throws {
        let (plane, width) = (s.input[1] * s.input[2], s.input[2])
        let ldx = s.input[0] * plane
        let outPlane = s.output[1] * s.output[2]
        let pOut = s.output[0] * outPlane
        let cinAll = s.cin * s.groups
        let coutAll = s.cout * s.groups
        let padded = s.padBefore.contains { $0 > 0 } || s.padAfter.contains { $0 > 0 }
        // Flat mode's work: the input grid's positions through the last output's column.
        let columns = (s.output[0] - 1) * plane + (s.output[1] - 1) * width + s.output[2]

        var tapList = [OEConvTap]()
        for a in 0..<s.kernel[0] {
            for b in 0..<s.kernel[1] {
                for c in 0..<s.kernel[2] {
                    let (f, r, q) = (
                        a * s.dilation[0] - s.padBefore[0], b * s.dilation[1] - s.padBefore[1],
                        c * s.dilation[2] - s.padBefore[2]
                    )
                    tapList.append(OEConvTap(frame: f, row: r, column: q, flat: f * plane + r * width + q))
                }
            }
        }
        let taps = tapList.count
        let panelFloats = taps * s.cin * Int(OE_CONV_ROWS)
        let blocks = (s.cout + Int(OE_CONV_ROWS) - 1) / Int(OE_CONV_ROWS)
        // Blocks are dealt out evenly: ⌈blocks / most⌉ items rounded up to a multiple of the threads,
        // so no thread is left with one short item at the end (43 blocks as 6+…+6+1 ran 10 % slower).
        let most = max(1, min(blocks, (1 << 20) / panelFloats))
        let wanted = (blocks + most - 1) / most
        let blockItems = wanted == 1 ? 1 : min(blocks, (wanted + threads - 1) / threads * threads)
        let perItem = (blocks + blockItems - 1) / blockItems
        let layout = ConvTapsVectors(output: s.output, columns: columns, padded: padded)
        let vectors = layout.count
        let splits = max(1, min((2 * threads + blockItems - 1) / blockItems, (vectors + 15) / 16))
        var grid = OEConvGrid(
            frames: s.input[0], plane: plane, width: width, height: s.input[1], out_plane: outPlane,
            out_width: s.output[2], out_height: s.output[1], columns: columns, row_vectors: layout.rowVectors)
        let items = s.batch * s.groups * blockItems * splits
        tapList.withUnsafeBufferPointer { tapPointer in
            withUnsafePointer(to: &grid) { gp in
                parallelRanges(items, grain: 1, threads: threads) { range in
                    let panels = UnsafeMutablePointer<Float>.allocate(capacity: perItem * panelFloats)
                    defer { panels.deallocate() }
                    for item in range {
                        let split = item % splits
                        let blockItem = (item / splits) % blockItems
                        let group = (item / splits / blockItems) % s.groups
                        let bi = item / splits / blockItems / s.groups
                        let first = blocks * blockItem / blockItems
                        let count = blocks * (blockItem + 1) / blockItems - first
                        let wg = w + group * s.cout * s.cin * taps
                        var panelPointers = [UnsafePointer<Float>?]()
                        var rows = [Int]()
                        var outputs = [UnsafeMutablePointer<Float>?]()
                        var biases = [UnsafePointer<Float>?]()
                        for k in 0..<count {
                            let block = first + k
                            let panel = panels + k * panelFloats
                            oe_conv_pack_weights(wg, s.cout, s.cin, taps, block, panel)
                            let o = group * s.cout + block * Int(OE_CONV_ROWS)
                            panelPointers.append(UnsafePointer(panel))
                            rows.append(min(Int(OE_CONV_ROWS), s.cout - block * Int(OE_CONV_ROWS)))
                            outputs.append(y + (bi * coutAll + o) * pOut)
                            biases.append(bias.map { $0 + o })
                        }
                        let v0 = vectors * split / splits
                        let v1 = vectors * (split + 1) / splits
                        let xg = x + (bi * cinAll + group * s.cin) * ldx
                        oe_conv_taps(
                            panelPointers, rows, count, s.cin, taps, tapPointer.baseAddress, xg, ldx, v0, v1, gp,
                            outputs, pOut, biases)
                    }
                }
            }
        }
    }
}
