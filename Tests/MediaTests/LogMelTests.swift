import Foundation
import XCTest

@testable import Media

/// Fixtures extracted from shared/goldens/whisper_frontend.safetensors by
/// tools/fixtures/make_media_whisper_frontend.py (see Fixtures/whisper_frontend.json).
private enum WhisperGolden {
    static func floats(_ name: String) throws -> [Float] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil))
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }

    static func manifest() throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/whisper_frontend", withExtension: "json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static let headFrames = 256
}

final class LogMelTests: XCTestCase {
    func testSlaneyFilterBankMatchesWhisperMelFilters() throws {
        let golden = try WhisperGolden.floats("whisper_mel_filters.f32")
        let bank = try LogMelSpectrogram(.whisper).filterBank
        XCTAssertEqual(bank.binCount, 201)
        XCTAssertEqual(bank.melCount, 128)
        XCTAssertEqual(golden.count, bank.weights.count)
        let error = zip(bank.weights, golden).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(error, 1e-8, "max abs error \(error)")
    }

    func testWhisperLogMelMatchesTheGoldenWithin1e4() throws {
        let waveform = try WhisperGolden.floats("whisper_waveform.f32")
        let head = try WhisperGolden.floats("whisper_log_mel_head.f32")
        let tailValue = try XCTUnwrap(WhisperGolden.manifest()["log_mel_tail_value"] as? Double)
        let features = try LogMelSpectrogram(.whisper)(waveform)
        XCTAssertEqual(features.count, 1)
        let mel = features[0]
        XCTAssertEqual(mel.melCount, 128)
        XCTAssertEqual(mel.frameCount, 3000)
        var worst: Float = 0
        for m in 0..<128 {
            for t in 0..<3000 {
                let ours = mel.values[m * 3000 + t]
                let reference = t < WhisperGolden.headFrames ? head[m * WhisperGolden.headFrames + t] : Float(tailValue)
                worst = max(worst, abs(ours - reference))
            }
        }
        XCTAssertLessThan(worst, 1e-4, "max abs error vs golden log-mel: \(worst)")
    }

    func testMelPowerMatchesTheGoldenRelatively() throws {
        let waveform = try WhisperGolden.floats("whisper_waveform.f32")
        let golden = try WhisperGolden.floats("whisper_mel_power_head.f32")
        let spectrogram = try LogMelSpectrogram(.whisper)
        let power = try spectrogram.melPower(spectrogram.chunks(of: waveform)[0])
        var worst: Float = 0
        for m in 0..<128 {
            for t in 0..<WhisperGolden.headFrames {
                let reference = golden[m * WhisperGolden.headFrames + t]
                let ours = power.values[m * power.frameCount + t]
                worst = max(worst, abs(ours - reference) / (abs(reference) + 1e-8))
            }
        }
        XCTAssertLessThan(worst, 1e-3, "max relative error of mel power: \(worst)")
    }

    func testAvTxRealFFTMatchesANaiveDFT() throws {
        // 400 (Whisper) and 6, 50, 882 go through the chirp-z route; 1024, 8, 60, 480 are direct.
        for n in [400, 1024, 8, 60, 480, 6, 50, 882, 7] {
            let x = (0..<n).map { Float(sin(Double($0) * 0.37) + 0.25 * cos(Double($0 * $0) * 0.01)) }
            let fft = try RealFFT(length: n)
            XCTAssertEqual(fft.isDirect, [1024, 8, 60, 480].contains(n), "route for n \(n)")
            let bins = fft.spectrum(x)
            for k in 0...(n / 2) {
                var re = 0.0
                var im = 0.0
                for t in 0..<n {
                    let w = -2 * Double.pi * Double(k * t % n) / Double(n)
                    re += Double(x[t]) * cos(w)
                    im += Double(x[t]) * sin(w)
                }
                XCTAssertEqual(Double(bins[2 * k]), re, accuracy: 1e-4 * Double(n).squareRoot(), "n \(n) bin \(k)")
                XCTAssertEqual(Double(bins[2 * k + 1]), im, accuracy: 1e-4 * Double(n).squareRoot(), "n \(n) bin \(k)")
            }
        }
        assertThrowsMessage(["FFT length 1"]) { _ = try RealFFT(length: 1) }
    }

