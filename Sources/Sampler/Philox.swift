/// The Philox-4×32-10 counter-based generator (Salmon, Moraes, Dror & Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3", SC 2011), written from the published description.
///
/// A pure function `(counter: 4×u32, key: 2×u32) → 4×u32`: ten rounds of two 32×32→64-bit multiplies
/// (multipliers `0xD2511F53`, `0xCD9E8D57`) and a permute-xor with the key, the key bumped by the Weyl
/// constants (`0x9E3779B9`, `0xBB67AE85`) between rounds. Any block is computed in isolation, which is what
/// lets the sampler regenerate any noise tensor without replaying a stream.
///
/// Verified against the Random123 known-answer vectors (`tests/kat_vectors`, "philox4x32 10") in the tests.
public enum Philox4x32 {
    static let multiplier0: UInt32 = 0xD251_1F53
    static let multiplier1: UInt32 = 0xCD9E_8D57
    static let weyl0: UInt32 = 0x9E37_79B9
    static let weyl1: UInt32 = 0xBB67_AE85

    /// The 4 output words for `counter` under `key`.
    @inline(__always)
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.x &+= weyl0
                k.y &+= weyl1
            }
            let p0 = UInt64(multiplier0) &* UInt64(c.x)
            let p1 = UInt64(multiplier1) &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32)
            let lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32)
            let lo1 = UInt32(truncatingIfNeeded: p1)
            c = SIMD4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0)
        }
        return c
    }
}
