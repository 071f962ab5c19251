import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class ViewTests: CPUTestCase {
    func testPermuteThenContiguousIsExact() throws {
        let h = HostTensor.random([2, 3, 5, 7], seed: 1)
        let x = try upload(h)
        for axes in [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3], [1, 3, 0, 2], [2, 0, 3, 1]] {
            let y = try backend.contiguous(try x.permuted(axes))
            XCTAssertTrue(y.isContiguous)
            XCTAssertEqual(try backend.download(y), Reference.permute(h, axes).values, "axes \(axes)")
        }
    }

    func testPatchifyByReshapeAndPermuteMatchesIndexFormula() throws {
        // Wan patchify of [C, F, H, W] with patch (1, 2, 2): token (f, h, w), features (p, q, c).
        let (c, f, hh, ww) = (3, 2, 4, 6)
        let h = HostTensor.random([c, f, hh, ww], seed: 2)
        let x = try upload(h)
        let v = try x.reshaped([c, f, hh / 2, 2, ww / 2, 2]).permuted([1, 2, 4, 3, 5, 0])
        let tokens = try backend.reshape(v, [f * hh / 2 * ww / 2, 4 * c])
        let got = try backend.download(tokens)
        for fi in 0..<f {
            for hi in 0..<(hh / 2) {
                for wi in 0..<(ww / 2) {
                    for q in 0..<2 {
                        for r in 0..<2 {
                            for ci in 0..<c {
                                let token = (fi * (hh / 2) + hi) * (ww / 2) + wi
                                let feature = (q * 2 + r) * c + ci
                                XCTAssertEqual(got[token * 4 * c + feature], h[ci, fi, 2 * hi + q, 2 * wi + r])
                            }
                        }
                    }
                }
            }
        }
    }

    func testNarrowSelectStridedAndExpandShareStorage() throws {
        let h = HostTensor.random([4, 6], seed: 3)
        let x = try upload(h)
        let n = try x.narrowed(axis: 1, start: 2, length: 3)
        XCTAssertEqual(try backend.download(n), (0..<4).flatMap { r in (2..<5).map { h[r, $0] } })
        XCTAssertEqual(try backend.download(try x.selected(axis: 0, index: 2)), (0..<6).map { h[2, $0] })
        XCTAssertEqual(
            try backend.download(try x.strided(axis: 1, start: 1, step: 2, count: 3)),
            (0..<4).flatMap { r in [1, 3, 5].map { h[r, $0] } })
        let row = try x.selected(axis: 0, index: 1).unsqueezed(0).expanded(to: [3, 6])
        XCTAssertEqual(row.strides, [0, 1])
        XCTAssertEqual(try backend.download(row), Array(repeating: (0..<6).map { h[1, $0] }, count: 3).flatMap { $0 })
        XCTAssertTrue(n.storage === x.storage)
    }

    func testReshapeOfPermutedViewThrowsButBackendReshapeCopies() throws {
        let h = HostTensor.random([3, 4], seed: 4)
        let t = try upload(h).transposed(0, 1)
        XCTAssertThrowsError(try t.reshaped([12])) { error in
            guard case TensorError.notAView = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try backend.download(try backend.reshape(t, [12])), Reference.permute(h, [1, 0]).values)
        // A view-compatible reshape of a non-contiguous tensor: merging axes laid out together.
        let wide = try upload(HostTensor.random([2, 3, 8], seed: 5)).narrowed(axis: 2, start: 0, length: 4)
        XCTAssertNoThrow(try wide.reshaped([2, 3, 2, 2]))
        XCTAssertEqual(try wide.reshaped([-1, 4]).shape, [6, 4])
    }

    func testBadViewsThrowInsteadOfTrapping() throws {
        let x = try upload(HostTensor.random([2, 3], seed: 6))
        XCTAssertThrowsError(try x.reshaped([4]))
        XCTAssertThrowsError(try x.permuted([0, 0]))
        XCTAssertThrowsError(try x.narrowed(axis: 1, start: 2, length: 2))
        XCTAssertThrowsError(try x.selected(axis: 2, index: 0))
        XCTAssertThrowsError(try x.expanded(to: [2, 4]))
        XCTAssertThrowsError(try x.split(axis: 1, sizes: [1, 1]))
        XCTAssertThrowsError(try backend.upload([1, 2, 3], shape: [2, 2], dtype: .f32))
        XCTAssertThrowsError(try Tensor(storage: x.storage, dtype: .f32, shape: [7], strides: [1]))
        // Absurd sizes are errors, not arithmetic-overflow traps.
        XCTAssertThrowsError(try backend.upload([1], shape: [Int.max, 4], dtype: .f32))
        XCTAssertThrowsError(try backend.zeros([1 << 40, 1 << 40]))
        XCTAssertThrowsError(try Tensor(storage: x.storage, dtype: .f32, shape: [2, 2], strides: [Int.max / 2, 1]))
        XCTAssertThrowsError(try backend.pad(x, padding: [AxisPadding(0, 0), AxisPadding(0, Int.max)], mode: .constant(0)))
        XCTAssertThrowsError(try x.reshaped([Int.max, -1]))
    }

    func testHalfStorageRoundTripsThroughUploadAndDownload() throws {
        let h = HostTensor.random([5, 3], seed: 8)
        for dt in [DType.f16, .bf16] {
            let x = try upload(h, dt)
            XCTAssertEqual(try backend.download(x), HalfConversion.roundTrip(h.values, through: dt))
            XCTAssertEqual(try backend.downloadBytes(x), HalfConversion.encode(h.values, as: dt))
            let back = try backend.cast(try x.transposed(0, 1), to: .f32)
            XCTAssertEqual(
                try backend.download(back),
                Reference.permute(HostTensor(h.shape, HalfConversion.roundTrip(h.values, through: dt)), [1, 0]).values)
        }
    }
}

final class PatchTests: CPUTestCase {
    func testUnpatchifyFollowsWanHeadLayoutAndInvertsPatchify() throws {
        let (c, grid) = (3, (f: 2, h: 2, w: 3))
        let tokens = HostTensor.random([grid.f * grid.h * grid.w, 4 * c], seed: 800)
        let latent = try backend.unpatchify(try upload(tokens), grid: grid, patch: (1, 2, 2))
        XCTAssertEqual(latent.shape, [c, 2, 4, 6])
        let got = try backend.download(latent)
        let out = HostTensor(latent.shape, got)
        for f in 0..<2 {
            for h in 0..<2 {
                for w in 0..<3 {
                    for q in 0..<2 {
                        for r in 0..<2 {
                            for ch in 0..<c {
                                let token = (f * 2 + h) * 3 + w
                                XCTAssertEqual(out[ch, f, 2 * h + q, 2 * w + r], tokens[token, (q * 2 + r) * c + ch])
                            }
                        }
                    }
                }
            }
        }
        let back = try backend.patchify(latent, patch: (1, 2, 2))
        XCTAssertEqual(try backend.download(back), tokens.values)
        XCTAssertThrowsError(try backend.patchify(latent, patch: (1, 3, 2)))
    }
}