    func testLongAudioIsCutIntoThirtySecondChunksAndLTX2GivesSixtyFourMels() throws {
        let spectrogram = try LogMelSpectrogram(.whisper)
        let chunks = try spectrogram.chunks(of: [Float](repeating: 0.1, count: 480_000 + 10))
        XCTAssertEqual(chunks.map(\.count), [480_000, 480_000])
        XCTAssertEqual(chunks[1][9], 0.1)
        XCTAssertEqual(chunks[1][10], 0)

        let tone = sine(frequency: 1000, amplitude: 0.5, rate: 16000, count: 16000)
        let ltx = try XCTUnwrap(try LogMelSpectrogram(.ltx2)(tone).first)
        XCTAssertEqual(ltx.melCount, 64)
        XCTAssertEqual(ltx.frameCount, 1 + 16000 / 160)
        // The loudest band of a 1 kHz tone is the band whose centre is nearest 1 kHz.
        let bank = try LogMelSpectrogram(.ltx2).filterBank
        let centres = (0..<64).map { MelScale.slaney.hz(MelScale.slaney.mel(8000) * Double($0 + 1) / 65) }
        let expected = centres.indices.min { abs(centres[$0] - 1000) < abs(centres[$1] - 1000) }!
        let frame = 50
        let loudest = (0..<64).max {
            ltx.values[$0 * ltx.frameCount + frame] < ltx.values[$1 * ltx.frameCount + frame]
        }!
        XCTAssertEqual(loudest, expected)
        XCTAssertEqual(bank.melCount, 64)
        assertThrowsMessage(["too few"]) { _ = try LogMelSpectrogram(.ltx2)([Float](repeating: 0, count: 100)) }
    }

    /// LogMelSettings.ltx2 against torchaudio's MelSpectrogram(power=1, Slaney) + log(clamp 1e−5)
    /// (Fixtures/ltx2_mel.json, made by tools/fixtures/make_media_ltx2_mel.py).
    func testLTX2LogMelMatchesTorchaudio() throws {
        let waveform = try WhisperGolden.floats("ltx2_waveform.f32")
        let reference = try WhisperGolden.floats("ltx2_log_mel.f32")
        let fbanks = try WhisperGolden.floats("ltx2_mel_fbanks.f32")
        let spectrogram = try LogMelSpectrogram(.ltx2)
        let bankError = zip(spectrogram.filterBank.weights, fbanks).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(bankError, 1e-7, "max abs error vs torchaudio (float32) mel filter bank: \(bankError)")
        let mel = try XCTUnwrap(try spectrogram(waveform).first)
        XCTAssertEqual(mel.melCount, 64)
        XCTAssertEqual(mel.frameCount, 101)
        XCTAssertEqual(reference.count, 64 * 101)
        let worst = zip(mel.values, reference).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-4, "max abs error vs torchaudio log-mel: \(worst)")
    }

    func testMelScalesInvertAndMatchTheirClosedForms() {
        XCTAssertEqual(MelScale.slaney.mel(1000), 15, accuracy: 1e-12)
        XCTAssertEqual(MelScale.slaney.mel(6400), 15 + 27, accuracy: 1e-9)
        XCTAssertEqual(MelScale.htk.mel(700), 2595 * log10(2), accuracy: 1e-9)
        for hz in [0.0, 440, 999, 1000, 4000, 8000] {
            XCTAssertEqual(MelScale.slaney.hz(MelScale.slaney.mel(hz)), hz, accuracy: 1e-9)
            XCTAssertEqual(MelScale.htk.hz(MelScale.htk.mel(hz)), hz, accuracy: 1e-9)
        }
    }
}
