/// Four Philox blocks (16 normals) at a time, lane-parallel.
///
/// Each lane performs exactly the IEEE operations of the scalar ``GaussianNoise/boxMuller(_:)`` in the same
/// order, so the results are bit-identical to it (tested); only the speed differs.
extension GaussianNoise {
    /// Normals `16·g ..< 16·g + 16` of a tensor: blocks `first ..< first + 4` with counter words 1-3 fixed.
    /// Returns them in element order as four `SIMD4` (block 0's four normals first).
    @inline(__always)
    static func sixteenNormals(
        firstBlock first: UInt32, word1: UInt32, word2: UInt32, word3: UInt32, key: SIMD2<UInt32>
    ) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let (x, y, z, w) = Philox4x32.fourBlocks(
            word0: SIMD4(repeating: first) &+ SIMD4(0, 1, 2, 3), word1: word1, word2: word2, word3: word3, key: key)
        let r0 = (-2 * logUniform(x)).squareRoot()
        let r1 = (-2 * logUniform(z)).squareRoot()
        let (c0, s0) = cosSinTurn(y)
        let (c1, s1) = cosSinTurn(w)
        let a = SIMD4<Float>(r0 * c0)
        let b = SIMD4<Float>(r0 * s0)
        let c = SIMD4<Float>(r1 * c1)
        let d = SIMD4<Float>(r1 * s1)
        return (
            SIMD4(a[0], b[0], c[0], d[0]), SIMD4(a[1], b[1], c[1], d[1]),
            SIMD4(a[2], b[2], c[2], d[2]), SIMD4(a[3], b[3], c[3], d[3])
        )
    }

    /// `ln u₁` per lane for `u₁ = (w + 1)·2⁻³²`: write `k = w + 1 = 2^e·m` with `m ∈ [√½, √2)`, then
    /// `ln u₁ = (e - 32)·ln 2 + ln m`, `ln m = 2·atanh(t) = 2·(t + t³/3 + … + t¹⁹/19)`, `t = (m-1)/(m+1)`,
    /// `|t| ≤ 0.1716` (the next term is below 4·10⁻¹⁸). `e` and `m` are read from the bits of `Double(k)`,
    /// which is exact for `k ≤ 2³²`.
    @inline(__always)
    static func logUniform(_ w: SIMD4<UInt32>) -> SIMD4<Double> {
        let k = SIMD4<Double>(SIMD4<UInt64>(truncatingIfNeeded: w) &+ 1)
        let bits = unsafeBitCast(k, to: SIMD4<UInt64>.self)
        // Small integers are exact in Double, so e and e - 32 held as Double equal the scalar Int values.
        var e = SIMD4<Double>(SIMD4<Int64>(truncatingIfNeeded: bits &>> 52) &- 1023)
        var m = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | (1023 << 52), to: SIMD4<Double>.self)
        let big = m .> 1.414_213_562_373_095_1
        m.replace(with: m * 0.5, where: big)
        e.replace(with: e + 1, where: big)
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var p = SIMD4<Double>(repeating: 1.0 / 19.0)
        p = 1.0 / 17.0 + t2 * p
        p = 1.0 / 15.0 + t2 * p
        p = 1.0 / 13.0 + t2 * p
        p = 1.0 / 11.0 + t2 * p
        p = 1.0 / 9.0 + t2 * p
        p = 1.0 / 7.0 + t2 * p
        p = 1.0 / 5.0 + t2 * p
        p = 1.0 / 3.0 + t2 * p
        p = 1.0 + t2 * p
        return (e - 32) * 0.693_147_180_559_945_3 + 2 * t * p
    }

    /// `(cos 2πu₂, sin 2πu₂)` per lane for `u₂ = w·2⁻³²`: the top two bits of `w` pick the quadrant, the
    /// low 30 bits give `θ ∈ [0, π/2)`, and Taylor polynomials to θ²¹ (sin) and θ²² (cos) finish (next
    /// terms < 2·10⁻¹⁸).
    @inline(__always)
    static func cosSinTurn(_ w: SIMD4<UInt32>) -> (SIMD4<Double>, SIMD4<Double>) {
        let theta = SIMD4<Double>(w & 0x3FFF_FFFF) * (1.0 / 1_073_741_824.0) * (Double.pi / 2)
        let t2 = theta * theta
        var s = SIMD4<Double>(repeating: -1.0 / 51_090_942_171_709_440_000.0)
        s = 1.0 / 121_645_100_408_832_000.0 + t2 * s
        s = -1.0 / 355_687_428_096_000.0 + t2 * s
        s = 1.0 / 1_307_674_368_000.0 + t2 * s
        s = -1.0 / 6_227_020_800.0 + t2 * s
        s = 1.0 / 39_916_800.0 + t2 * s
        s = -1.0 / 362_880.0 + t2 * s
        s = 1.0 / 5040.0 + t2 * s
        s = -1.0 / 120.0 + t2 * s
        s = 1.0 / 6.0 + t2 * s
        let sine = theta * (1 - t2 * s)
        var c = SIMD4<Double>(repeating: -1.0 / 1_124_000_727_777_607_680_000.0)
        c = 1.0 / 2_432_902_008_176_640_000.0 + t2 * c
        c = -1.0 / 6_402_373_705_728_000.0 + t2 * c
        c = 1.0 / 20_922_789_888_000.0 + t2 * c
        c = -1.0 / 87_178_291_200.0 + t2 * c
        c = 1.0 / 479_001_600.0 + t2 * c
        c = -1.0 / 3_628_800.0 + t2 * c
        c = 1.0 / 40320.0 + t2 * c
        c = -1.0 / 720.0 + t2 * c
        c = 1.0 / 24.0 + t2 * c
        c = -1.0 / 2.0 + t2 * c
        let cosine = 1 + t2 * c
        let q = SIMD4<Double>(w &>> 30)
        // Quadrant q rotates (cos, sin) by q·π/2: (c, s), (-s, c), (-c, -s), (s, -c).
        var outC = cosine
        var outS = sine
        let q1 = q .== 1
        let q2 = q .== 2
        let q3 = q .== 3
        outC.replace(with: -sine, where: q1)
        outS.replace(with: cosine, where: q1)
        outC.replace(with: -cosine, where: q2)
        outS.replace(with: -sine, where: q2)
        outC.replace(with: sine, where: q3)
        outS.replace(with: -cosine, where: q3)
        return (outC, outS)
    }
}

