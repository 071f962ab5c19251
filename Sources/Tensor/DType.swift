/// Storage element type of a tensor. Every op computes in f32; f16 and bf16 exist so that weights
/// can stay half-size in memory.
///
/// - f32: IEEE 754 binary32.
/// - f16: IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits).
/// - bf16: bfloat16, the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 mantissa bits).
public enum DType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case f32
    case f16
    case bf16

    /// Bytes per element: 4 for f32, 2 for f16 and bf16.
    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        }
    }

    public var description: String { rawValue }
}
