// The public face of VideoIO: what the headless host (`ofx-host`) reads frames from and writes
// frames to. Everything behind these declarations (PNG, PFM, FFmpeg) may change; these may not
// without telling the CLI's owner.
import CFFmpeg
import Foundation
import UserMessages

/// One picture: RGBA, interleaved, row 0 = TOP of the picture.
///
/// Layout: `pixels[(y * width + x) * 4 + c]`, c ∈ {R, G, B, A}, shape `[H, W, 4]`.
/// Values are display-referred: 0...1 for PNG and video; PFM may hold any float.
public struct RGBAImage: Sendable {
    /// Width in pixels (W).
    public var width: Int
    /// Height in pixels (H).
    public var height: Int
    /// `[H, W, 4]` interleaved RGBA, `width * height * 4` values.
    public var pixels: [Float]

    /// Wraps `pixels` (`[H, W, 4]`, row 0 = top) without copying or checking; sinks and
    /// conversions check that `pixels.count == width * height * 4` and throw otherwise.
    public init(width: Int, height: Int, pixels: [Float]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// A clip the host can pull frames from: a video file, an image sequence or a still image.
public protocol FrameSource: AnyObject {
    /// Picture width in pixels.
    var width: Int { get }
    /// Picture height in pixels.
    var height: Int { get }
    /// Frame number of the first frame (sequence numbering; 0 for video files and stills).
    var firstFrame: Int { get }
    /// Number of frames (1 for a still image).
    var frameCount: Int { get }
    /// Frames per second: the container's rate for video; 24 for sequences unless told otherwise.
    var frameRate: Double { get }
    /// Pixel aspect ratio (width of a pixel / its height); 1 when the file does not say.
    var pixelAspect: Double { get }
    /// Bit depth of the stored samples: 8, 16 (also for 10/12-bit video) or 32 (float).
    var sourceBitDepth: Int { get }
    /// Decodes frame `number`, which must lie in `firstFrame ..< firstFrame + frameCount`
    /// (a still image answers any number); throws `VideoIOError` otherwise or when decoding fails.
    func frame(_ number: Int) throws -> RGBAImage
}

/// A destination the host writes rendered frames to: a video file or an image sequence.
public protocol FrameSink: AnyObject {
    /// Writes `image` as frame `number`. Video files take frames in increasing order (gaps are
    /// held as the previous picture's duration); sequences write `pattern` with `number` filled in.
    func write(_ image: RGBAImage, frame number: Int) throws
    /// Completes the output. Video: muxes `audioFile` (WAV, FLAC, anything FFmpeg reads) as an
    /// audio track, then writes the trailer and closes. Sequences: `audioFile` must be nil.
    func finish(audioFile: String?) throws
    /// Discards everything this sink wrote (a failed or aborted render must not leave half an output):
    /// a sequence's frames written so far, a video's temporary file. Files it did not write stay.
    func abandon()
}

/// Opens a clip for reading.
///
/// - Parameters:
///   - path: a video file (mp4/mov/mkv/…), a single image (`.png`/`.pfm`), or a sequence pattern
///     with `####` or `%04d` in the file name (frame numbers found by listing the folder; a gap
///     throws an error naming the missing frame).
///   - frameRate: overrides the rate of sequences and stills (default 24); for video files it
///     overrides the container's rate.
public func openFrameSource(_ path: String, frameRate: Double? = nil) throws -> FrameSource {
    FFmpegLog.quiet()
    if let rate = frameRate, !(rate > 0 && rate.isFinite) {
        throw VideoIOError("frame rate \(rate) for \(path) is not a positive number")
    }
    switch try ClipPath.classify(path) {
    case .sequence(let pattern):
        return try ImageSequenceSource(pattern: pattern, frameRate: frameRate ?? 24)
    case .still(let kind):
        return try StillImageSource(path: path, kind: kind, frameRate: frameRate ?? 24)
    case .video:
        return try VideoFileSource(path: path, frameRateOverride: frameRate)
    }
}

/// Creates an output clip.
///
/// - Parameters:
///   - pattern: a video file path (`.mp4`/`.mov`/`.mkv`/`.m4v`: H.264 through libx264 when the
///     installed libavcodec has it, else MPEG-4 part 2; audio is AAC) or a `.png`/`.pfm` sequence
///     pattern with `####` or `%04d`; a pattern without a number placeholder writes one still.
///   - width, height: the picture size every written image must have.
///   - frameRate: frames per second of a video file (ignored by sequences).
///   - pixelAspect: stored as the video's sample aspect ratio.
///   - bitDepth: 8 or 16 for PNG; PFM is always 32-bit float (8/16/32 accepted); video is
///     8-bit 4:2:0 whatever is asked.
public func makeFrameSink(
    _ pattern: String, width: Int, height: Int, frameRate: Double, pixelAspect: Double = 1,
    bitDepth: Int = 8
) throws -> FrameSink {
    FFmpegLog.quiet()
    guard width > 0, height > 0 else {
        throw VideoIOError("output size \(width)x\(height) for \(pattern) is not positive")
    }
    guard frameRate > 0, frameRate.isFinite else {
        throw VideoIOError("frame rate \(frameRate) for \(pattern) is not a positive number")
    }
    guard pixelAspect > 0, pixelAspect.isFinite else {
        throw VideoIOError("pixel aspect \(pixelAspect) for \(pattern) is not a positive number")
    }
    switch try ClipPath.classify(pattern) {
    case .sequence(let parsed):
        return try ImageSequenceSink(
            pattern: parsed, width: width, height: height, bitDepth: bitDepth)
    case .still(let kind):
        return try ImageSequenceSink(
            pattern: SequencePattern(still: pattern, kind: kind), width: width, height: height,
            bitDepth: bitDepth)
    case .video:
        return try VideoFileSink(
            path: pattern, width: width, height: height, frameRate: frameRate,
            pixelAspect: pixelAspect)
    }
}

/// Every failure in VideoIO: a message naming the file and what is wrong with it.
public struct VideoIOError: Error, CustomStringConvertible, LocalizedError, Sendable, ExitStatusProviding {
    /// Human-readable description, e.g. "frame 12 of shot_####.png is missing (…/shot_0012.png)".
    public let message: String
    /// `.dataError` (a malformed file), `.noInput` (a missing one) or `.cannotCreate` (an output).
    public let exitStatus: ExitStatus
    /// Wraps `message`.
    public init(_ message: String, status: ExitStatus = .dataError) {
        self.message = message
        exitStatus = status
    }
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// FFmpeg's own log lines (encoder banners, stream notes) would drown the host's progress output;
/// our errors carry their own messages, so only FFmpeg's errors are kept.
enum FFmpegLog {
    private static let once: Void = { av_log_set_level(AV_LOG_ERROR) }()
    static func quiet() { _ = once }
}
