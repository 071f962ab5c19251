import Foundation

/// A small deterministic generator for generated weights and benchmark data — the same
/// numbers on every machine and in every process (Swift's own generators are seeded per process).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `n` values uniform in [−scale, scale) (24-bit resolution; fast enough for GB-sized benchmark weights).
    public mutating func uniform(_ n: Int, scale: Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { buffer, done in
            for i in 0..<n { buffer[i] = (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
            done = n
        }
    }

    /// `n` normal samples with `mean` and standard deviation `std` (Box–Muller in Double).
    public mutating func normal(_ n: Int, mean: Float = 0, std: Float) -> [Float] {
        (0..<n).map { _ in
            let u1 = (Double(next() >> 11) + 0.5) / Double(1 << 53)
            let u2 = Double(next() >> 11) / Double(1 << 53)
            return mean + Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)) * std
        }
    }
}
