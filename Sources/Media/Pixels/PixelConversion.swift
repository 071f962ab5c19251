// Host pixels ↔ planar float images: every depth (byte/short/half/float), every component
// layout (RGBA/RGB/Alpha), signed row bytes, bounds anywhere, windows larger or smaller than the
// image. Work is done a row at a time into scratch component rows, so the per-pixel loops are
// plain arithmetic over contiguous memory; large images are split into row bands converted on
// all cores.
import Dispatch
import Foundation

/// Converts between a `HostImage` and a `PlanarImage` of a window of it.
///
/// Reading (host → model): for each pixel, v = stored/255 (byte), /65535 (short) or as stored
/// (half/float; non-finite values become NaN → 0, ±∞ → ±1); premultiplied colour is divided by
/// alpha (alpha 0 → colour 0); linear float
/// colour is sRGB-encoded (`floatTransfer`); then x = 2v − 1. Planar row r is host row
/// y = window.y2 − 1 − r (row 0 = top of the picture).
/// Writing (model → host) inverts each step: v = (x + 1)/2, sRGB-decode, multiply by alpha,
/// quantise with rounding and clamping to 0…1 for byte/short. Alpha is written from
/// `PlanarImage.alpha` unchanged (1 where there is none). Only pixels inside
/// window ∩ bounds are written. Byte and short round trips are exact; float ≤ 1e−6.
public struct PixelConversion: Sendable {
    /// Meaning of half/float values (byte/short are always display-referred).
    public var floatTransfer: FloatTransfer
    /// Fill rule where the window reaches beyond the image's bounds.
    public var outside: OutsidePixels

    /// Largest window side accepted (a wrong window must throw, not exhaust memory).
    public static let largestSide = 1 << 16

    public init(floatTransfer: FloatTransfer = .linear, outside: OutsidePixels = .transparentBlack) {
        self.floatTransfer = floatTransfer
        self.outside = outside
    }

    /// The planar image of `window` (host coordinates) of `image`.
    public func read(_ image: HostImage, window: PixelRect) throws -> PlanarImage {
        guard window.x2 >= window.x1, window.y2 >= window.y1 else {
            throw MediaError("window (\(window.x1),\(window.y1))-(\(window.x2),\(window.y2)) is inverted")
        }
        let width = window.width
        let height = window.height
        guard width <= Self.largestSide, height <= Self.largestSide else {
            throw MediaError("window \(width)x\(height) is larger than \(Self.largestSide) pixels on a side")
        }
        let colour = image.components == .alpha ? 1 : 3
        let planeSize = width * height
        var values = [Float](repeating: -1, count: colour * planeSize)
        var alpha: [Float]? = image.components == .rgba ? [Float](repeating: 0, count: planeSize) : nil
        let bounds = image.bounds
        if planeSize == 0 || bounds.isEmpty {
            return try PlanarImage(channels: colour, height: height, width: width, values: values, alpha: alpha)
        }
        let clamp = outside == .clampToEdge
        // Source columns converted per row: the overlap, or for clamping the nearest columns.
        let spanX1 = clamp ? min(max(window.x1, bounds.x1), bounds.x2 - 1) : max(window.x1, bounds.x1)
        let spanX2 = clamp ? max(min(window.x2, bounds.x2), bounds.x1 + 1) : min(window.x2, bounds.x2)
        let span = max(0, spanX2 - spanX1)
        var alphaValues = alpha ?? []
        values.withUnsafeMutableBufferPointer { planes in
            alphaValues.withUnsafeMutableBufferPointer { alphaPlane in
                let planesBase = planes.baseAddress!
                let alphaBase = alpha == nil ? nil : alphaPlane.baseAddress
                forEachRowBand(height: height, width: width) { rows in
                    let scratch = RowScratch(count: span)
                    for r in rows {
                        let y = window.y2 - 1 - r
                        var sourceY = y
                        if y < bounds.y1 || y >= bounds.y2 {
                            guard clamp else { continue }  // rows stay transparent black
                            sourceY = min(max(y, bounds.y1), bounds.y2 - 1)
                        }
                        if span == 0 { continue }
                        let row =
                            image.data + (sourceY - bounds.y1) * image.rowBytes + (spanX1 - bounds.x1)
                            * image.pixelBytes
                        scratch.load(row, count: span, depth: image.depth, components: image.components)
                        prepareForModel(scratch, count: span, image: image)
                        // Destination columns j ∈ [0, width) ↔ x = window.x1 + j.
                        for c in 0..<colour {
                            copyRow(
                                from: scratch.channel(c), span: span, spanX1: spanX1,
                                to: planesBase + c * planeSize + r * width,
                                width: width, windowX1: window.x1, clamp: clamp, fill: -1)
                        }
                        if let alphaBase {
                            copyRow(
                                from: scratch.channel(3), span: span, spanX1: spanX1, to: alphaBase + r * width,
                                width: width,
                                windowX1: window.x1, clamp: clamp, fill: 0)
                        }
                    }
                }
            }
        }
        if alpha != nil { alpha = alphaValues }
        return try PlanarImage(channels: colour, height: height, width: width, values: values, alpha: alpha)
    }

