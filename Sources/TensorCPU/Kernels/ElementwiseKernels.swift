import Foundation
import Tensor

extension CPUBackend {
    public func unary(_ op: UnaryOp, _ x: Tensor) throws -> Tensor {
        let src = try f32(x, "unary \(op)")
        let (result, dst) = try output(x.shape)
        let s = UnsafePointer(src.pointer)
        parallelRanges(x.count, grain: 16_384, threads: threads) { range in
            var i = range.lowerBound
            let end = range.upperBound
            if Self.hasVectorForm(op) {
                while i + 8 <= end {
                    dst.storeVector(Self.vectorForm(op, s.loadVector(i)), i)
                    i += 8
                }
                if i < end {
                    // Tail: pad a vector so the same formula (and rounding) applies to every element.
                    var v = SIMD8<Float>(repeating: 0)
                    for k in 0..<(end - i) { v[k] = s[i + k] }
                    let y = Self.vectorForm(op, v)
                    for k in 0..<(end - i) { dst[i + k] = y[k] }
                }
            } else {
                for k in i..<end { dst[k] = Self.scalarForm(op, s[k]) }
            }
        }
        _ = src
        return result
    }

    private static func hasVectorForm(_ op: UnaryOp) -> Bool {
        ![.geluErf, .log, .sin, .cos].contains(op)
    }

    // A switch per vector (not a closure) so that each formula inlines into the loop.
    @inline(__always)
    private static func vectorForm(_ op: UnaryOp, _ x: SIMD8<Float>) -> SIMD8<Float> {
        switch op {
        case .silu: return x * VectorMath.sigmoid(x)
        case .geluTanh:
            let inner = 0.797_884_56 * (x + 0.044_715 * x * x * x)
            return 0.5 * x * (1 + VectorMath.tanh(inner))
        case .relu: return x.replacing(with: 0, where: x .< 0)
        case .sigmoid: return VectorMath.sigmoid(x)
        case .tanh: return VectorMath.tanh(x)
        case .exp: return VectorMath.exp(x)
        case .neg: return -x
        case .abs: return x.replacing(with: -x, where: x .< 0)
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .square: return x * x
        case .geluErf, .log, .sin, .cos: return x
        }
    }

    @inline(__always)
    private static func scalarForm(_ op: UnaryOp, _ x: Float) -> Float {
        switch op {
        case .geluErf: return 0.5 * x * (1 + Foundation.erf(x * 0.707_106_77))
        case .log: return Foundation.log(x)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        default: return x
        }
    }

    @inline(__always)
    private static func apply(_ op: BinaryOp, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        switch op {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: a / b
        case .maximum: a.replacing(with: b, where: a .< b)
        case .minimum: a.replacing(with: b, where: b .< a)
        }
    }

    @inline(__always)
    private static func apply(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
        switch op {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: a / b
        case .maximum: Swift.max(a, b)
        case .minimum: Swift.min(a, b)
        }
    }

    public func binary(checked op: BinaryOp, _ a: Tensor, _ b: Tensor, shape: [Int]) throws -> Tensor {
        // Half inputs are widened once (they are small broadcast vectors or weights in practice).
        let ra = try f32Strided(a, "binary \(op)")
        let rb = try f32Strided(b, "binary \(op)")
        let stridesA = Self.broadcastStrides(a.shape, ra.strides, to: shape)
        let stridesB = Self.broadcastStrides(b.shape, rb.strides, to: shape)
        let (result, dst) = try output(shape)
        if shape.contains(0) { return result }
        let c = Coalesced(shape: shape, strides: [stridesA, stridesB, Layout.contiguousStrides(shape)])
        let walker = RowWalker(c)
        let n = c.inner
        let sa = c.strides[0][c.shape.count - 1]
        let sb = c.strides[1][c.shape.count - 1]
        let pa = UnsafePointer(ra.pointer)
        let pb = UnsafePointer(rb.pointer)
        parallelRanges(c.rows, grain: max(1, 16_384 / n), threads: threads) { range in
            walker.walk(range) { oa, ob, od in
                let x = pa + oa
                let y = pb + ob
                let d = dst + od
                var i = 0
                if sa == 1 && sb == 1 {
                    while i + 8 <= n {
                        d.storeVector(Self.apply(op, x.loadVector(i), y.loadVector(i)), i)
                        i += 8
                    }
                } else if sa == 1 && sb == 0 {
                    let yv = SIMD8<Float>(repeating: y[0])
                    while i + 8 <= n {
                        d.storeVector(Self.apply(op, x.loadVector(i), yv), i)
                        i += 8
                    }
                } else if sa == 0 && sb == 1 {
                    let xv = SIMD8<Float>(repeating: x[0])
                    while i + 8 <= n {
                        d.storeVector(Self.apply(op, xv, y.loadVector(i)), i)
                        i += 8
                    }
                }
                while i < n {
                    d[i] = Self.apply(op, x[i * sa], y[i * sb])
                    i += 1
                }
            }
        }
        _ = (ra, rb)
        return result
    }

    public func scalar(_ op: BinaryOp, _ x: Tensor, _ s: Float) throws -> Tensor {
        let src = try f32(x, "scalar \(op)")
        let (result, dst) = try output(x.shape)
        let p = UnsafePointer(src.pointer)
        let sv = SIMD8<Float>(repeating: s)
        parallelRanges(x.count, grain: 16_384, threads: threads) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                dst.storeVector(Self.apply(op, p.loadVector(i), sv), i)
                i += 8
            }
            while i < range.upperBound {
                dst[i] = Self.apply(op, p[i], s)
                i += 1
            }
        }
        _ = src
        return result
    }

    /// x read as f32 in place (any strides) when it already is f32, else a contiguous f32 copy;
    /// `strides` index from `pointer`, which points at element [0, …, 0].
    func f32Strided(_ x: Tensor, _ op: String) throws -> (
        pointer: UnsafeMutablePointer<Float>, strides: [Int], keep: CPUStorage
    ) {
        let s = try storage(x, op)
        if x.dtype == .f32 {
            return (x.cpuAddress(s).assumingMemoryBound(to: Float.self), x.strides, s)
        }
        let run = try f32(x, op)
        return (run.pointer, Layout.contiguousStrides(x.shape), run.storage)
    }

    /// Strides that read a tensor of `shape` (strides `strides`) broadcast to `target` (numpy
    /// rules, already checked by `Layout.broadcast`): 0 on repeated and missing axes.
    static func broadcastStrides(_ shape: [Int], _ strides: [Int], to target: [Int]) -> [Int] {
        let lead = target.count - shape.count
        return target.indices.map { k in
            k < lead || shape[k - lead] == 1 && target[k] != 1 ? 0 : strides[k - lead]
        }
    }
}
