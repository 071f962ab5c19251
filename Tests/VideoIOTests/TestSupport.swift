import Foundation
import XCTest

@testable import VideoIO

/// A fresh empty folder under the system temporary folder, removed by the test's teardown.
func makeScratchFolder(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("videoio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// A deterministic RGBA picture whose values are exact multiples of 1/`levels` (so 8- or 16-bit
/// storage keeps them exactly); frame `seed` shifts the pattern.
func patternImage(width: Int, height: Int, seed: Int, levels: Int = 255) -> RGBAImage {
    var pixels = [Float](repeating: 0, count: width * height * 4)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<4 {
                let q = (x * 37 + y * 101 + c * 53 + seed * 11 + x * y * 7) % (levels + 1)
                pixels[(y * width + x) * 4 + c] = Float(q) / Float(levels)
            }
        }
    }
    return RGBAImage(width: width, height: height, pixels: pixels)
}

/// A smooth picture (video codecs keep it well): horizontal red ramp, vertical green ramp,
/// blue moving with the frame number.
func smoothImage(width: Int, height: Int, frame: Int) -> RGBAImage {
    var pixels = [Float](repeating: 1, count: width * height * 4)
    for y in 0..<height {
        for x in 0..<width {
            let o = (y * width + x) * 4
            pixels[o] = 0.1 + 0.8 * Float(x) / Float(width - 1)
            pixels[o + 1] = 0.1 + 0.8 * Float(y) / Float(height - 1)
            pixels[o + 2] = 0.2 + 0.6 * Float(frame % 10) / 9
        }
    }
    return RGBAImage(width: width, height: height, pixels: pixels)
}

/// A 16-bit PCM mono WAV of `seconds` of a 440 Hz sine at `rate`, written byte by byte.
func writeSineWAV(_ path: String, seconds: Double, rate: Int = 48000) throws {
    let count = Int(Double(rate) * seconds)
    var data = Data()
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("RIFF".utf8))
    u32(UInt32(36 + count * 2))
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    u32(16)
    u16(1)
    u16(1)
    u32(UInt32(rate))
    u32(UInt32(rate * 2))
    u16(2)
    u16(16)
    data.append(contentsOf: Array("data".utf8))
    u32(UInt32(count * 2))
    for i in 0..<count {
        let v = Int16(12000 * sin(2 * Double.pi * 440 * Double(i) / Double(rate)))
        u16(UInt16(bitPattern: v))
    }
    try data.write(to: URL(fileURLWithPath: path))
}

/// Asserts that `body` throws a VideoIOError whose message contains every string in `parts`.
func assertThrowsMessage(
    _ parts: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected an error mentioning \(parts)", file: file, line: line)
    } catch let error as VideoIOError {
        for part in parts {
            XCTAssertTrue(error.message.contains(part), "'\(error.message)' lacks '\(part)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
