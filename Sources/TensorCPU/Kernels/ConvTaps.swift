import CCPUKernels
import Foundation
import Tensor

/// How the direct kernel groups output positions into 16-lane vectors (see `OEConvGrid`): by output
/// row (`rowVectors` per row, no lane on the padding columns) unless the rows' masked last vectors
/// cost more lanes than running the padded grid flat, as for short odd rows.
struct ConvTapsVectors: Equatable {
    /// Vectors per output row in row mode; 0 in flat mode.
    let rowVectors: Int
    /// Vectors in all.
    let count: Int

    /// `output`: the output grid (frames, height, width); `columns`: the padded-grid positions up to
    /// and including the last output.
    init(output: [Int], columns: Int) {
        let lanes = 16
        let perRow = (output[2] + lanes - 1) / lanes
        let rowMode = output[0] * output[1] * perRow
        let flat = (columns + lanes - 1) / lanes
        (rowVectors, count) = rowMode <= flat ? (perRow, rowMode) : (0, flat)
    }
}

/// Sizes of a stride-1 convolution lifted to 3-D (per group: `cin` / `cout` channels).
struct ConvTapsShape {
    let batch, groups, cin, cout: Int
    let input, output, kernel, dilation, padBefore, padAfter: [Int]
}

extension CPUBackend {
    /// Stride-1 convolution without im2col: the input is zero-padded once (skipped when there is no
    /// padding), then `oe_conv_taps` reads every kernel tap's operand straight from it, shifted by
    /// the tap's flat offset on the padded grid (see `conv_taps.c`).
    ///
    /// Work items are (block of 12-channel weight panels, range of positions); each packs its own
    /// panels (≤ 4 MiB), so the packed weights never exist whole. Items are sized so both cores get
    /// work when there are few channel blocks (e.g. 3 output channels).
    func convTaps(
        _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, shape s: ConvTapsShape
    ) throws {
        let padded = (0..<3).map { s.input[$0] + s.padBefore[$0] + s.padAfter[$0] }
        let (plane, width) = (padded[1] * padded[2], padded[2])
        let ldx = padded[0] * plane
        let outPlane = s.output[1] * s.output[2]
        let pOut = s.output[0] * outPlane
        let cinAll = s.cin * s.groups
        let coutAll = s.cout * s.groups
        // The padded grid's positions that reach an output: through the last output's column.
        let columns = (s.output[0] - 1) * plane + (s.output[1] - 1) * width + s.output[2]

        var xPad = x
        var scratch: CPUStorage?
        if s.padBefore.contains(where: { $0 > 0 }) || s.padAfter.contains(where: { $0 > 0 }) {
            let storage = try allocate(s.batch * cinAll * ldx * 4, zeroed: false)
            let p = storage.base.assumingMemoryBound(to: Float.self)
            padVolume(x, into: p, channels: s.batch * cinAll, input: s.input, padded: padded, before: s.padBefore)
            (xPad, scratch) = (UnsafePointer(p), storage)
        }

        var offsets = [Int]()
        for a in 0..<s.kernel[0] {
            for b in 0..<s.kernel[1] {
                for c in 0..<s.kernel[2] {
                    offsets.append(a * s.dilation[0] * plane + b * s.dilation[1] * width + c * s.dilation[2])
                }
            }
        }
        let taps = offsets.count
        let panelFloats = taps * s.cin * Int(OE_CONV_ROWS)
        let blocks = (s.cout + Int(OE_CONV_ROWS) - 1) / Int(OE_CONV_ROWS)
        // Blocks are dealt out evenly: ⌈blocks / most⌉ items rounded up to a multiple of the threads,
        // so no thread is left with one short item at the end (43 blocks as 6+…+6+1 ran 10 % slower).
        let most = max(1, min(blocks, (1 << 20) / panelFloats))
        let wanted = (blocks + most - 1) / most
        let blockItems = wanted == 1 ? 1 : min(blocks, (wanted + threads - 1) / threads * threads)
        let perItem = (blocks + blockItems - 1) / blockItems
        let layout = ConvTapsVectors(output: s.output, columns: columns)
        let vectors = layout.count
        let splits = max(1, min((2 * threads + blockItems - 1) / blockItems, (vectors + 15) / 16))
        var grid = OEConvGrid(
            plane: plane, width: width, height: padded[1], out_plane: outPlane, out_width: s.output[2],
            out_height: s.output[1], columns: columns, row_vectors: layout.rowVectors)
        let items = s.batch * s.groups * blockItems * splits
        offsets.withUnsafeBufferPointer { off in
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
                        let xg = xPad + (bi * cinAll + group * s.cin) * ldx
                        oe_conv_taps(
                            panelPointers, rows, count, s.cin, taps, off.baseAddress, xg, ldx, v0, v1, gp, outputs,
                            pOut, biases)
                    }
                }
            }
        }
        _ = scratch
    }

    /// Copies `channels` volumes of `input` sizes into zero-padded volumes of `padded` sizes, each
    /// starting `before` elements in along every axis.
    private func padVolume(
        _ x: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, channels: Int, input: [Int], padded: [Int],
        before: [Int]
    ) {
        let (tIn, hIn, wIn) = (input[0], input[1], input[2])
        let (tP, hP, wP) = (padded[0], padded[1], padded[2])
        let volume = tP * hP * wP
        parallelRanges(channels * tP, grain: 1, threads: threads) { range in
            for r in range {
                let (c, t) = (r / tP, r % tP)
                let frame = p + c * volume + t * hP * wP
                let it = t - before[0]
                guard it >= 0 && it < tIn else {
                    frame.update(repeating: 0, count: hP * wP)
                    continue
                }
                for h in 0..<hP {
                    let line = frame + h * wP
                    let ih = h - before[1]
                    guard ih >= 0 && ih < hIn else {
                        line.update(repeating: 0, count: wP)
                        continue
                    }
                    let src = x + (c * tIn + it) * hIn * wIn + ih * wIn
                    line.update(repeating: 0, count: before[2])
                    (line + before[2]).update(from: src, count: wIn)
                    (line + before[2] + wIn).update(repeating: 0, count: wP - before[2] - wIn)
                }
            }
        }
    }
}