    /// Writes `planar` (the image of `window`) into `image`, touching only window ∩ bounds.
    public func write(_ planar: PlanarImage, to image: HostImage, window: PixelRect) throws {
        let colour = image.components == .alpha ? 1 : 3
        guard planar.width == window.width, planar.height == window.height else {
            throw MediaError(
                "planar image is \(planar.width)x\(planar.height) but the window is \(window.width)x\(window.height)")
        }
        guard planar.channels == colour else {
            throw MediaError(
                "planar image has \(planar.channels) channels; a \(image.components) image needs \(colour)")
        }
        let overlap = window.intersection(image.bounds)
        if overlap.isEmpty { return }
        let span = overlap.width
        let planeSize = planar.width * planar.height
        let alphaValues = planar.alpha ?? []
        planar.values.withUnsafeBufferPointer { planes in
            alphaValues.withUnsafeBufferPointer { alphaPlane in
                let planesBase = planes.baseAddress!
                let alphaBase = planar.alpha == nil ? nil : alphaPlane.baseAddress
                forEachRowBand(height: overlap.height, width: span) { bandRows in
                    let scratch = RowScratch(count: span)
                    for y in (overlap.y1 + bandRows.lowerBound)..<(overlap.y1 + bandRows.upperBound) {
                        let r = window.y2 - 1 - y
                        let offset = r * planar.width + (overlap.x1 - window.x1)
                        for c in 0..<colour {
                            scratch.channel(c).update(from: planesBase + c * planeSize + offset, count: span)
                        }
                        if image.components == .rgba {
                            if let alphaBase {
                                scratch.channel(3).update(from: alphaBase + offset, count: span)
                            } else {
                                scratch.channel(3).update(repeating: 1, count: span)
                            }
                        }
                        prepareForHost(scratch, count: span, image: image)
                        let row =
                            image.data + (y - image.bounds.y1) * image.rowBytes + (overlap.x1 - image.bounds.x1)
                            * image.pixelBytes
                        scratch.store(row, count: span, depth: image.depth, components: image.components)
                    }
                }
            }
        }
    }

