// Reading audio files (libsndfile: WAV, AIFF, FLAC, OGG/Vorbis, Opus, MP3 with libsndfile ≥ 1.1)
// and taking the part of a file that matches a frame range of a clip, as mono at a model's rate.
import Foundation

/// What a file holds, read from its header.
public struct AudioFileInfo: Sendable, Equatable {
    /// Samples per second per channel.
    public var sampleRate: Int
    /// Interleaved channels.
    public var channels: Int
    /// Frames (samples per channel).
    public var frameCount: Int
    /// frameCount / sampleRate, in seconds.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }
}

/// A time span of a clip's audio: `start` and `duration` in seconds on the audio file's clock.
///
/// For frames f ∈ [a, b) of a clip at `frameRate` fps whose audio starts `offset` seconds into
/// the file: start = offset + a / frameRate, duration = (b − a) / frameRate.
public struct AudioSpan: Sendable, Equatable {
    /// Seconds from the start of the file (may be negative: silence before the file).
    public var start: Double
    /// Seconds (≥ 0).
    public var duration: Double

    /// A span in seconds; throws on a negative or non-finite duration or a non-finite start.
    public init(start: Double, duration: Double) throws {
        guard start.isFinite else { throw MediaError("audio span start \(start) is not a finite number") }
        guard duration.isFinite, duration >= 0 else {
            throw MediaError("audio span duration \(duration) is not a non-negative number")
        }
        self.start = start
        self.duration = duration
    }

    /// The span of video frames `frames` at `frameRate` fps, shifted by `offset` seconds.
    public init(frames: Range<Int>, frameRate: Double, offset: Double = 0) throws {
        guard frameRate > 0, frameRate.isFinite else {
            throw MediaError("frame rate \(frameRate) is not a positive number")
        }
        try self.init(
            start: offset + Double(frames.lowerBound) / frameRate, duration: Double(frames.count) / frameRate)
    }
}

/// Reading whole audio files and spans of them.
public enum AudioFile {
    /// The header of `path`: rate, channels, frames. Throws for missing/empty/non-audio files.
    public static func info(_ path: String) throws -> AudioFileInfo {
        let file = try SndFileReader(path: path)
        return AudioFileInfo(sampleRate: file.sampleRate, channels: file.channels, frameCount: file.frames)
    }

    /// Every sample of `path`, interleaved as stored. Throws for missing, empty, truncated and
    /// non-audio files, naming the file.
    public static func read(_ path: String) throws -> AudioBuffer {
        let file = try SndFileReader(path: path)
        return try AudioBuffer(
            sampleRate: file.sampleRate, channels: file.channels, samples: file.read(from: 0, count: file.frames))
    }

    /// Mono audio of `path` at `sampleRate`, for `span` (nil = the whole file).
    ///
    /// Output sample k is the mono mix (channel average) at time span.start + k / sampleRate;
    /// the count is round(span.duration · sampleRate). Times before 0 or after the file's end
    /// are silence. Only the needed part of the file is read (plus a filter margin); the result
    /// equals resampling the whole file and cutting, because the cut is placed on the common
    /// grid of both rates.
    public static func readMono(_ path: String, sampleRate: Int, span: AudioSpan? = nil) throws -> [Float] {
        try readResampled(path, sampleRate: sampleRate, span: span, mixToMono: true)[0]
    }

    /// Like `readMono`, but every channel separately (`[channel][sample]`), e.g. for LTX-2's
    /// stereo mel spectrogram.
    public static func readChannels(_ path: String, sampleRate: Int, span: AudioSpan? = nil) throws -> [[Float]] {
        try readResampled(path, sampleRate: sampleRate, span: span, mixToMono: false)
    }

    /// Longest span (seconds) and furthest start accepted: a day; beyond that a caller's
    /// arithmetic has gone wrong and allocating the samples would exhaust memory.
    static let longestSpan = 86_400.0

    private static func readResampled(_ path: String, sampleRate: Int, span: AudioSpan?, mixToMono: Bool) throws
        -> [[Float]]
    {
        let file = try SndFileReader(path: path)
        let resampler = try Resampler(from: file.sampleRate, to: sampleRate)
        let span = try span ?? AudioSpan(start: 0, duration: Double(file.frames) / Double(file.sampleRate))
        guard span.duration <= longestSpan, abs(span.start) <= longestSpan else {
            throw MediaError(
                "\(path): audio span start \(span.start) s, duration \(span.duration) s is beyond \(Int(longestSpan)) s"
            )
        }
        let src = file.sampleRate
        let dst = sampleRate
        let firstOut = Int((span.start * Double(dst)).rounded())
        let count = Int((span.duration * Double(dst)).rounded())
        let outputs = mixToMono ? 1 : file.channels
        if count == 0 { return [[Float]](repeating: [], count: outputs) }
        // Blocks of P input samples ↔ Q output samples share their start times exactly.
        let common = gcd(src, dst)
        let blockIn = src / common
        let blockOut = dst / common
        // Enough input around the span for the longest filter libswresample uses (64 taps at the
        // lower rate, i.e. 64·src/dst input samples when downsampling), doubled for safety.
        let margin = 128 * max(1, src / dst) + 256
        let needFirstIn = Double(firstOut) * Double(src) / Double(dst) - Double(margin)
        let needEndIn = Double(firstOut + count) * Double(src) / Double(dst) + Double(margin)
        let firstBlock = Int((needFirstIn / Double(blockIn)).rounded(.down))
        let endBlock = Int((needEndIn / Double(blockIn)).rounded(.up))
        let inStart = firstBlock * blockIn
        let inEnd = endBlock * blockIn
        // Input for [inStart, inEnd): the file where it exists, silence elsewhere.
        let readStart = max(inStart, 0)
        let readEnd = min(inEnd, file.frames)
        let interleaved = readStart < readEnd ? try file.read(from: readStart, count: readEnd - readStart) : []
        let skip = firstOut - firstBlock * blockOut
        var results: [[Float]] = []
        for channel in 0..<outputs {
            var input = [Float](repeating: 0, count: inEnd - inStart)
            if readStart < readEnd {
                let samples =
                    mixToMono
                    ? AudioBuffer.monoMix(interleaved, channels: file.channels)
                    : stride(from: channel, to: interleaved.count, by: file.channels).map { interleaved[$0] }
                input.replaceSubrange((readStart - inStart)..<(readEnd - inStart), with: samples)
            }
            let output = try resampler.resample(input)
            var result = [Float](repeating: 0, count: count)
            let available = max(0, min(count, output.count - skip))
            if available > 0 { result.replaceSubrange(0..<available, with: output[skip..<(skip + available)]) }
            results.append(result)
        }
        return results
    }
}

/// Greatest common divisor of two positive integers.
func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
