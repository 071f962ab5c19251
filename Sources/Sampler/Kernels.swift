import Foundation

/// Elementwise loops over f32 buffers, split into fixed-size chunks that run in parallel.
///
/// Latents hold millions of floats (2.6 M for `[16, 26, 60, 104]`), so every sampler operation is a fused pass
/// over raw buffers. The chunk size is a constant, never derived from the core count: reductions add
/// per-chunk partial sums in chunk order, so results are bit-identical on any machine and any run.
enum Kernels {
    /// Elements per chunk; a multiple of 4 so a chunk never splits a Philox block (see ``GaussianNoise``).
    static let chunkSize = 1 << 16

    /// Runs `body(range, chunkIndex)` over `0..<count` in chunks of ``chunkSize``, in parallel when there are
    /// several chunks.
    static func forChunks(_ count: Int, _ body: (Range<Int>, Int) -> Void) {
        let chunks = (count + chunkSize - 1) / chunkSize
        if chunks <= 1 {
            if count > 0 { body(0..<count, 0) }
            return
        }
        // Chunks touch disjoint ranges of the buffers the body captures, so running them concurrently is
        // race-free; the compiler cannot see that through raw pointers.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c * chunkSize..<min(count, (c + 1) * chunkSize), c)
        }
    }

    /// Allocates `count` floats and fills them with `fill(outputBase, range)` chunk by chunk.
    static func make(_ count: Int, _ fill: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            // count > 0 is a LatentPart invariant, so the base address exists.
            guard let base = buffer.baseAddress else {
                initialized = 0
                return
            }
            forChunks(count) { range, _ in fill(base, range) }
            initialized = count
        }
    }

    /// Σ xᵢ² accumulated in Double per chunk, chunk sums added in order (deterministic).
    static func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
        guard let p = x.baseAddress else { return 0 }
        let chunks = (x.count + chunkSize - 1) / chunkSize
        var partial = [Double](repeating: 0, count: max(chunks, 1))
        partial.withUnsafeMutableBufferPointer { sums in
            let s = sums.baseAddress!
            forChunks(x.count) { range, c in
                var acc: Double = 0
                for i in range {
                    let v = Double(p[i])
                    acc += v * v
                }
                s[c] = acc
            }
        }
        return partial.reduce(0, +)
    }

    /// `(Σ|xᵢ - yᵢ|, Σ|xᵢ|)` accumulated in Double per chunk, chunk sums added in order (deterministic):
    /// the relative L1 change of the step cache's clean estimates.
    static func l1Change(_ x: [Float], from y: [Float]) -> (change: Double, norm: Double) {
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return (0, 0) }
                let chunks = (xb.count + chunkSize - 1) / chunkSize
                var partial = [Double](repeating: 0, count: 2 * max(chunks, 1))
                partial.withUnsafeMutableBufferPointer { sums in
                    let s = sums.baseAddress!
                    forChunks(xb.count) { range, c in
                        var change: Double = 0
                        var norm: Double = 0
                        for i in range {
                            change += Double(abs(xp[i] - yp[i]))
                            norm += Double(abs(xp[i]))
                        }
                        s[2 * c] = change
                        s[2 * c + 1] = norm
                    }
                }
                var change: Double = 0
                var norm: Double = 0
                for c in 0..<max(chunks, 1) {
                    change += partial[2 * c]
                    norm += partial[2 * c + 1]
                }
                return (change, norm)
            }
        }
    }

    /// True when no element is NaN or ±∞.
    static func allFinite(_ x: UnsafeBufferPointer<Float>) -> Bool {
        guard let p = x.baseAddress else { return true }
        let chunks = (x.count + chunkSize - 1) / chunkSize
        var bad = [UInt8](repeating: 0, count: max(chunks, 1))
        bad.withUnsafeMutableBufferPointer { flags in
            let f = flags.baseAddress!
            forChunks(x.count) { range, c in
                // Exponent bits all ones ⇔ NaN or ∞; integer compare keeps the loop vectorisable.
                var any: UInt32 = 0
                for i in range { any |= (p[i].bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
                f[c] = any == 0 ? 0 : 1
            }
        }
        return !bad.contains(1)
    }

    /// `a·x + b·y`.
    static func axpby(_ a: Float, _ x: [Float], _ b: Float, _ y: [Float]) -> [Float] {
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                let xp = xb.baseAddress!
                let yp = yb.baseAddress!
                return make(xb.count) { o, r in for i in r { o[i] = a * xp[i] + b * yp[i] } }
            }
        }
    }

    /// `x + y - w` (the edit-sequence state `Zt = E + S - X0`, spec §5).
    static func addSub(_ x: [Float], _ y: [Float], _ w: [Float]) -> [Float] {
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                w.withUnsafeBufferPointer { wb in
                    let xp = xb.baseAddress!
                    let yp = yb.baseAddress!
                    let wp = wb.baseAddress!
                    return make(xb.count) { o, r in for i in r { o[i] = xp[i] + yp[i] - wp[i] } }
                }
            }
        }
    }

    /// `x + c·(y - z)`: guidance `vs + cfg·(vt - vs)`, and velocity differences applied to a state.
    static func addScaledDifference(_ x: [Float], _ c: Float, _ y: [Float], _ z: [Float]) -> [Float] {
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                z.withUnsafeBufferPointer { zb in
                    let xp = xb.baseAddress!
                    let yp = yb.baseAddress!
                    let zp = zb.baseAddress!
                    return make(xb.count) { o, r in for i in r { o[i] = xp[i] + c * (yp[i] - zp[i]) } }
                }
            }
        }
    }

    /// `z + d·(vs + c·(vt - vs))`: guidance and an Euler step fused (spec §4 plain phase).
    static func guidedEuler(_ z: [Float], _ d: Float, _ vs: [Float], _ vt: [Float], _ c: Float) -> [Float] {
        z.withUnsafeBufferPointer { zb in
            vs.withUnsafeBufferPointer { sb in
                vt.withUnsafeBufferPointer { tb in
                    let zp = zb.baseAddress!
                    let sp = sb.baseAddress!
                    let tp = tb.baseAddress!
                    return make(zb.count) { o, r in
                        for i in r {
                            let vp = sp[i] + c * (tp[i] - sp[i])
                            o[i] = zp[i] + d * vp
                        }
                    }
                }
            }
        }
    }

    /// Scales `x` in place by `c`.
    static func scale(_ x: inout [Float], _ c: Float) {
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            forChunks(xb.count) { r, _ in for i in r { xp[i] *= c } }
        }
    }

    /// In place: `eps ← (1-σ)·(S + (1-σ)·vq) + σ·eps`, the unnormalised mixed noise `n'` of spec §4
    /// (`n̂ = S + (1-σ)·vq`, `n' = (1-σ)·n̂ + σ·ε`). Returns `Σ n'²`.
    static func mixEstimatedNoise(into eps: inout [Float], s: [Float], vq: [Float], sigma: Float) -> Double {
        let keep = 1 - sigma
        eps.withUnsafeMutableBufferPointer { eb in
            s.withUnsafeBufferPointer { sb in
                vq.withUnsafeBufferPointer { vb in
                    let ep = eb.baseAddress!
                    let sp = sb.baseAddress!
                    let vp = vb.baseAddress!
                    forChunks(eb.count) { r, _ in
                        for i in r { ep[i] = keep * (sp[i] + keep * vp[i]) + sigma * ep[i] }
                    }
                }
            }
        }
        return eps.withUnsafeBufferPointer { sumOfSquares($0) }
    }

    /// The target-sequence edit update of spec §4, fused with the noise rescale:
    /// `n' ← k·n'`, then `Z' = Z + (σ'-σ)·(vp - vq) + (σ-σ')·X0 + σ'·n' - σ·n`.
    static func targetSequenceUpdate(
        z: [Float], x0: [Float], n: [Float], nNext: inout [Float], vp: [Float], vq: [Float],
        sigma: Double, sigmaNext: Double, noiseScale k: Float
    ) -> [Float] {
        let dv = Float(sigmaNext - sigma)
        let dx = Float(sigma - sigmaNext)
        let sn = Float(sigma)
        let snn = Float(sigmaNext)
        return nNext.withUnsafeMutableBufferPointer { nb in
            let np2 = nb.baseAddress!
            return z.withUnsafeBufferPointer { zb in
                x0.withUnsafeBufferPointer { xb in
                    n.withUnsafeBufferPointer { n1 in
                        vp.withUnsafeBufferPointer { pb in
                            vq.withUnsafeBufferPointer { qb in
                                let zp = zb.baseAddress!
                                let xp = xb.baseAddress!
                                let np = n1.baseAddress!
                                let pp = pb.baseAddress!
                                let qp = qb.baseAddress!
                                return make(zb.count) { o, r in
                                    for i in r {
                                        let fresh = k * np2[i]
                                        np2[i] = fresh
                                        o[i] = zp[i] + dv * (pp[i] - qp[i]) + dx * xp[i] + snn * fresh - sn * np[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
