import Foundation
import Tensor

/// A plain row-major array with a shape: the currency of the naive reference implementations.
public struct HostTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(_ shape: [Int], _ values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "HostTensor: \(values.count) values for \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Standard-normal values scaled by `scale`, from a seeded generator.
    public static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> HostTensor {
        var g = SeededRandom(seed: seed)
        return HostTensor(shape, (0..<shape.reduce(1, *)).map { _ in Float(g.normal()) * scale })
    }

    public var count: Int { values.count }
    public var strides: [Int] { Layout.contiguousStrides(shape) }

    /// Multi-index of flat position `i`.
    public func index(of i: Int) -> [Int] {
        var rest = i
        var idx = [Int](repeating: 0, count: shape.count)
        for k in stride(from: shape.count - 1, through: 0, by: -1) {
            idx[k] = rest % shape[k]
            rest /= shape[k]
        }
        return idx
    }

    /// Flat position of a multi-index.
    public func flat(_ idx: [Int]) -> Int {
        zip(idx, strides).reduce(0) { $0 + $1.0 * $1.1 }
    }

    public subscript(_ idx: Int...) -> Float { values[flat(idx)] }

    /// Uploads to `backend` as `dtype`.
    public func upload(_ backend: some Backend, dtype: DType = .f32) throws -> Tensor {
        try backend.upload(values, shape: shape, dtype: dtype)
    }
}

/// Tensor's SplitMix64 plus Box–Muller in Double: deterministic test data on every platform.
public struct SeededRandom {
    private var generator: SplitMix64

    /// The seed offset by one SplitMix step, as these tests' data was first made.
    public init(seed: UInt64) { generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    public mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal.
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

/// Whole-tensor comparison: every element must satisfy |a − e| ≤ atol + rtol·|e|.
public enum Closeness {
    /// nil when `actual` is close to `expected`; otherwise a message naming the worst element.
    public static func check(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float) -> String? {
        guard actual.count == expected.count else {
            return "count \(actual.count) ≠ expected \(expected.count)"
        }
        var worst = -1
        var worstExcess: Float = 0
        for i in actual.indices {
            let a = actual[i]
            let e = expected[i]
            if a.isNaN != e.isNaN { return "element \(i): \(a) vs \(e)" }
            if a.isNaN { continue }
            if a.isInfinite || e.isInfinite {
                if a != e { return "element \(i): \(a) vs \(e)" }
                continue
            }
            let excess = abs(a - e) - (atol + rtol * abs(e))
            if excess > worstExcess {
                worstExcess = excess
                worst = i
            }
        }
        if worst < 0 { return nil }
        let maxErr = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        return
            "element \(worst): \(actual[worst]) vs expected \(expected[worst]) (atol \(atol), rtol \(rtol); max abs error \(maxErr))"
    }
}
