// Frame resizing between the host's size and the model's: downscaling averages the covered area (at an
// integer factor exactly the block mean the built-in models were trained on), upscaling is bilinear.
@testable import Pipeline
import XCTest

final class PlanarResizeTests: XCTestCase {
    func testHalvingIsTheMeanOfEachTwoByTwoBlock() {
        let (h, w) = (6, 8)
        let plane = (0..<(2 * h * w)).map { Float(($0 * 37) % 11) - 5 }
        let out = PlanarResize.resize(plane, channels: 2, height: h, width: w, to: h / 2, w / 2)
        for c in 0..<2 {
            for y in 0..<(h / 2) {
                for x in 0..<(w / 2) {
                    let at = { (yy: Int, xx: Int) in plane[(c * h + yy) * w + xx] }
                    let mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4
                    XCTAssertEqual(out[(c * h / 2 + y) * (w / 2) + x], mean, accuracy: 1e-5)
                }
            }
        }
    }

    func testANonIntegerDownscaleWeighsPartlyCoveredPixelsAndKeepsTheMean() {
        // 3 → 2: output 0 covers pixel 0 and half of pixel 1, output 1 the other half and pixel 2.
        let weights = PlanarResize.weights(from: 3, to: 2)
        XCTAssertEqual(weights[0].map(\.0), [0, 1])
        XCTAssertEqual(weights[0][0].1, 2.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(weights[0][1].1, 1.0 / 3.0, accuracy: 1e-6)
        let row = (0..<(97 * 5)).map { Float(sin(Double($0) * 0.7)) }
        let out = PlanarResize.resize(row, channels: 1, height: 5, width: 97, to: 3, 31)
        XCTAssertEqual(out.reduce(0, +) / Float(out.count), row.reduce(0, +) / Float(row.count), accuracy: 1e-4)
    }

    func testUpscalingInterpolatesBetweenPixelCentres() {
        // 2 → 4 with half-pixel centres: 1, 1.25·1 + … = [a, ¾a+¼b, ¼a+¾b, b].
        let out = PlanarResize.resize([0, 4], channels: 1, height: 1, width: 2, to: 1, 4)
        XCTAssertEqual(out, [0, 1, 3, 4])
    }
}
