// RenderFarm — how a clip edited in overlapping windows is cut into chunks that separate processes
// (on separate machines) render, with exactly the frames of one render. Pure arithmetic over frame
// ranges: the effect's windows come from the effect (`WindowPlan`) or from any OpenFX plugin's
// GetFramesNeeded answers (`windows(fromFramesNeeded:)`), so a generic host can plan too.
//
// The rule for overlaps: a frame belongs to the chunk that owns the FIRST window containing it. So
// a chunk writes from just after the previous chunk's last window ends to the end of its own last
// window; the frames at its end that the next chunk's first window also covers are blended by this
// chunk, which reads that window from the shared cache (or computes and stores it, when no other
// chunk has yet). Rendered in frame order, a chunk needs the borrowed window only after computing
// all of its own, while the next chunk starts with it: chunks run one after another compute every
// window once, concurrent chunks at most once more per boundary (and the step cache lets a late
// starter resume from the steps the other already stored).

/// The chunks of one clip. Encoded as the JSON `omniedit plan` and `ofx-host plan` print.
public struct ChunkPlan: Codable, Equatable, Sendable {
    /// One chunk: a farm task.
    public struct Chunk: Codable, Equatable, Sendable {
        /// 1-based, as farm task ids (Slurm array indices, Open Job Description task parameters) count.
        public let chunk: Int
        /// The frames this chunk writes (inclusive); the chunks' ranges partition the clip.
        public let first: Int
        public let last: Int
        /// Windows (0-based indices into `windows`) this chunk owns and computes.
        public let windows: [Int]
        /// Windows of the next chunk this chunk blends into its last frames: read from the shared
        /// cache, computed (and stored) only when no chunk has stored them yet.
        public let borrows: [Int]

        /// "first-last", the form `--frames` takes.
        public var frames: String { "\(first)-\(last)" }
    }

    /// First and last frame of the clip.
    public let clip: [Int]
    /// The effect's windows, `[first, last]` each, in order.
    public let windows: [[Int]]
    /// How frames in an overlap between two chunks are produced (for whoever reads the JSON).
    public let overlapRule: String
    public let chunks: [Chunk]

    static let rule =
        "each frame is written by the chunk owning the first window that contains it; that chunk blends the next chunk's first window into its last frames, reading it from the shared cache (computing and storing it when no chunk has yet)"

    /// Splits `windows` (ordered, covering `clip`) into `count` chunks of whole windows, as even as possible.
    public init(clip: ClosedRange<Int>, windows: [ClosedRange<Int>], chunks count: Int) throws {
        try Self.checkCovering(clip: clip, windows: windows)
        guard count >= 1 else { throw PlanError("--chunks must be at least 1, got \(count)") }
        guard count <= windows.count else {
            throw PlanError(
                "--chunks \(count) is more than the clip's \(windows.count) window(s): each chunk owns whole windows (use at most \(windows.count), or shorter windows)")
        }
        var chunks: [Chunk] = []
        var nextWindow = 0
        for k in 0..<count {
            // Windows k·W/N ..< (k+1)·W/N: sizes differ by at most one.
            let end = (k + 1) * windows.count / count
            let owned = Array(nextWindow..<end)
            nextWindow = end
            let first = owned[0] == 0 ? clip.lowerBound : windows[owned[0] - 1].upperBound + 1
            let last = end == windows.count ? clip.upperBound : windows[end - 1].upperBound
            let borrows = (end..<windows.count).filter { windows[$0].lowerBound <= last }
            chunks.append(Chunk(chunk: k + 1, first: first, last: last, windows: owned, borrows: borrows))
        }
        self.clip = [clip.lowerBound, clip.upperBound]
        self.windows = windows.map { [$0.lowerBound, $0.upperBound] }
        self.overlapRule = Self.rule
        self.chunks = chunks
    }

    /// Chunk number `n` (1-based).
    public func chunk(_ n: Int) throws -> Chunk {
        guard (1...chunks.count).contains(n) else {
            throw PlanError("--chunk \(n) is not a chunk of this plan (1…\(chunks.count))")
        }
        return chunks[n - 1]
    }

    /// Windows must be ordered, neither contain another, and cover `clip` without gaps.
    static func checkCovering(clip: ClosedRange<Int>, windows: [ClosedRange<Int>]) throws {
        guard let firstWindow = windows.first, let lastWindow = windows.last else { throw PlanError("the effect has no windows") }
        guard firstWindow.lowerBound == clip.lowerBound, lastWindow.upperBound == clip.upperBound else {
            throw PlanError("the windows \(firstWindow)…\(lastWindow) do not span the clip \(clip)")
        }
        for (a, b) in zip(windows, windows.dropFirst()) {
            guard a.lowerBound < b.lowerBound, a.upperBound < b.upperBound, b.lowerBound <= a.upperBound + 1 else {
                throw PlanError("the windows \(a) and \(b) are not ordered, nested, or leave a gap")
            }
        }
    }

    /// The windows of a plugin that edits frames in windows, from its GetFramesNeeded answers: for
    /// every frame it needs the union of the windows containing the frame, so the ranges' first
    /// frames are the windows' starts and their last frames the windows' ends. A plugin that needs
    /// only the frame itself gives one-frame windows (chunks are then plain frame ranges).
    /// - Parameter needed: frame → the (single) range it needs, for every frame of `clip`.
    public static func windows(clip: ClosedRange<Int>, framesNeeded needed: (Int) throws -> ClosedRange<Int>) throws
        -> [ClosedRange<Int>]
    {
        guard clip.count <= 10_000_000 else { throw PlanError("the clip has too many frames to plan") }
        var starts = Set<Int>(), ends = Set<Int>()
        for f in clip {
            let r = try needed(f)
            guard r.contains(f) else {
                throw PlanError("the plugin needs frames \(r) for frame \(f), which does not include the frame itself")
            }
            starts.insert(max(r.lowerBound, clip.lowerBound))
            ends.insert(min(r.upperBound, clip.upperBound))
        }
        guard starts.count == ends.count else {
            throw PlanError(
                "the plugin's frames-needed ranges are not windows (\(starts.count) starts, \(ends.count) ends); render it in one chunk")
        }
        let windows = zip(starts.sorted(), ends.sorted()).map { $0...$1 }
        try checkCovering(clip: clip, windows: windows)
        return windows
    }
}

/// A plan that cannot be made, with the reason for the user.
public struct PlanError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
