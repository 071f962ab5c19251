import Foundation
import XCTest

@testable import Sampler

final class NoiseTests: XCTestCase {
    /// Random123 `tests/kat_vectors`, the three "philox4x32 10" lines: counter, key → output.
    func testPhiloxMatchesRandom123KnownAnswers() {
        let cases: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
            (SIMD4(0, 0, 0, 0), SIMD2(0, 0), SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
            (
                SIMD4(0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), SIMD2(0xffff_ffff, 0xffff_ffff),
                SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)
            ),
            (
                SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
                SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)
            ),
        ]
        for (counter, key, expected) in cases {
            XCTAssertEqual(Philox4x32.block(counter: counter, key: key), expected)
        }
    }

    /// Element j is Box–Muller of Philox block (j/4, step, window, stream<<24 | tag), recomputed naively.
    func testNoiseElementsFollowTheDocumentedCounterLayout() throws {
        let key = NoiseKey(seed: 0x1234_5678_9abc_def0, window: 3, step: 7, stream: .editMixing, part: "video")
        let values = try GaussianNoise.values(count: 10, key: key)
        let tag = GaussianNoise.partTag("video")
        for j in 0..<10 {
            let w = Philox4x32.block(
                counter: SIMD4(UInt32(j / 4), 7, 3, UInt32(NoiseStream.editMixing.rawValue) << 24 | tag),
                key: SIMD2(0x9abc_def0, 0x1234_5678))
            let words = [w.x, w.y, w.z, w.w]
            let pair = (j % 4) / 2
            let u1 = (Double(words[2 * pair]) + 1) / 4_294_967_296
            let u2 = Double(words[2 * pair + 1]) / 4_294_967_296
            let r = (-2 * log(u1)).squareRoot()
            let expected = j % 2 == 0 ? r * cos(2 * .pi * u2) : r * sin(2 * .pi * u2)
            // Our libm-free ln/sincos may differ from Foundation's in the last Double bits, so the Float
            // result may differ by one ulp in rare ties.
            XCTAssertEqual(values[j], Float(expected), accuracy: Float(expected).ulp, "element \(j)")
        }
    }

    /// The 4-blocks-at-a-time path is bit-identical to the scalar definition, for every quadrant and
    /// exponent the random words reach and for edge counters.
    func testWidePathIsBitIdenticalToScalarBlocks() {
        var rng = TestRandom(state: 17)
        for trial in 0..<4000 {
            let first = trial < 2 ? [UInt32(0), UInt32.max - 3][trial] : UInt32(truncatingIfNeeded: rng.next())
            let (w1, w2, w3) = (
                UInt32(truncatingIfNeeded: rng.next()), UInt32(truncatingIfNeeded: rng.next()),
                UInt32(truncatingIfNeeded: rng.next())
            )
            let key = SIMD2<UInt32>(UInt32(truncatingIfNeeded: rng.next()), UInt32(truncatingIfNeeded: rng.next()))
            let (a, b, c, d) = GaussianNoise.sixteenNormals(
                firstBlock: first, word1: w1, word2: w2, word3: w3, key: key)
            for (offset, wide) in [a, b, c, d].enumerated() {
                let scalar = GaussianNoise.boxMuller(
                    Philox4x32.block(counter: SIMD4(first &+ UInt32(offset), w1, w2, w3), key: key))
                for lane in 0..<4 {
                    XCTAssertEqual(wide[lane].bitPattern, scalar[lane].bitPattern, "trial \(trial) block \(offset)")
                }
            }
        }
    }

    /// The polynomial `ln` and `sincos` against Foundation, over the whole 32-bit input range and its ends.
    func testLibmFreeTranscendentalsMatchFoundation() {
        var rng = TestRandom(state: 3)
        let edges: [UInt32] = [
            0, 1, 2, 3, 0x3FFF_FFFF, 0x4000_0000, 0x7FFF_FFFF, 0x8000_0000, 0xBFFF_FFFF, 0xC000_0000,
            0xFFFF_FFFE, 0xFFFF_FFFF,
        ]
        let words = edges + (0..<20_000).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        for w in words {
            let u1 = (Double(w) + 1) / 4_294_967_296
            let ln = GaussianNoise.logUniform(w)
            XCTAssertEqual(ln, log(u1), accuracy: 4e-16 * max(1, abs(log(u1))), "ln at \(w)")
            let angle = 2 * Double.pi * (Double(w) / 4_294_967_296)
            let (c, s) = GaussianNoise.cosSinTurn(w)
            XCTAssertEqual(c, cos(angle), accuracy: 2e-15, "cos at \(w)")
            XCTAssertEqual(s, sin(angle), accuracy: 2e-15, "sin at \(w)")
        }
    }

    func testFNV1aTagOfKnownString() {
        // FNV-1a-32("a") = 0xe40c292c; the tag keeps its low 24 bits.
        XCTAssertEqual(GaussianNoise.partTag("a"), 0x0c_292c)
    }

    func testAnyNoiseTensorRegeneratesInIsolationAndAnyOrder() throws {
        let key = NoiseKey(seed: 42, window: 1, step: 9, stream: .flowEditStep, part: "audio")
        // Larger than one chunk, so the parallel path runs; a prefix must equal a smaller request.
        let big = try GaussianNoise.values(count: 3 * Kernels.chunkSize + 5, key: key)
        let other = try GaussianNoise.values(
            count: 1000, key: NoiseKey(seed: 1, window: 0, step: 0, stream: .editMixing, part: "video"))
        let small = try GaussianNoise.values(count: 13, key: key)
        XCTAssertEqual(Array(big.prefix(13)), small)
        XCTAssertEqual(try GaussianNoise.values(count: 3 * Kernels.chunkSize + 5, key: key), big)
        XCTAssertNotEqual(Array(other.prefix(13)), small)
    }

    func testNoiseIsStandardNormal() throws {
        let n = 200_000
        let v = try GaussianNoise.values(
            count: n, key: NoiseKey(seed: 5, window: 0, step: 0, stream: .editMixing, part: "video"))
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n)
        let fourth = v.reduce(0.0) { $0 + pow(Double($1) - mean, 4) } / Double(n)
        // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, kurtosis ≈ 0.011; 5σ bounds.
        XCTAssertEqual(mean, 0, accuracy: 0.012)
        XCTAssertEqual(variance, 1, accuracy: 0.016)
        XCTAssertEqual(fourth / (variance * variance), 3, accuracy: 0.06)
        XCTAssertTrue(v.allSatisfy { $0.isFinite })
    }

    func testEveryKeyFieldChangesTheNoise() throws {
        let base = NoiseKey(seed: 7, window: 2, step: 3, stream: .editMixing, part: "video")
        let reference = try GaussianNoise.values(count: 64, key: base)
        var variants: [NoiseKey] = []
        var k = base
        k.seed = 8
        variants.append(k)
        k = base
        k.seed = 7 | (1 << 40)
        variants.append(k)
        k = base
        k.window = 4
        variants.append(k)
        k = base
        k.step = 4
        variants.append(k)
        k = base
        k.stream = .flowEditStep
        variants.append(k)
        k = base
        k.part = "audio"
        variants.append(k)
        for key in variants {
            let other = try GaussianNoise.values(count: 64, key: key)
            let same = zip(reference, other).filter { $0 == $1 }.count
            XCTAssertLessThan(same, 2, "\(key) should give different noise")
        }
    }

    func testOversizedOrNegativeStepNoiseThrows() {
        let key = NoiseKey(seed: 0, window: 0, step: -1, stream: .editMixing, part: "video")
        XCTAssertThrowsError(try GaussianNoise.values(count: 4, key: key))
        XCTAssertThrowsError(
            try GaussianNoise.values(
                count: -1, key: NoiseKey(seed: 0, window: 0, step: 0, stream: .editMixing, part: "v")))
    }
}
