import CSndFile
import Foundation
import XCTest

@testable import Media

/// A fresh empty folder, removed after the test.
func makeScratchFolder(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// `amplitude · sin(2π·frequency·t/rate + phase)` for t in 0..<count.
func sine(frequency: Double, amplitude: Double, rate: Int, count: Int, phase: Double = 0) -> [Float] {
    (0..<count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(rate) + phase)) }
}

/// Interleaves channels of equal length.
func interleave(_ channels: [[Float]]) -> [Float] {
    var out = [Float](repeating: 0, count: channels.count * channels[0].count)
    for (c, samples) in channels.enumerated() {
        for (t, v) in samples.enumerated() { out[t * channels.count + c] = v }
    }
    return out
}

/// Writes interleaved samples with libsndfile directly (independent of Media's writer), in any
/// format libsndfile writes, e.g. SF_FORMAT_OGG | SF_FORMAT_VORBIS.
func writeWithSndFile(_ path: String, format: Int32, rate: Int, channels: Int, samples: [Float]) throws {
    var info = SF_INFO()
    info.samplerate = Int32(rate)
    info.channels = Int32(channels)
    info.format = format
    guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
        throw MediaError("test could not create \(path): \(String(cString: sf_strerror(nil)))")
    }
    let frames = samples.count / channels
    let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(frames)) }
    sf_close(handle)
    guard written == sf_count_t(frames) else { throw MediaError("test wrote \(written) of \(frames) frames") }
}

/// Frequency from upward zero crossings with linear interpolation (an estimator independent of
/// any FFT): (crossings − 1) periods between the first and last crossing.
func zeroCrossingFrequency(_ x: ArraySlice<Float>, rate: Int) -> Double {
    var crossings: [Double] = []
    var previous = x[x.startIndex]
    for i in (x.startIndex + 1)..<x.endIndex {
        let v = x[i]
        if previous < 0 && v >= 0 {
            crossings.append(Double(i - 1) + Double(-previous) / Double(v - previous))
        }
        previous = v
    }
    guard crossings.count >= 2 else { return 0 }
    return Double(crossings.count - 1) * Double(rate) / (crossings.last! - crossings.first!)
}

/// Amplitude of the component at `frequency`: 2·|Σ x[t]·e^{−iωt}| / N over a whole number of
/// periods is exact for a pure sine; here N is long so the leakage is negligible.
func amplitude(at frequency: Double, of x: ArraySlice<Float>, rate: Int) -> Double {
    var re = 0.0
    var im = 0.0
    for (k, i) in x.indices.enumerated() {
        let w = 2 * Double.pi * frequency * Double(k) / Double(rate)
        re += Double(x[i]) * cos(w)
        im += Double(x[i]) * sin(w)
    }
    return 2 * (re * re + im * im).squareRoot() / Double(x.count)
}

/// Asserts that `body` throws a MediaError whose message contains every string in `parts`.
func assertThrowsMessage(
    _ parts: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected an error mentioning \(parts)", file: file, line: line)
    } catch let error as MediaError {
        for part in parts {
            XCTAssertTrue(error.message.contains(part), "'\(error.message)' lacks '\(part)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
