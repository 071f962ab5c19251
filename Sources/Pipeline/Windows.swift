// Pipeline — overlapping windows over a clip. The reference implementation cuts a clip into at most
// three disjoint windows and drops the rest; we cover every frame and cross-fade the overlaps
// (omniedit-sampler.md §6, "Long clips").

/// The windows a clip is edited in: each window is `length` frames (u·k+1 for the VAE's temporal
/// compression u: 4 for the Wan VAE, 8 for LTX-2's), the first starts at the clip's first frame, the last ends at its last frame,
/// and the windows in between are spaced evenly so neighbours share at least `overlap` frames.
public struct WindowPlan: Equatable, Sendable {
    /// First and last frame of the clip (inclusive).
    public let frames: ClosedRange<Int>
    /// Frames per window after rounding to u·k+1 and clamping to the clip.
    public let length: Int
    /// The least number of frames neighbouring windows share (< length).
    public let overlap: Int
    /// The windows, in order; together they cover `frames`.
    public let windows: [ClosedRange<Int>]

    /// - Parameters: requested window length (rounded down to u·k+1 with u = `temporalUnit`, at least 1)
    ///   and overlap (clamped to length-1).
    public init(frames: ClosedRange<Int>, length requested: Int, overlap requestedOverlap: Int, temporalUnit: Int = 4) {
        self.frames = frames
        let count = frames.count
        let unit = max(1, temporalUnit)
        let length = ((min(max(requested, 1), count) - 1) / unit) * unit + 1
        let overlap = min(max(requestedOverlap, 0), length - 1)
        self.length = length
        self.overlap = overlap
        // Fewest windows whose stride (length - overlap) covers the clip, then spread evenly.
        let stride = length - overlap
        let n = count <= length ? 1 : 1 + (count - length + stride - 1) / stride
        let span = count - length
        windows = (0..<n).map { i in
            let start = frames.lowerBound + (n == 1 ? 0 : (i * span + (n - 1) / 2) / (n - 1))
            return start...(start + length - 1)
        }
    }

    /// Indices of the windows containing `frame`.
    public func windows(containing frame: Int) -> [Int] {
        windows.indices.filter { windows[$0].contains(frame) }
    }

    /// The frames a render of `frame` needs from the source: the union of its windows.
    public func framesNeeded(for frame: Int) -> ClosedRange<Int>? {
        let ws = windows(containing: frame)
        guard let first = ws.first, let last = ws.last else { return nil }
        return windows[first].lowerBound...windows[last].upperBound
    }

    /// Weight of window `index` at `frame` when blending overlaps. Each window ramps up over its first
    /// `overlap + 1` frames and down over its last (unless it is the clip's first or last window at
    /// that edge); weights are normalised, so the windows containing a frame sum to 1 and a frame
    /// in one window only takes that window's result unchanged.
    public func blendWeight(window index: Int, frame: Int) -> Double {
        func ramp(_ i: Int) -> Double {
            let w = windows[i]
            guard w.contains(frame) else { return 0 }
            let cap = Double(overlap + 1)
            let fromStart = i == 0 ? cap : Double(frame - w.lowerBound + 1)
            let toEnd = i == windows.count - 1 ? cap : Double(w.upperBound - frame + 1)
            return min(cap, fromStart, toEnd)
        }
        let total = windows(containing: frame).reduce(0) { $0 + ramp($1) }
        return total > 0 ? ramp(index) / total : 0
    }
}
