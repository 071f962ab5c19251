import XCTest

@testable import Sampler

final class StepGridTests: XCTestCase {
    func testHumoGridMatchesSpecCheckValues() throws {
        let s = try StepGrid.humoDefault.sigmas()
        XCTAssertEqual(s.count, 21)
        // Spec §2 check values.
        for (i, expected) in [(0, 1.0), (6, 0.92105), (16, 0.55556), (19, 0.20833), (20, 0.0)] {
            XCTAssertEqual(s[i], expected, accuracy: 1e-5, "σ_\(i)")
        }
    }

    func testLTX2GridMatchesSpecCheckValues() throws {
        let s = try StepGrid.ltx2Default.sigmas()
        XCTAssertEqual(s.count, 41)
        for (i, expected) in [(12, 0.94357), (39, 0.1), (40, 0.0)] {
            XCTAssertEqual(s[i], expected, accuracy: 1e-5, "σ_\(i)")
        }
        XCTAssertEqual(s[0], 1, accuracy: 1e-12)
    }

    func testGridsDecreaseStrictlyFromOneToZero() throws {
        for grid in [
            StepGrid.humoDefault, .ltx2Default, .shifted(steps: 7, shift: 1), .ltx2(steps: 2, mu: 0.5, terminal: 0.3),
        ] {
            let s = try grid.sigmas()
            XCTAssertEqual(s.count, grid.steps + 1)
            XCTAssertEqual(s.first!, 1, accuracy: 1e-12, "\(grid)")
            XCTAssertEqual(s.last, 0, "\(grid)")
            for i in 1..<s.count { XCTAssertLessThan(s[i], s[i - 1], "\(grid) at \(i)") }
        }
    }

    func testShiftOneIsTheLinearGrid() throws {
        let s = try StepGrid.shifted(steps: 4, shift: 1).sigmas()
        XCTAssertEqual(s, [1, 0.75, 0.5, 0.25, 0])
    }

    func testInvalidGridsThrowNamingTheParameter() {
        let bad: [(StepGrid, String)] = [
            (.shifted(steps: 0, shift: 5), "steps"), (.shifted(steps: 20, shift: 0), "shift"),
            (.shifted(steps: 20, shift: .nan), "shift"), (.ltx2(steps: 1, mu: 2.05, terminal: 0.1), "steps"),
            (.ltx2(steps: 40, mu: .infinity, terminal: 0.1), "mu"),
            (.ltx2(steps: 40, mu: 2.05, terminal: 1), "terminal"),
        ]
        for (grid, word) in bad {
            XCTAssertThrowsError(try grid.sigmas(), "\(grid)") { error in
                XCTAssertTrue("\(error)".contains(word), "\(error) should name \(word)")
            }
        }
    }
}
