// Spatial tiling: the plan covers the frame, blends are a partition of unity, a local map is
// reproduced exactly through tiles, and a single tile is the untiled VAE.
import Foundation
import Tensor
import XCTest

@testable import Models

final class WanVAETilingTests: XCTestCase {
    func testTilesCoverTheAxisAndOverlapByAtLeastTheOverlap() throws {
        let tiling = try VAETiling(tile: 32, overlap: 8)
        XCTAssertEqual(tiling.ranges(20), [0..<20])
        XCTAssertEqual(tiling.ranges(32), [0..<32])
        XCTAssertEqual(tiling.ranges(60), [0..<32, 24..<56, 28..<60])
        XCTAssertEqual(tiling.ranges(104), [0..<32, 24..<56, 48..<80, 72..<104])
        for n in 1...130 {
            let r = tiling.ranges(n)
            XCTAssertEqual(r.first?.lowerBound, 0)
            XCTAssertEqual(r.last?.upperBound, n)
            for (a, b) in zip(r, r.dropFirst()) {
                XCTAssertGreaterThanOrEqual(a.upperBound - b.lowerBound, 8, "n \(n)")
            }
        }
        XCTAssertThrowsError(try VAETiling(tile: 8, overlap: 8))
        XCTAssertThrowsError(try VAETiling(tile: 0, overlap: 0))
    }

    /// With equal overlaps the linear ramps of neighbours add up to exactly 1 at every position.
    func testBlendWeightsOfARegularPlanSumToOne() throws {
        let r = try VAETiling(tile: 4, overlap: 2).ranges(10)
        XCTAssertEqual(r, [0..<4, 2..<6, 4..<8, 6..<10])
        var total = [Float](repeating: 0, count: 80)
        for i in r.indices {
            for (p, w) in VAETiling.weights(r, i, scale: 8).enumerated() {
                XCTAssertGreaterThan(w, 0)
                total[r[i].lowerBound * 8 + p] += w
            }
        }
        for t in total { XCTAssertEqual(t, 1, accuracy: 1e-6) }
    }

    /// A map that only looks at its own cell (nearest ×8 upsampling, then a per-channel scale) gives
    /// the same result through any tiling as on the whole frame: placement and blending are exact.
    func testLocalMapThroughTilesEqualsTheWholeFrame() throws {
        let backend = try GoldenBackends.cpuBackend()
        var rng = SystemRandomNumberGenerator()
        let shape = [1, 2, 3, 11, 7]
        let x = try backend.upload(
            (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) },
            shape: shape, dtype: .f32)
        let scale = try backend.upload([2, -3], shape: [1, 2, 1, 1, 1], dtype: .f32)
        func local(_ t: Tensor) throws -> Tensor {
            let up = try backend.resize(
                try backend.resize(t, axis: 3, size: t.shape[3] * 8, mode: .nearest), axis: 4, size: t.shape[4] * 8,
                mode: .nearest)
            return try backend.mul(up, scale)
        }
        let whole = try backend.download(local(x))
        for (tile, overlap) in [(3, 1), (4, 2), (5, 0), (2, 1)] {
            let tiled = try VAETiling(tile: tile, overlap: overlap).run(x, inScale: 1, outScale: 8, on: backend) {
                piece, _ in try local(piece)
            }
            XCTAssertEqual(tiled.shape, [1, 2, 3, 88, 56])
            assertMatchesGolden(try backend.download(tiled), whole, tolerance: 1e-6, "tile \(tile) overlap \(overlap)")
        }
    }

    func testOneTileIsTheUntiledVAE() throws {
        let backend = try GoldenBackends.cpuBackend()
        let g = try WanVAEGoldenTests.golden(on: backend)
        let latent = try g.file.tensor("outputs/latent_normalized", on: backend)
        let tiling = try VAETiling(tile: 4, overlap: 1)
        XCTAssertEqual(
            try backend.download(g.vae.decodeTiled(latent, tiling: tiling, on: backend)),
            try backend.download(g.vae.decode(latent, on: backend)))
        let video = try g.file.tensor("inputs/video", on: backend)
        XCTAssertEqual(
            try backend.download(g.vae.encodeTiled(video, tiling: tiling, on: backend)),
            try backend.download(g.vae.encode(video, on: backend)))
    }

    /// Progress counts every chunk of every tile once, in order; throwing from it aborts the pass.
    func testProgressCountsChunksOverTilesAndCanAbort() throws {
        let backend = try GoldenBackends.cpuBackend()
        let g = try WanVAEGoldenTests.golden(on: backend)
        let latent = try g.file.tensor("outputs/latent_normalized", on: backend)
        var calls: [[Int]] = []
        _ = try g.vae.decodeTiled(latent, tiling: try VAETiling(tile: 3, overlap: 1), on: backend) {
            calls.append([$0, $1])
        }
        // 4×4 latent cells in tiles of 3 → 2×2 tiles; 3 latent frames → 3 chunks each.
        XCTAssertEqual(calls, (1...12).map { [$0, 12] })
        var encodeCalls: [[Int]] = []
        _ = try g.vae.encode(try g.file.tensor("inputs/video", on: backend), on: backend) {
            encodeCalls.append([$0, $1])
        }
        XCTAssertEqual(encodeCalls, [[1, 3], [2, 3], [3, 3]])
        struct Abort: Error {}
        XCTAssertThrowsError(
            try g.vae.decode(latent, on: backend) { done, _ in if done == 2 { throw Abort() } }
        ) { XCTAssertTrue($0 is Abort) }
    }
}
