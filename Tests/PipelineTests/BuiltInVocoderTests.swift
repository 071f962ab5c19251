// The built-in AV model's vocoder on true speech: the first second of Examples/avedit/source.wav through the
// job's own mel front end (the mono mel in both channels, as AV Edit feeds a mono source) must come back as a
// coherent stereo pair at about the source's level. Attempt 2's vocoder gave the channels in anti-phase (L–R
// correlation −0.94, mono mix −19 dB on 16 held-out clips, tools/train_av/vocoder_check.py): every AV Edit
// output nearly vanished on mono playback.
import Foundation
import Media
import Models
@testable import Pipeline
import Tensor
import TensorCPU
import XCTest

final class BuiltInVocoderTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testTheBuiltInVocoderGivesACoherentPairAtTheSourcesLevelFromTheTrueMel() throws {
        let backend = try CPUBackend()
        let folder = Self.repository.appendingPathComponent("plugin-manifest/Resources/models/avedit/vocoder")
        let vocoder = try LTX2Checkpoint.loadVocoder(
            folder.appendingPathComponent("diffusion_pytorch_model.safetensors"), on: backend)
        let source = Self.repository.appendingPathComponent("Examples/avedit/source.wav").path
        // One 25-frame window at 25 fps: 16,000 samples, 100 mel frames of 160 samples (25 audio latents of 4 frames).
        let (mel, frames, read) = try AVAudio.sourceMel(
            path: source, window: 0...24, clipStart: 0, frameRate: 25, offset: 0, channels: 2, compression: 4,
            settings: .ltx2)
        XCTAssertEqual(frames, 100)
        XCTAssertEqual(read[0], read[1], "a mono source: both mel channels equal")
        let wave = try vocoder(try backend.upload(mel, shape: [2, frames, 64], dtype: .f32), on: backend)
        let length = wave.shape[1]  // T·160 plus the transposed convolutions' tail
        XCTAssertEqual(wave.shape[0], 2)
        XCTAssertGreaterThanOrEqual(length, 16000)
        let out = try backend.download(wave)
        let (left, right) = (out[0..<16000].map(Double.init), out[length..<(length + 16000)].map(Double.init))
        let src = read[0].prefix(16000).map(Double.init)
        func rms(_ x: [Double]) -> Double { (x.reduce(0) { $0 + $1 * $1 } / Double(max(x.count, 1))).squareRoot() }
        func centred(_ x: [Double]) -> [Double] { let m = x.reduce(0, +) / Double(x.count); return x.map { $0 - m } }
        let (l, r) = (centred(left), centred(right))
        let correlation = zip(l, r).reduce(0) { $0 + $1.0 * $1.1 } / max((rms(l) * rms(r) * Double(l.count)), 1e-20)
        let mono = zip(left, right).map { ($0 + $1) / 2 }
        let level = rms(mono) / rms(src)
        print("built-in vocoder on the true mel: L–R correlation \(correlation), mono RMS \(rms(mono)) vs source \(rms(src)) (×\(level))")
        XCTAssertGreaterThan(correlation, 0.9, "left and right must be coherent where the two mel channels are equal")
        XCTAssertGreaterThan(level, 0.5, "the mono mix within a factor of 2 of the source's level")
        XCTAssertLessThan(level, 2.0, "the mono mix within a factor of 2 of the source's level")
    }
}
