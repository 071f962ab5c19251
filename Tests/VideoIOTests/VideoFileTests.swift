import CFFmpeg
import Foundation
import XCTest

@testable import VideoIO

final class VideoFileTests: XCTestCase {
    /// Duration in seconds of the first stream of `type` in `path`, read with libavformat.
    private func streamDuration(_ path: String, _ type: AVMediaType) throws -> Double? {
        var context: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_open_input(&context, path, nil, nil) == 0 else { return nil }
        defer { avformat_close_input(&context) }
        _ = avformat_find_stream_info(context, nil)
        let index = av_find_best_stream(context, type, -1, -1, nil, 0)
        guard index >= 0 else { return nil }
        let stream = context!.pointee.streams[Int(index)]!.pointee
        return Double(stream.duration) * Double(stream.time_base.num) / Double(stream.time_base.den)
    }

    func testMP4WithAudioReadsBackFrameCountSizeRateAspectAndAudio() throws {
        let folder = try makeScratchFolder(self)
        let wav = folder + "/tone.wav"
        try writeSineWAV(wav, seconds: 1.5)
        let out = folder + "/clip.mp4"
        let sink = try makeFrameSink(out, width: 64, height: 48, frameRate: 25, pixelAspect: 4.0 / 3.0)
        for f in 0..<30 { try sink.write(smoothImage(width: 64, height: 48, frame: f), frame: f) }
        try sink.finish(audioFile: wav)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["clip.mp4", "tone.wav"],
            "no temporary file is left behind")

        let source = try openFrameSource(out)
        XCTAssertEqual(source.frameCount, 30)
        XCTAssertEqual(source.width, 64)
        XCTAssertEqual(source.height, 48)
        XCTAssertEqual(source.frameRate, 25, accuracy: 1e-9)
        XCTAssertEqual(source.pixelAspect, 4.0 / 3.0, accuracy: 1e-3)
        XCTAssertEqual(source.sourceBitDepth, 8)
        XCTAssertEqual(source.firstFrame, 0)
        let audio = try XCTUnwrap(try streamDuration(out, AVMEDIA_TYPE_AUDIO))
        XCTAssertEqual(audio, 1.5, accuracy: 0.05)
        // Lossy, but a smooth picture must come back close (and frame order must be right).
        for f in [0, 7, 29, 3] {
            let error = meanAbsoluteError(try source.frame(f), smoothImage(width: 64, height: 48, frame: f))
            XCTAssertLessThan(error, 0.02, "frame \(f)")
        }
    }

    func testMKVWithoutAudioAndOddSizeRoundTrips() throws {
        let folder = try makeScratchFolder(self)
        let out = folder + "/odd.mkv"
        let sink = try makeFrameSink(out, width: 33, height: 17, frameRate: 30000.0 / 1001.0)
        for f in 0..<5 { try sink.write(smoothImage(width: 33, height: 17, frame: f), frame: f) }
        try sink.finish(audioFile: nil)
        let source = try openFrameSource(out)
        XCTAssertEqual(source.frameCount, 5)
        XCTAssertEqual(source.width, 33)
        XCTAssertEqual(source.frameRate, 30000.0 / 1001.0, accuracy: 1e-6)
        XCTAssertEqual(source.pixelAspect, 1)
        XCTAssertNil(try streamDuration(out, AVMEDIA_TYPE_AUDIO))
        XCTAssertLessThan(meanAbsoluteError(try source.frame(4), smoothImage(width: 33, height: 17, frame: 4)), 0.02)
    }

    /// Each frame's blue and green levels encode its number (f mod 12, f / 12, both in coarse
    /// steps a codec keeps apart); frames read in any order must be the right ones (backward reads
    /// and long jumps seek to a keyframe instead of decoding from the start).
    func testFramesReadInAnyOrderAreTheRightFrames() throws {
        let folder = try makeScratchFolder(self)
        func levels(_ f: Int) -> (blue: Float, green: Float) {
            (0.1 + 0.8 * Float(f % 12) / 11, 0.1 + 0.8 * Float(f / 12) / 9)
        }
        for name in ["order.mp4", "order.mkv"] {
            let out = folder + "/" + name
            let sink = try makeFrameSink(out, width: 32, height: 16, frameRate: 10)
            for f in 0..<120 {
                let (blue, green) = levels(f)
                var pixels = [Float](repeating: 1, count: 32 * 16 * 4)
                for i in stride(from: 0, to: pixels.count, by: 4) {
                    pixels[i] = 0.5
                    pixels[i + 1] = green
                    pixels[i + 2] = blue
                }
                try sink.write(RGBAImage(width: 32, height: 16, pixels: pixels), frame: f)
            }
            try sink.finish(audioFile: nil)
            let source = try openFrameSource(out)
            XCTAssertEqual(source.frameCount, 120)
            for f in [3, 2, 100, 55, 56, 119, 0, 71, 70, 12] {
                let image = try source.frame(f)
                func mean(_ c: Int) -> Float {
                    stride(from: c, to: image.pixels.count, by: 4).map { image.pixels[$0] }.reduce(0, +)
                        / Float(32 * 16)
                }
                let (blue, green) = levels(f)
                XCTAssertEqual(mean(2), blue, accuracy: 0.02, "\(name) frame \(f) blue")
                XCTAssertEqual(mean(1), green, accuracy: 0.02, "\(name) frame \(f) green")
            }
            // Keyframes every second (10 pictures): a jump decodes about a second, not the clip.
            let video = try XCTUnwrap(source as? VideoFileSource)
            for (from, to) in [(3, 100), (100, 20), (20, 19)] {
                _ = try video.frame(from)
                let before = video.decodedPictures
                _ = try video.frame(to)
                XCTAssertLessThanOrEqual(video.decodedPictures - before, 12, "\(name) \(from) → \(to)")
            }
        }
    }

    func testVideoErrorsAreClear() throws {
        let folder = try makeScratchFolder(self)
        assertThrowsMessage(["missing.mp4", "file not found"]) { _ = try openFrameSource(folder + "/missing.mp4") }
        try Data("definitely not a movie".utf8).write(to: URL(fileURLWithPath: folder + "/fake.mp4"))
        assertThrowsMessage(["fake.mp4"]) { _ = try openFrameSource(folder + "/fake.mp4") }
        let sink = try makeFrameSink(folder + "/v.mp4", width: 16, height: 16, frameRate: 24)
        try sink.write(smoothImage(width: 16, height: 16, frame: 0), frame: 3)
        assertThrowsMessage(["frame 2 comes after frame 3"]) {
            try sink.write(smoothImage(width: 16, height: 16, frame: 0), frame: 2)
        }
        assertThrowsMessage(["nothere.wav", "file not found"]) { try sink.finish(audioFile: folder + "/nothere.wav") }
        // A render that fails or is abandoned leaves neither the output nor temporary files.
        let quiet = try makeScratchFolder(self)
        func abandoned() throws {
            let sink = try makeFrameSink(quiet + "/gone.mp4", width: 16, height: 16, frameRate: 24)
            try sink.write(smoothImage(width: 16, height: 16, frame: 0), frame: 0)
            assertThrowsMessage(["nothere.wav"]) { try sink.finish(audioFile: quiet + "/nothere.wav") }
        }
        try abandoned()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: quiet), [])
        assertThrowsMessage(["cannot carry audio"]) {
            try makeFrameSink(folder + "/p_####.png", width: 2, height: 2, frameRate: 24).finish(audioFile: "a.wav")
        }
    }
}

