// Window plans cover every frame of a clip with 4k+1-frame windows whose overlaps blend seamlessly.
import Pipeline
import XCTest

final class WindowPlanTests: XCTestCase {
    func testWindowsCoverTheClipWithTheRequestedOverlap() {
        for count in [1, 2, 5, 9, 10, 20, 97, 98, 200, 301] {
            for (length, overlap) in [(97, 16), (9, 4), (17, 0), (5, 4), (33, 8)] {
                let plan = WindowPlan(frames: 100...(99 + count), length: length, overlap: overlap)
                let label = "count \(count) length \(length) overlap \(overlap)"
                XCTAssertEqual((plan.length - 1) % 4, 0, label)
                XCTAssertLessThanOrEqual(plan.length, max(count, 1), label)
                XCTAssertEqual(plan.windows.first?.lowerBound, 100, label)
                XCTAssertEqual(plan.windows.last?.upperBound, 99 + count, label)
                for w in plan.windows { XCTAssertEqual(w.count, plan.length, label) }
                for (a, b) in zip(plan.windows, plan.windows.dropFirst()) {
                    XCTAssertLessThan(a.lowerBound, b.lowerBound, label)
                    XCTAssertGreaterThanOrEqual(a.upperBound - b.lowerBound + 1, plan.overlap, label)
                }
                for f in plan.frames {
                    let ws = plan.windows(containing: f)
                    XCTAssertFalse(ws.isEmpty, "\(label): frame \(f) uncovered")
                    let sum = ws.reduce(0) { $0 + plan.blendWeight(window: $1, frame: f) }
                    XCTAssertEqual(sum, 1, accuracy: 1e-12, "\(label): frame \(f)")
                }
            }
        }
    }

    func testDefaultHuMoWindowsOverALongClip() {
        let plan = WindowPlan(frames: 0...299, length: 97, overlap: 16)
        XCTAssertEqual(plan.windows, [0...96, 68...164, 135...231, 203...299])
        XCTAssertEqual(plan.framesNeeded(for: 70), 0...164)
        XCTAssertEqual(plan.framesNeeded(for: 10), 0...96)
        // A frame in one window only takes that window's result.
        XCTAssertEqual(plan.blendWeight(window: 0, frame: 10), 1)
        XCTAssertEqual(plan.blendWeight(window: 1, frame: 10), 0)
        // Across an overlap the weight moves monotonically from one window to the next.
        let weights = (68...96).map { plan.blendWeight(window: 1, frame: $0) }
        XCTAssertEqual(weights, weights.sorted())
        XCTAssertGreaterThan(weights.first!, 0)
        XCTAssertLessThan(weights.first!, 0.1)
    }

    func testLengthIsRoundedDownToFourKPlusOneAndClampedToTheClip() {
        XCTAssertEqual(WindowPlan(frames: 0...99, length: 100, overlap: 8).length, 97)
        XCTAssertEqual(WindowPlan(frames: 0...10, length: 97, overlap: 8).length, 9)
        XCTAssertEqual(WindowPlan(frames: 0...10, length: 97, overlap: 8).windows, [0...8, 1...9, 2...10])
        XCTAssertEqual(WindowPlan(frames: 5...5, length: 97, overlap: 8).windows, [5...5])
        XCTAssertEqual(WindowPlan(frames: 0...20, length: 9, overlap: 100).overlap, 8)
    }
}
