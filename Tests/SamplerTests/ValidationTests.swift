import Foundation
import XCTest

@testable import Sampler

/// Bad input gives an error naming what is wrong, never a trap.
final class ValidationTests: XCTestCase {
    let scenario = Scenario.make()

    func assertThrows(_ expression: @autoclosure () throws -> some Any, mentioning word: String, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), line: line) { error in
            XCTAssertTrue("\(error)".contains(word), "\(error) should mention \(word)", line: line)
        }
    }

    func testInvalidLatentsAreRejected() {
        assertThrows(try LatentPart(name: "video", shape: [2, 3], values: [1, 2, 3]), mentioning: "6 elements")
        assertThrows(try LatentPart(name: "video", shape: [0, 3], values: []), mentioning: "> 0")
        assertThrows(try LatentPart(name: "video", shape: [], values: []), mentioning: "> 0")
        assertThrows(try LatentPart(name: "", shape: [1], values: [1]), mentioning: "empty name")
        assertThrows(try LatentPart(name: "v", shape: [Int.max, 4], values: [1]), mentioning: "overflows")
        assertThrows(try Latent(parts: []), mentioning: "at least one")
        let p = try! LatentPart(name: "video", shape: [1], values: [1])
        assertThrows(try Latent(parts: [p, p]), mentioning: "'video'")
    }

    func testInvalidConfigurationsAreRejected() {
        let inputs = makeInputs(scenario.source)
        let bad: [(SamplerConfiguration, String)] = [
            (SamplerConfiguration(start: 20), "start 20"), (SamplerConfiguration(start: -1), "start -1"),
            (SamplerConfiguration(end: -1), "end -1"), (SamplerConfiguration(cfg: .nan), "cfg"),
            (SamplerConfiguration(grid: .shifted(steps: 0, shift: 5), start: 0), "steps"),
        ]
        for (config, word) in bad {
            assertThrows(try EditSampler(configuration: config, inputs: inputs), mentioning: word)
        }
    }

    func testNonFiniteSourceIsRejected() throws {
        var values = flat(scenario.source)
        values[130] = .nan
        assertThrows(
            try EditSampler(configuration: .lipSync(), inputs: makeInputs(avLatent(values))), mentioning: "'audio'")
    }

    struct Scripted: VelocityModel {
        var answer: ([VelocityRequest]) -> [Latent]
        func velocities(for batch: [VelocityRequest]) throws -> [Latent] { answer(batch) }
    }

    func testModelsBreakingTheContractAreReported() throws {
        let sampler = try EditSampler(configuration: .lipSync(), inputs: makeInputs(scenario.source))
        let tooFew = Scripted { _ in [] }
        assertThrows(try sampler.run(model: tooFew), mentioning: "1 requests but 0 velocities")
        let wrongShape = Scripted { batch in
            batch.map { _ in try! Latent(shape: [200], values: Array(repeating: 0, count: 200)) }
        }
        assertThrows(try sampler.run(model: wrongShape), mentioning: "layout")
        let nan = Scripted { batch in
            batch.map { r in r.latent.mapParts { i in r.latent.parts[i].values.map { _ in Float.nan } } }
        }
        assertThrows(try sampler.run(model: nan), mentioning: "non-finite")
        // v = -X0 makes the estimated initial noise n = X0 + v exactly zero: it cannot be rescaled.
        let zero = Scripted { batch in
            batch.map { r in r.latent.mapParts { i in r.latent.parts[i].values.map { -$0 } } }
        }
        assertThrows(try sampler.run(model: zero), mentioning: "zero norm")
        // A target velocity that overflows only at the later (σ < 0.5) steps is caught at that step.
        let lateNaN = Scripted { batch in
            batch.map { r in
                r.latent.mapParts { i in
                    r.latent.parts[i].values.map { r.sigma < 0.5 && r.role == .target ? .infinity : 0.1 * $0 }
                }
            }
        }
        assertThrows(try sampler.run(model: lateNaN), mentioning: "non-finite")
    }

    func testBitIdentityDistinguishesSignedZero() throws {
        let a = try Latent(shape: [2], values: [0, 1])
        let b = try Latent(shape: [2], values: [-0.0, 1])
        XCTAssertEqual(a, b)
        XCTAssertFalse(a.isBitIdentical(to: b))
        XCTAssertTrue(a.isBitIdentical(to: a))
        XCTAssertFalse(a.isBitIdentical(to: try Latent(name: "audio", shape: [2], values: [0, 1])))
    }
}
