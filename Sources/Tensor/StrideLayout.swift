/// Shape and stride arithmetic shared by the tensor views and by every backend.
public enum Layout {
    /// Row-major strides of `shape`: `strides[k] = Π shape[k+1...]`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for k in shape.indices.reversed() {
            strides[k] = step
            step *= max(shape[k], 1)
        }
        return strides
    }

    /// True when `strides` are the row-major strides of `shape` (axes of size 1 may have any stride).
    public static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        var step = 1
        for k in shape.indices.reversed() where shape[k] != 1 {
            if strides[k] != step { return false }
            step *= shape[k]
        }
        return true
    }

    /// Πshape, or a throw naming `op` for a negative size or a product that overflows (a shape no
    /// memory could hold, checked before anything multiplies it).
    public static func elementCount(_ shape: [Int], op: String) throws -> Int {
        var n = 1
        for s in shape {
            guard s >= 0 else { throw TensorError.invalidArgument("\(op): negative size in shape \(shape)") }
            let (p, overflow) = n.multipliedReportingOverflow(by: s)
            guard !overflow, p <= Int.max / 8 else {
                throw TensorError.invalidArgument("\(op): shape \(shape) has too many elements")
            }
            n = p
        }
        return shape.contains(0) ? 0 : n
    }

    /// `axis` in 0..<rank (negative counts from the end); throws naming `op` when out of range.
    public static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            throw TensorError.invalidArgument("\(op): axis \(axis) out of range for rank \(rank)")
        }
        return a
    }

    /// `shape` with at most one `-1` replaced so that the element count is `count`.
    public static func resolve(_ shape: [Int], count: Int, op: String) throws -> [Int] {
        let unknown = shape.indices.filter { shape[$0] == -1 }
        guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument("\(op): bad target shape \(shape)")
        }
        let known = try elementCount(shape.filter { $0 != -1 }, op: op)
        var out = shape
        if let u = unknown.first {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch("\(op): \(count) elements cannot take shape \(shape)")
            }
            out[u] = count / known
        }
        guard out.reduce(1, *) == count else {
            throw TensorError.shapeMismatch("\(op): \(count) elements cannot take shape \(shape)")
        }
        return out
    }

    /// Strides for viewing (`shape`, `strides`) as `newShape` without moving elements, or nil when
    /// the new axes cut across axes that are not laid out together.
    public static func reshapedStrides(shape: [Int], strides: [Int], to newShape: [Int]) -> [Int]? {
        if shape.reduce(1, *) == 0 { return contiguousStrides(newShape) }
        // Drop size-1 axes, then group old axes into runs that are contiguous among themselves.
        let old = zip(shape, strides).filter { $0.0 != 1 }
        var result = [Int](repeating: 0, count: newShape.count)
        var oi = 0
        var ni = 0
        while ni < newShape.count {
            if newShape[ni] == 1 {
                result[ni] = 1
                ni += 1
                continue
            }
            guard oi < old.count else { return nil }
            // Collect new axes (nj) and old axes (oj) until their products match.
            var newProduct = newShape[ni]
            var oldProduct = old[oi].0
            var nj = ni
            var oj = oi
            while newProduct != oldProduct {
                if newProduct < oldProduct {
                    nj += 1
                    guard nj < newShape.count else { return nil }
                    newProduct *= newShape[nj]
                } else {
                    oj += 1
                    guard oj < old.count else { return nil }
                    // The old run must be contiguous: stride of the outer axis = size·stride of the inner.
                    guard old[oj - 1].1 == old[oj].0 * old[oj].1 else { return nil }
                    oldProduct *= old[oj].0
                }
            }
            // Assign strides to the new axes of this group from the innermost old stride outwards.
            var step = old[oj].1
            for k in stride(from: nj, through: ni, by: -1) {
                result[k] = step
                step *= newShape[k]
            }
            ni = nj + 1
            oi = oj + 1
        }
        return oi == old.count ? result : nil
    }

    /// Numpy broadcast of two shapes: aligned at the end, each axis equal or 1.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for k in 0..<rank {
            let x = k < rank - a.count ? 1 : a[k - (rank - a.count)]
            let y = k < rank - b.count ? 1 : b[k - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else {
                throw TensorError.shapeMismatch("\(op): shapes \(a) and \(b) do not broadcast")
            }
            out[k] = x == 1 ? y : x
        }
        return out
    }
}