final class OtherContainerTests: XCTestCase {
    /// Containers whose default codecs differ from MP4's: AVI (MPEG-4 part 2) and WebM (VP8/9 with
    /// Opus or Vorbis audio, chosen because WebM cannot hold AAC).
    func testAVIAndWebMCarryVideoAndAudio() throws {
        let folder = try makeScratchFolder(self)
        let wav = folder + "/tone.wav"
        try writeSineWAV(wav, seconds: 0.5, rate: 44100)
        for name in ["clip.avi", "clip.webm"] {
            let out = folder + "/" + name
            let sink = try makeFrameSink(out, width: 32, height: 24, frameRate: 24)
            for f in 0..<6 { try sink.write(smoothImage(width: 32, height: 24, frame: f), frame: f) }
            try sink.finish(audioFile: wav)
            let source = try openFrameSource(out)
            XCTAssertEqual(source.frameCount, 6, name)
            XCTAssertEqual(source.frameRate, 24, accuracy: 1e-9, name)
            // Loose: MPEG-4 part 2 (AVI) on a 32x24 picture; a wrong frame is off by ~0.2.
            XCTAssertLessThan(
                meanAbsoluteError(try source.frame(5), smoothImage(width: 32, height: 24, frame: 5)), 0.04, name)
            XCTAssertTrue(try hasAudioStream(out), name)
        }
    }

    private func hasAudioStream(_ path: String) throws -> Bool {
        var context: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_open_input(&context, path, nil, nil) == 0 else { return false }
        defer { avformat_close_input(&context) }
        _ = avformat_find_stream_info(context, nil)
        return av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0) >= 0
    }
}

/// Mean |a − b| over all values.
func meanAbsoluteError(_ a: RGBAImage, _ b: RGBAImage) -> Float {
    zip(a.pixels, b.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(a.pixels.count)
}
