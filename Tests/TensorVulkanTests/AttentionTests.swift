import Tensor
import TensorVulkan
import XCTest

/// Softmax, RoPE and tiled attention against full-softmax Double references.
final class AttentionTests: VulkanTestCase {
    func testAttentionMatchesFullSoftmaxForOddSizesAndGroupedHeads() throws {
        for backend in try styleBackends() { try attentionMatchesFullSoftmaxForOddSizesAndGroupedHeads(backend) }
    }

    private func attentionMatchesFullSoftmaxForOddSizesAndGroupedHeads(_ backend: VulkanBackend) throws {
        var random = SeededRandom(6)
        // Lq and Lk not multiples of the 64-query block or the key tile; 4 query heads on 2 kv heads.
        let (lq, lk, heads, kvHeads, d, dv) = (77, 53, 4, 2, 24, 16)
        let q = random.floats(lq * heads * d, -2, 2)
        let k = random.floats(lk * kvHeads * d, -2, 2)
        let v = random.floats(lk * kvHeads * dv)
        let scale = 1 / Float(d).squareRoot()
        let y = try backend.attention(
            q: try backend.upload(q, shape: [lq, heads, d], dtype: .f32),
            k: try backend.upload(k, shape: [lk, kvHeads, d], dtype: .f32),
            v: try backend.upload(v, shape: [lk, kvHeads, dv], dtype: .f32), scale: scale)
        XCTAssertEqual(y.shape, [lq, heads, dv])
        let expected = Reference.attention(
            q, k, v, lq: lq, lk: lk, heads: heads, kvHeads: kvHeads, d: d, dv: dv, scale: scale)
        assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-4)
    }

    func testBatchedAttentionWithWanHeadDimTreatsEachItemAlone() throws {
        for backend in try styleBackends() { try batchedAttentionWithWanHeadDimTreatsEachItemAlone(backend) }
    }

    private func batchedAttentionWithWanHeadDimTreatsEachItemAlone(_ backend: VulkanBackend) throws {
        var random = SeededRandom(7)
        let (b, l, heads, d) = (2, 40, 2, 128)
        let q = random.floats(b * l * heads * d)
        let k = random.floats(b * l * heads * d)
        let v = random.floats(b * l * heads * d)
        let scale = 1 / Float(d).squareRoot()
        let y = try backend.attention(
            q: try backend.upload(q, shape: [b, l, heads, d], dtype: .f32),
            k: try backend.upload(k, shape: [b, l, heads, d], dtype: .f32),
            v: try backend.upload(v, shape: [b, l, heads, d], dtype: .f32), scale: scale)
        let per = l * heads * d
        var expected: [Float] = []
        for i in 0..<b {
            let range = (i * per)..<((i + 1) * per)
            expected += Reference.attention(
                Array(q[range]), Array(k[range]), Array(v[range]), lq: l, lk: l, heads: heads, kvHeads: heads, d: d,
                dv: d, scale: scale)
        }
        assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-4)
    }

    func testHeadDimsNotMultipleOfFourUseTheDirectShaderCorrectly() throws {
        for backend in try styleBackends() {
            var random = SeededRandom(21)
            let (lq, lk, heads, d, dv) = (9, 13, 2, 10, 6)
            let q = random.floats(lq * heads * d)
            let k = random.floats(lk * heads * d)
            let v = random.floats(lk * heads * dv)
            let y = try backend.attention(
                q: try backend.upload(q, shape: [lq, heads, d], dtype: .f32),
                k: try backend.upload(k, shape: [lk, heads, d], dtype: .f32),
                v: try backend.upload(v, shape: [lk, heads, dv], dtype: .f32), scale: 0.3)
            let expected = Reference.attention(
                q, k, v, lq: lq, lk: lk, heads: heads, kvHeads: heads, d: d, dv: dv, scale: 0.3)
            assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-4, "\(backend.kernelStyle)")
        }
    }

    func testSoftmaxRowsSumToOneAndMatchReference() throws {
        let backend = try vulkan()
        var random = SeededRandom(8)
        let (rows, n) = (5, 301)
        let x = random.floats(rows * n, -20, 20)
        let y = try backend.download(try backend.softmax(try backend.upload(x, shape: [rows, n], dtype: .f32)))
        var expected = [Float]()
        for r in 0..<rows {
            let row = x[(r * n)..<(r * n + n)].map(Double.init)
            let top = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            expected += e.map { Float($0 / total) }
        }
        assertClose(y, expected, atol: 1e-7, rtol: 1e-4)
    }

    func testRopeMatchesReferenceForBothPairingsWithWan3DTable() throws {
        let backend = try vulkan()
        var random = SeededRandom(9)
        let table = try RoPETable.wan3D(frames: 2, height: 3, width: 5, headDim: 24)
        let (l, h, d) = (30, 3, 24)
        let x = random.floats(l * h * d)
        let (cos, sin) = try table.upload(on: backend)
        let xt = try backend.upload(x, shape: [1, l, h, d], dtype: .f32)
        for pairing in RoPEPairing.allCases {
            let y = try backend.rope(xt, cos: cos, sin: sin, pairing: pairing)
            let expected = Reference.rope(
                x, l: l, h: h, d: d, cos: table.cos, sin: table.sin, halves: pairing == .halves)
            assertClose(try backend.download(y), expected, atol: 1e-6, rtol: 1e-5, "\(pairing)")
        }
    }

    func testAttentionRejectsIndivisibleHeads() throws {
        let backend = try vulkan()
        let q = try backend.zeros([4, 3, 8])
        let kv = try backend.zeros([4, 2, 8])
        XCTAssertThrowsError(try backend.attention(q: q, k: kv, v: kv, scale: 1)) { error in
            guard case TensorError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
    }
}

/// Attention at the real models' key lengths and head sizes (a few query rows and heads: the loop trip
/// counts that once made lavapipe return wrong numbers depend on the key length and head size only).
final class AttentionRealSizeTests: VulkanTestCase {
    private func check(lk: Int, d: Int, label: String) throws {
        for backend in try styleBackends() {
            var random = SeededRandom(UInt64(lk * 1000 + d))
            let (lq, heads) = (12, 2)
            let q = random.floats(lq * heads * d, -1, 1)
            let k = random.floats(lk * heads * d, -1, 1)
            let v = random.floats(lk * heads * d)
            let scale = 1 / Float(d).squareRoot()
            let y = try backend.attention(
                q: try backend.upload(q, shape: [lq, heads, d], dtype: .f32),
                k: try backend.upload(k, shape: [lk, heads, d], dtype: .f32),
                v: try backend.upload(v, shape: [lk, heads, d], dtype: .f32), scale: scale)
            let expected = Reference.attention(
                q, k, v, lq: lq, lk: lk, heads: heads, kvHeads: heads, d: d, dv: d, scale: scale)
            assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-3, "\(label) (\(backend.kernelStyle))")
        }
    }

    func testWanFrameTokensHeadSize128() throws { try check(lk: 1560, d: 128, label: "Wan 480p frame, 1560 keys × 128") }
    func testWanTextRowsHeadSize128() throws { try check(lk: 512, d: 128, label: "text cross-attention, 512 × 128") }
    func testWhisperPositionsHeadSize64() throws { try check(lk: 1500, d: 64, label: "Whisper, 1500 × 64") }
    func testVAEAttentionOneHeadOf384() throws { try check(lk: 576, d: 384, label: "Wan VAE block, 576 pixels × 384") }
    func testLongSequenceSplitsIntoManyKeyChunks() throws { try check(lk: 6240, d: 128, label: "6240 keys × 128") }
}
