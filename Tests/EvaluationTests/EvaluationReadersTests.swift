// The Swift readers against the Python readers on the same pixels and samples: the fixture holds frames
// and sounds with the figures tools/data/av_measure.py, mouth_metric.py and tools/train_av/sample_eval.py
// give for them (tools/fixtures/make_evaluation_readers.py).
import Foundation
import Media
import VideoIO
import XCTest

@testable import Evaluation

final class EvaluationReadersTests: XCTestCase {
    struct Readings: Decodable {
        let hair_rgb, skin_rgb, beard_rgb: [Double]
        let hair: String
        let beard: Double
        let mouth, envelope: [Double]
        let sync: Double
        let f0_track: [Double]
        let median_f0: Double
        let mel_centroid: Double
    }
    struct Expected: Decodable {
        let frames: Int
        let boxes: [String: [[Int]]]
        let head_box: [Int]
        let hair_colours: [String: [Double]]
        let a, b: Readings
        let background_psnr_a_b, frame_psnr_a_b: Double
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/readers").path

    func load() throws -> (Expected, [String: [RGBAImage]], [String: [Double]]) {
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/expected.json")))
        var frames: [String: [RGBAImage]] = [:], audio: [String: [Double]] = [:]
        for name in ["a", "b"] {
            let clip = try openFrameSource(Self.folder + "/\(name)/face####.png", frameRate: 25)
            XCTAssertEqual(clip.frameCount, e.frames)
            frames[name] = try (0..<e.frames).map { try clip.frame(clip.firstFrame + $0) }
            audio[name] = try AudioFile.readMono(Self.folder + "/\(name).wav", sampleRate: 16000).map(Double.init)
        }
        return (e, frames, audio)
    }

    func assertClose(_ a: [Double], _ b: [Double], _ tolerance: Double, _ what: String, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() {
            XCTAssertEqual(x, y, accuracy: tolerance, "\(what)[\(i)]", line: line)
        }
    }

    func testPixelReadersMatchPython() throws {
        let (e, frames, audio) = try load()
        for (name, want) in [("a", e.a), ("b", e.b)] {
            let f = frames[name]!
            let hair = FrameMeasures.boxColour(f, boxes: e.boxes["hair"]!)
            let skin = FrameMeasures.boxColour(f, boxes: e.boxes["skin"]!)
            assertClose(hair, want.hair_rgb, 1e-3, "\(name) hair colour")
            assertClose(skin, want.skin_rgb, 1e-3, "\(name) skin colour")
            assertClose(FrameMeasures.boxColour(f, boxes: e.boxes["beard"]!), want.beard_rgb, 1e-3, "\(name) jaw colour")
            XCTAssertEqual(FrameMeasures.nearestColour(hair, in: e.hair_colours), want.hair, name)
            XCTAssertEqual(
                FrameMeasures.beardScore(f, beardBoxes: e.boxes["beard"]!, skin: skin, hair: hair), want.beard, accuracy: 1e-5, name)
            let mouth = (0..<e.frames).map { FrameMeasures.mouthOpening(f[$0], box: e.boxes["mouth"]![$0]) }
            assertClose(mouth, want.mouth, 1e-5, "\(name) mouth opening")
            let envelope = AudioMeasures.envelope(audio[name]!, frames: e.frames)
            XCTAssertEqual(Statistics.pearson(mouth, envelope, minStd: (1e-6, 1e-9)), want.sync, accuracy: 1e-4, "\(name) sync r")
        }
        // The two frame sets really differ where it matters (the test can fail).
        XCTAssertLessThan(e.b.beard, 0.8)
        XCTAssertGreaterThan(e.a.beard, 0.9)
        let h = e.head_box
        let background = FrameMeasures.psnr(frames["b"]!, frames["a"]!) { _, x, y in !(x >= h[0] && x < h[2] && y >= h[1] && y < h[3]) }
        XCTAssertEqual(background, e.background_psnr_a_b, accuracy: 1e-6)
        XCTAssertEqual(FrameMeasures.psnr(frames["b"]!, frames["a"]!) { _, _, _ in true }, e.frame_psnr_a_b, accuracy: 1e-6)
    }

    func testAudioReadersMatchPython() throws {
        let (e, _, audio) = try load()
        for (name, want) in [("a", e.a), ("b", e.b)] {
            let x = audio[name]!
            assertClose(AudioMeasures.envelope(x, frames: e.frames), want.envelope, 1e-7, "\(name) envelope")
            assertClose(AudioMeasures.f0Track(x), want.f0_track, 1e-3, "\(name) f0 track")
            XCTAssertEqual(AudioMeasures.medianF0(x), want.median_f0, accuracy: 1e-3, name)
            XCTAssertEqual(try AudioMeasures.lowBandCentroid(x.map(Float.init)), want.mel_centroid, accuracy: 1e-3 * want.mel_centroid, name)
        }
        // The lower voice reads lower on both pitch readers.
        XCTAssertLessThan(e.b.mel_centroid, e.a.mel_centroid)
    }

    func testStatistics() {
        XCTAssertEqual(Statistics.median([3, 1, 2]), 2)
        XCTAssertEqual(Statistics.median([4, 1, 3, 2]), 2.5)
        XCTAssertTrue(Statistics.median([]).isNaN)
        XCTAssertEqual(Statistics.pearson([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
        XCTAssertEqual(Statistics.pearson([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-12)
        XCTAssertTrue(Statistics.pearson([1, 1, 1], [1, 2, 3]).isNaN)
        XCTAssertEqual(FrameMeasures.nearestColour([20, 20, 20], in: ["black": [22, 18, 16], "white": [226, 226, 230]]), "black")
    }
}
