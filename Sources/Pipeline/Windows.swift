// Pipeline — overlapping windows over a clip. The reference implementation cuts a clip into at most
// three disjoint windows and drops the rest; we cover every frame and cross-fade the overlaps
// (omniedit-sampler.md §6, "Long clips").

/// The windows a clip is edited in: each window is `length` frames (4k+1, what the Wan VAE's temporal
/// compression needs), consecutive windows share `overlap` frames, and the last window ends exactly
/// at the clip's last frame.
public struct WindowPlan: Equatable, Sendable {
    /// First and last frame of the clip (inclusive).
    public let frames: ClosedRange<Int>
    /// Frames per window after rounding to 4k+1 and clamping to the clip.
    public let length: Int
    /// Frames shared by neighbouring windows (< length).
    public let overlap: Int
    /// The windows, in order; together they cover `frames`.
    public let windows: [ClosedRange<Int>]

    /// - Parameters: requested window length (rounded down to 4k+1, at least 1) and overlap (clamped
    ///   to length-1).
    public init(frames: ClosedRange<Int>, length requested: Int, overlap requestedOverlap: Int) {
        self.frames = frames
        let count = frames.count
        let want = min(max(requested, 1), count)
        let length = ((want - 1) / 4) * 4 + 1
        let overlap = min(max(requestedOverlap, 0), length - 1)
        self.length = length
        self.overlap = overlap
        let stride = length - overlap
        var starts: [Int] = []
        var s = frames.lowerBound
        while s + length - 1 < frames.upperBound {
            starts.append(s)
            s += stride
        }
        // The last window ends at the clip's end; it may overlap its neighbour by more than `overlap`.
        let lastStart = frames.upperBound - length + 1
        if starts.last != lastStart { starts.append(lastStart) }
        windows = starts.map { $0...($0 + length - 1) }
    }

    /// Indices of the windows containing `frame` (one, or two in an overlap).
    public func windows(containing frame: Int) -> [Int] {
        windows.indices.filter { windows[$0].contains(frame) }
    }

    /// The frames a render of `frame` needs from the source: the union of its windows.
    public func framesNeeded(for frame: Int) -> ClosedRange<Int>? {
        let ws = windows(containing: frame)
        guard let first = ws.first, let last = ws.last else { return nil }
        return windows[first].lowerBound...windows[last].upperBound
    }

    /// Weight of window `index` at `frame` for blending overlaps: a linear cross-fade across the
    /// frames two windows share, so the weights of all windows containing a frame sum to 1.
    public func blendWeight(window index: Int, frame: Int) -> Double {
        let w = windows[index]
        guard w.contains(frame) else { return 0 }
        var weight = 1.0
        if index > 0 {
            let prev = windows[index - 1]
            if prev.upperBound >= w.lowerBound && frame <= prev.upperBound {
                let shared = Double(prev.upperBound - w.lowerBound + 2)
                weight = min(weight, Double(frame - w.lowerBound + 1) / shared)
            }
        }
        if index + 1 < windows.count {
            let next = windows[index + 1]
            if next.lowerBound <= w.upperBound && frame >= next.lowerBound {
                let shared = Double(w.upperBound - next.lowerBound + 2)
                weight = min(weight, Double(w.upperBound - frame + 1) / shared)
            }
        }
        return weight
    }
}
