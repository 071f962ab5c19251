import Foundation
import XCTest

@testable import Media

final class ResamplerTests: XCTestCase {
    /// A 1 kHz sine keeps frequency, amplitude (±0.1 dB) and phase through 44.1k→16k and 48k→16k.
    func testOneKilohertzSineKeepsFrequencyAndAmplitudeWithinATenthOfADecibel() throws {
        for inputRate in [44100, 48000, 22050] {
            let input = sine(frequency: 1000, amplitude: 0.5, rate: inputRate, count: inputRate)
            let resampler = try Resampler(from: inputRate, to: 16000)
            let output = try resampler.resample(input)
            XCTAssertEqual(output.count, 16000)
            let middle = output[2000..<14000]  // away from the edges, 750 whole periods
            XCTAssertEqual(zeroCrossingFrequency(middle, rate: 16000), 1000, accuracy: 0.01, "\(inputRate)")
            let decibels = 20 * log10(amplitude(at: 1000, of: middle, rate: 16000) / 0.5)
            XCTAssertEqual(decibels, 0, accuracy: 0.1, "\(inputRate)")
            // Time alignment: output sample j is the signal at j / 16000.
            let analytic = (2000..<14000).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 16000)) }
            XCTAssertLessThan(zip(middle, analytic).map { abs($0 - $1) }.max()!, 2e-3, "\(inputRate)")
        }
    }

    func testUpsamplingKeepsTheTone() throws {
        let input = sine(frequency: 1000, amplitude: 0.5, rate: 16000, count: 16000)
        let output = try Resampler(from: 16000, to: 48000).resample(input)
        XCTAssertEqual(output.count, 48000)
        let decibels = 20 * log10(amplitude(at: 1000, of: output[6000..<42000], rate: 48000) / 0.5)
        XCTAssertEqual(decibels, 0, accuracy: 0.1)
    }

    func testAboveTheOutputNyquistIsRemoved() throws {
        // 9 kHz cannot exist at 16 kHz; it must not alias into the output (to 7 kHz).
        let input = sine(frequency: 9000, amplitude: 0.5, rate: 48000, count: 48000)
        let output = try Resampler(from: 48000, to: 16000).resample(input)
        XCTAssertLessThan(amplitude(at: 7000, of: output[2000..<14000], rate: 16000), 0.5 * 0.01)  // < −40 dB
    }

    func testInvalidRatesAreRefused() {
        assertThrowsMessage(["sample rate 0"]) { _ = try Resampler(from: 0, to: 16000) }
        assertThrowsMessage(["sample rate -5"]) { _ = try Resampler(from: 16000, to: -5) }
    }
}