extension Philox4x32 {
    /// ``block(counter:key:)`` for four counters that differ only in word 0; returns output word 0, 1, 2, 3
    /// of the four blocks as four vectors.
    @inline(__always)
    static func fourBlocks(word0: SIMD4<UInt32>, word1: UInt32, word2: UInt32, word3: UInt32, key: SIMD2<UInt32>)
        -> (SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>)
    {
        var c0 = word0
        var c1 = SIMD4<UInt32>(repeating: word1)
        var c2 = SIMD4<UInt32>(repeating: word2)
        var c3 = SIMD4<UInt32>(repeating: word3)
        var k0 = key.x
        var k1 = key.y
        for round in 0..<10 {
            if round > 0 {
                k0 &+= weyl0
                k1 &+= weyl1
            }
            let p0 = SIMD4<UInt64>(truncatingIfNeeded: c0) &* UInt64(multiplier0)
            let p1 = SIMD4<UInt64>(truncatingIfNeeded: c2) &* UInt64(multiplier1)
            let hi0 = SIMD4<UInt32>(truncatingIfNeeded: p0 &>> 32)
            let lo0 = SIMD4<UInt32>(truncatingIfNeeded: p0)
            let hi1 = SIMD4<UInt32>(truncatingIfNeeded: p1 &>> 32)
            let lo1 = SIMD4<UInt32>(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }
}