    /// Runs `body` over bands of rows 0..<height: on one thread for small images, else spread
    /// over the cores with `DispatchQueue.concurrentPerform` (bands write disjoint rows).
    private func forEachRowBand(height: Int, width: Int, _ body: (Range<Int>) -> Void) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard height > 1, width * height >= 1 << 17, cores > 1 else {
            body(0..<height)
            return
        }
        let bands = min(height, 4 * cores)
        withoutActuallyEscaping(body) { escapable in
            // The bands touch disjoint rows of buffers that outlive this call.
            let shared = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                shared.value((band * height / bands)..<((band + 1) * height / bands))
            }
        }
    }

    /// In scratch (v in storage units normalised to 0…1): un-premultiply, transfer, map to [−1, 1].
    private func prepareForModel(_ s: RowScratch, count: Int, image: HostImage) {
        if image.components == .alpha {
            let a = s.channel(0)
            for i in 0..<count { a[i] = 2 * a[i] - 1 }
            return
        }
        let r = s.channel(0)
        let g = s.channel(1)
        let b = s.channel(2)
        let a = s.channel(3)
        let unpremultiply = image.components == .rgba && image.premultiplication == .premultiplied
        let transfer = image.depth.isFloatingPoint && floatTransfer == .linear
        if image.depth.isFloatingPoint {
            // One NaN or infinity would spread through a diffusion model's whole output.
            for c in 0..<4 { Self.makeFinite(s.channel(c), count: count) }
        }
        if unpremultiply {
            // Colour under alpha 0 (or a subnormal alpha, whose inverse overflows) is undefined;
            // 0 keeps it finite.
            for i in 0..<count {
                let alpha = a[i]
                let inverse: Float = alpha >= .leastNormalMagnitude ? 1 / alpha : 0
                r[i] *= inverse
                g[i] *= inverse
                b[i] *= inverse
            }
        }
        if transfer {
            for c in 0..<3 { SRGB.encode(s.channel(c), count: count) }
        }
        for i in 0..<count {
            r[i] = 2 * r[i] - 1
            g[i] = 2 * g[i] - 1
            b[i] = 2 * b[i] - 1
        }
    }

    /// NaN → 0, +∞ → 1, −∞ → −1 (in storage units, before any other step).
    private static func makeFinite(_ v: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where !v[i].isFinite {
            v[i] = v[i].isNaN ? 0 : (v[i] > 0 ? 1 : -1)
        }
    }

    /// In scratch (model values, alpha 0…1): map to 0…1, transfer back, premultiply.
    private func prepareForHost(_ s: RowScratch, count: Int, image: HostImage) {
        if image.components == .alpha {
            let a = s.channel(0)
            for i in 0..<count { a[i] = (a[i] + 1) * 0.5 }
            return
        }
        let r = s.channel(0)
        let g = s.channel(1)
        let b = s.channel(2)
        let a = s.channel(3)
        for i in 0..<count {
            r[i] = (r[i] + 1) * 0.5
            g[i] = (g[i] + 1) * 0.5
            b[i] = (b[i] + 1) * 0.5
        }
        if image.depth.isFloatingPoint && floatTransfer == .linear {
            for c in 0..<3 { SRGB.decode(s.channel(c), count: count) }
        }
        if image.components == .rgba && image.premultiplication == .premultiplied {
            for i in 0..<count {
                let alpha = a[i]
                r[i] *= alpha
                g[i] *= alpha
                b[i] *= alpha
            }
        }
    }

    /// Copies a converted span into a destination row of `width`, filling the columns outside
    /// the span with `fill` or (clamping) the nearest span value.
    private func copyRow(
        from source: UnsafeMutablePointer<Float>, span: Int, spanX1: Int, to dest: UnsafeMutablePointer<Float>,
        width: Int, windowX1: Int, clamp: Bool, fill: Float
    ) {
        let start = min(max(spanX1 - windowX1, 0), width)
        let end = min(max(spanX1 + span - windowX1, 0), width)
        if end > start {
            dest.advanced(by: start).update(from: source + (windowX1 + start - spanX1), count: end - start)
        }
        let left = clamp ? source[0] : fill
        let right = clamp ? source[span - 1] : fill
        if start > 0 { dest.update(repeating: left, count: start) }
        if end < width { dest.advanced(by: end).update(repeating: right, count: width - end) }
    }
}

/// Hands a value to `concurrentPerform` workers; used only where they access disjoint memory.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
