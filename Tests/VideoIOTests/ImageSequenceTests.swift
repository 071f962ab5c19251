import Foundation
import XCTest

@testable import VideoIO

final class ImageSequenceTests: XCTestCase {
    func testEightBitPNGSequenceRoundTripsExactly() throws {
        let folder = try makeScratchFolder(self)
        let pattern = folder + "/shot_####.png"
        let sink = try makeFrameSink(pattern, width: 13, height: 7, frameRate: 24)
        let originals = (5..<9).map { patternImage(width: 13, height: 7, seed: $0) }
        for (i, image) in originals.enumerated() { try sink.write(image, frame: 5 + i) }
        try sink.finish(audioFile: nil)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/shot_0005.png"))

        let source = try openFrameSource(folder + "/shot_%04d.png")
        XCTAssertEqual(source.firstFrame, 5)
        XCTAssertEqual(source.frameCount, 4)
        XCTAssertEqual(source.width, 13)
        XCTAssertEqual(source.height, 7)
        XCTAssertEqual(source.sourceBitDepth, 8)
        XCTAssertEqual(source.frameRate, 24)
        for (i, image) in originals.enumerated() {
            XCTAssertEqual(try source.frame(5 + i).pixels, image.pixels)
        }
    }

    func testSixteenBitPNGRoundTripsExactly() throws {
        let folder = try makeScratchFolder(self)
        let image = patternImage(width: 9, height: 11, seed: 3, levels: 65535)
        let sink = try makeFrameSink(folder + "/deep.%d.png", width: 9, height: 11, frameRate: 30, bitDepth: 16)
        try sink.write(image, frame: 1)
        try sink.finish(audioFile: nil)
        let source = try openFrameSource(folder + "/deep.1.png")  // a single image
        XCTAssertEqual(source.sourceBitDepth, 16)
        XCTAssertEqual(try source.frame(0).pixels, image.pixels)
    }

    func testPFMSequenceRoundTripsFloatsAndDropsAlpha() throws {
        let folder = try makeScratchFolder(self)
        var image = patternImage(width: 6, height: 4, seed: 1)
        for i in stride(from: 0, to: image.pixels.count, by: 4) {
            image.pixels[i] = image.pixels[i] * 7.5 - 2  // HDR and negative values survive in PFM
            image.pixels[i + 3] = 1
        }
        let sink = try makeFrameSink(folder + "/f_##.pfm", width: 6, height: 4, frameRate: 24, bitDepth: 16)
        try sink.write(image, frame: 0)
        try sink.write(image, frame: 1)
        try sink.finish(audioFile: nil)
        let source = try openFrameSource(folder + "/f_##.pfm", frameRate: 12)
        XCTAssertEqual(source.frameCount, 2)
        XCTAssertEqual(source.sourceBitDepth, 32)
        XCTAssertEqual(source.frameRate, 12)
        XCTAssertEqual(try source.frame(1).pixels, image.pixels)
    }

    func testPFMStoresRowsBottomUpAndReadsBigEndianGrey() throws {
        let folder = try makeScratchFolder(self)
        // 2x2 grey, big-endian (positive scale): file rows bottom-up, so the first stored row is the bottom.
        var data = Data("Pf\n2 2\n1.0\n".utf8)
        for v: Float in [1, 2, 3, 4] { withUnsafeBytes(of: v.bitPattern.bigEndian) { data.append(contentsOf: $0) } }
        try data.write(to: URL(fileURLWithPath: folder + "/g.pfm"))
        let image = try openFrameSource(folder + "/g.pfm").frame(0)
        XCTAssertEqual(image.pixels.enumerated().filter { $0.offset % 4 == 0 }.map(\.element), [3, 4, 1, 2])
        XCTAssertEqual(image.pixels[3], 1)  // alpha
        XCTAssertEqual(image.pixels[1], 3)  // grey copied to G
        let encoded = PFM.encode(image, channels: 1, littleEndian: false)
        XCTAssertEqual(encoded, data)
    }

    func testSequenceWithGapNamesTheMissingFrame() throws {
        let folder = try makeScratchFolder(self)
        let sink = try makeFrameSink(folder + "/s_####.png", width: 4, height: 4, frameRate: 24)
        for n in [10, 11, 13] { try sink.write(patternImage(width: 4, height: 4, seed: n), frame: n) }
        assertThrowsMessage(["frame 12 is missing", "s_0012.png"]) { _ = try openFrameSource(folder + "/s_####.png") }
    }

