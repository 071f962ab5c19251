// Pipeline — resizing planar frames between the host's resolution and the model's. The whole frame
// is resized (no crop), so any frame size works; downscaling averages the input pixels each output pixel
// covers, weighted by the covered area (a box filter; at an integer factor exactly the block mean the
// built-in models were trained on), upscaling interpolates bilinearly.

/// Separable area-average (down) / bilinear (up) resize of `[C, H, W]` planes.
enum PlanarResize {
    /// Resizes `values` (`channels` planes of `height × width`) to `newHeight × newWidth`.
    static func resize(
        _ values: [Float], channels: Int, height: Int, width: Int, to newHeight: Int, _ newWidth: Int
    ) -> [Float] {
        if height == newHeight && width == newWidth { return values }
        let rows = weights(from: height, to: newHeight)
        let cols = weights(from: width, to: newWidth)
        var out = [Float](repeating: 0, count: channels * newHeight * newWidth)
        var temp = [Float](repeating: 0, count: height * newWidth)
        for c in 0..<channels {
            let plane = c * height * width
            // Horizontal pass: height × newWidth.
            for y in 0..<height {
                let row = plane + y * width
                for (x, taps) in cols.enumerated() {
                    var s: Float = 0
                    for (i, w) in taps { s += values[row + i] * w }
                    temp[y * newWidth + x] = s
                }
            }
            // Vertical pass.
            let outPlane = c * newHeight * newWidth
            for (y, taps) in rows.enumerated() {
                for x in 0..<newWidth {
                    var s: Float = 0
                    for (i, w) in taps { s += temp[i * newWidth + x] * w }
                    out[outPlane + y * newWidth + x] = s
                }
            }
        }
        return out
    }

    /// For each output sample: the input indices and normalised weights. Downscaling: the overlap of input
    /// pixel `[i, i+1)` with the output pixel's footprint `[j·s, (j+1)·s)`; upscaling: a triangle filter of
    /// one input pixel around the output sample's centre (half-pixel centres, edges clamped).
    static func weights(from n: Int, to m: Int) -> [[(Int, Float)]] {
        let scale = Double(n) / Double(m)
        if scale > 1 {
            return (0..<m).map { j in
                let lo = Double(j) * scale, hi = Double(j + 1) * scale
                var taps: [(Int, Float)] = []
                for i in Int(lo.rounded(.down))..<min(n, Int(hi.rounded(.up))) {
                    let w = min(hi, Double(i + 1)) - max(lo, Double(i))
                    if w > 1e-12 { taps.append((i, Float(w / scale))) }
                }
                return taps
            }
        }
        return (0..<m).map { j in
            let center = (Double(j) + 0.5) * scale - 0.5
            let lo = max(0, Int((center - 1).rounded(.up)))
            let hi = min(n - 1, Int((center + 1).rounded(.down)))
            var taps: [(Int, Float)] = []
            var total = 0.0
            for i in lo...max(lo, hi) {
                let w = max(0, 1 - abs(Double(i) - center))
                if w > 0 {
                    taps.append((i, Float(w)))
                    total += w
                }
            }
            if taps.isEmpty { return [(min(max(Int(center.rounded()), 0), n - 1), 1)] }
            return taps.map { ($0.0, Float(Double($0.1) / total)) }
        }
    }
}