    func testMismatchedSizesAreRefused() throws {
        let folder = try makeScratchFolder(self)
        let sink = try makeFrameSink(folder + "/m_####.png", width: 4, height: 4, frameRate: 24)
        assertThrowsMessage(["5x4", "4x4"]) { try sink.write(patternImage(width: 5, height: 4, seed: 0), frame: 1) }
        try sink.write(patternImage(width: 4, height: 4, seed: 0), frame: 1)
        let other = try makeFrameSink(folder + "/m_####.png", width: 3, height: 4, frameRate: 24)
        try other.write(patternImage(width: 3, height: 4, seed: 0), frame: 2)
        let source = try openFrameSource(folder + "/m_####.png")
        assertThrowsMessage(["frame 2", "3x4", "4x4"]) { _ = try source.frame(2) }
        assertThrowsMessage(["frame 7 is outside"]) { _ = try source.frame(7) }
    }

    func testBadPathsGiveClearErrors() throws {
        let folder = try makeScratchFolder(self)
        assertThrowsMessage(["unknown extension '.xyz'"]) { _ = try openFrameSource(folder + "/a.xyz") }
        assertThrowsMessage(["a.png", "file not found"]) { _ = try openFrameSource(folder + "/a.png") }
        assertThrowsMessage(["no files match"]) { _ = try openFrameSource(folder + "/none_####.png") }
        assertThrowsMessage(["does not exist"]) {
            _ = try makeFrameSink(folder + "/nope/x_####.png", width: 2, height: 2, frameRate: 24)
        }
        assertThrowsMessage(["PNG bit depth"]) {
            _ = try makeFrameSink(folder + "/x_####.png", width: 2, height: 2, frameRate: 24, bitDepth: 12)
        }
        try Data().write(to: URL(fileURLWithPath: folder + "/empty.png"))
        assertThrowsMessage(["empty.png", "empty"]) { _ = try openFrameSource(folder + "/empty.png") }
        try Data("hello, not a picture".utf8).write(to: URL(fileURLWithPath: folder + "/text.png"))
        assertThrowsMessage(["text.png", "not a PNG"]) { _ = try openFrameSource(folder + "/text.png") }
        try Data("PF\n4 4\n-1.0\n".utf8 + Data(count: 20)).write(to: URL(fileURLWithPath: folder + "/short.pfm"))
        assertThrowsMessage(["short.pfm", "truncated"]) { _ = try openFrameSource(folder + "/short.pfm") }
    }

    func testTruncatedPNGIsAnError() throws {
        let folder = try makeScratchFolder(self)
        let sink = try makeFrameSink(folder + "/t.png", width: 32, height: 32, frameRate: 24)
        try sink.write(patternImage(width: 32, height: 32, seed: 2), frame: 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/t.png"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: folder + "/t.png"))
        assertThrowsMessage(["t.png"]) { _ = try openFrameSource(folder + "/t.png") }
    }
}

final class RGBAImageValidationTests: XCTestCase {
    func testImageWithTooFewValuesIsRefusedNotCrashed() throws {
        let folder = try makeScratchFolder(self)
        let short = RGBAImage(width: 4, height: 4, pixels: [Float](repeating: 0.5, count: 10))
        for pattern in ["/a_####.pfm", "/b_####.png", "/c.mp4"] {
            let sink = try makeFrameSink(folder + pattern, width: 4, height: 4, frameRate: 24)
            assertThrowsMessage(["holds 10 values", "4x4x4"]) { try sink.write(short, frame: 0) }
        }
    }
}

final class DamagedImageTests: XCTestCase {
    /// Valid signatures followed by noise, and headers with impossible fields: errors, no crash.
    func testDamagedHeadersAndNoiseGiveErrors() throws {
        let folder = try makeScratchFolder(self)
        var state: UInt32 = 12345
        let noise = Data(
            (0..<4096).map { _ -> UInt8 in
                state = state &* 1_664_525 &+ 1_013_904_223  // fixed noise: the test is deterministic
                return UInt8(state >> 24)
            })
        let cases: [(String, Data)] = [
            ("noise.png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + noise),
            ("noise.pfm", Data("PF\n".utf8) + noise),
            ("negative.pfm", Data("PF\n-5 3\n-1.0\n".utf8) + noise),
            ("zero-scale.pfm", Data("Pf\n2 2\n0\n".utf8) + noise),
            ("huge.pfm", Data("PF\n65536 65536\n-1.0\n".utf8) + noise),
            ("noise.mp4", noise),
        ]
        for (name, data) in cases {
            try data.write(to: URL(fileURLWithPath: folder + "/" + name))
            assertThrowsMessage([name]) { _ = try openFrameSource(folder + "/" + name).frame(0) }
        }
    }
}
