/// Memory that holds tensor elements, handed out by a backend (`Backend.makeStorage`). CPU storage
/// is aligned host memory, Vulkan storage a device buffer. Reference-counted: the memory lives as
/// long as any `Tensor` view of it.
public protocol TensorStorage: AnyObject, Sendable {
    /// Size of the allocation in bytes.
    var byteCount: Int { get }
}

/// A strided view of typed elements in a backend's storage. A value: copying a `Tensor` copies the
/// handle (shape, strides, offset), never the elements; views made with `reshaped`, `permuted`,
/// `narrowed`, `expanded`… share the storage.
///
/// Element `[i₀, …, iₙ₋₁]` lives at element index `offset + Σₖ iₖ·strides[k]` of the storage
/// (indices and strides count elements of `dtype`, not bytes). A stride of 0 repeats an element
/// (broadcast view). Shapes are row-major: the last axis varies fastest in a contiguous tensor.
public struct Tensor: Sendable, CustomStringConvertible {
    /// The storage this view reads; it belongs to exactly one backend.
    public let storage: any TensorStorage
    public let dtype: DType
    /// Size of each axis, e.g. `[L, heads, headDim]`. A rank-0 tensor (`[]`) holds one element.
    public let shape: [Int]
    /// Element step of each axis.
    public let strides: [Int]
    /// Element index of `[0, …, 0]`.
    public let offset: Int

    /// A view over `storage`; throws when the view reaches outside the storage or a size is negative.
    public init(storage: any TensorStorage, dtype: DType, shape: [Int], strides: [Int], offset: Int = 0) throws {
        guard shape.count == strides.count else {
            throw TensorError.invalidArgument(
                "Tensor: shape \(shape) has \(shape.count) axes, strides \(strides) has \(strides.count)")
        }
        guard offset >= 0 else { throw TensorError.invalidArgument("Tensor: negative offset \(offset)") }
        _ = try Layout.elementCount(shape, op: "Tensor")
        guard strides.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument("Tensor: negative stride in \(strides)")
        }
        let capacity = storage.byteCount / dtype.byteSize
        if !shape.contains(0) {
            var last = offset
            var overflow = false
            for (n, s) in zip(shape, strides) {
                let (step, o1) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o2) = last.addingReportingOverflow(step)
                overflow = overflow || o1 || o2
                last = sum
            }
            guard !overflow, last < capacity else {
                throw TensorError.invalidArgument(
                    "Tensor: view shape \(shape) strides \(strides) offset \(offset) reaches element \(last) of a \(capacity)-element \(dtype) storage"
                )
            }
        }
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A contiguous row-major view of `shape` at the start of `storage`.
    public init(storage: any TensorStorage, dtype: DType, shape: [Int]) throws {
        try self.init(storage: storage, dtype: dtype, shape: shape, strides: Layout.contiguousStrides(shape))
    }

    /// Number of axes.
    public var rank: Int { shape.count }
    /// Number of elements, `Πshape` (1 for rank 0).
    public var count: Int { shape.reduce(1, *) }
    /// True when the elements are densely packed in row-major order (offset may be anything).
    public var isContiguous: Bool { Layout.isContiguous(shape: shape, strides: strides) }

    public var description: String { "Tensor(\(dtype) \(shape))" }

    /// Size of `axis` (negative axes count from the end). Throws for an axis out of range.
    public func size(_ axis: Int) throws -> Int { shape[try Layout.axis(axis, rank: rank, op: "size")] }

    // MARK: Views (no copies)

    /// Same elements, new shape (`-1` once infers a size). Works without a copy when the tensor is
    /// contiguous, or more generally when each new axis spans old axes that are laid out together;
    /// otherwise throws `notAView` (use `Backend.reshape`, which copies when needed).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let resolved = try Layout.resolve(newShape, count: count, op: "reshape \(shape)")
        guard let newStrides = Layout.reshapedStrides(shape: shape, strides: strides, to: resolved) else {
            throw TensorError.notAView("reshape \(shape) strides \(strides) → \(resolved)")
        }
        return try Tensor(storage: storage, dtype: dtype, shape: resolved, strides: newStrides, offset: offset)
    }

    /// Axes reordered: result axis k is input axis `axes[k]` (torch `permute`).
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank else {
            throw TensorError.invalidArgument("permute: \(axes) for a rank-\(rank) tensor")
        }
        let normalized = try axes.map { try Layout.axis($0, rank: rank, op: "permute") }
        guard Set(normalized).count == rank else {
            throw TensorError.invalidArgument("permute: \(axes) is not a permutation of 0..<\(rank)")
        }
        return try Tensor(
            storage: storage, dtype: dtype, shape: normalized.map { shape[$0] },
            strides: normalized.map { strides[$0] }, offset: offset)
    }

    /// Two axes swapped.
    public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
        var axes = Array(0..<rank)
        let i = try Layout.axis(a, rank: rank, op: "transpose")
        let j = try Layout.axis(b, rank: rank, op: "transpose")
        axes.swapAt(i, j)
        return try permuted(axes)
    }

    /// Elements `start ..< start+length` along `axis` (torch `narrow`).
    public func narrowed(axis: Int, start: Int, length: Int) throws -> Tensor {
        let a = try Layout.axis(axis, rank: rank, op: "narrow")
        guard start >= 0, length >= 0, start + length <= shape[a] else {
            throw TensorError.invalidArgument("narrow: \(start)..<\(start + length) on axis \(a) of size \(shape[a])")
        }
        var s = shape
        s[a] = length
        return try Tensor(
            storage: storage, dtype: dtype, shape: s, strides: strides, offset: offset + start * strides[a])
    }

    /// Every `step`-th element along `axis`, `count` of them, from `start` (`x[start::step]`).
    public func strided(axis: Int, start: Int, step: Int, count n: Int) throws -> Tensor {
        let a = try Layout.axis(axis, rank: rank, op: "strided")
        guard start >= 0, step >= 1, n >= 0, n == 0 || start + (n - 1) * step < shape[a] else {
            throw TensorError.invalidArgument(
                "strided: start \(start) step \(step) count \(n) on axis \(a) of size \(shape[a])")
        }
        var s = shape
        var st = strides
        s[a] = n
        st[a] = strides[a] * step
        return try Tensor(storage: storage, dtype: dtype, shape: s, strides: st, offset: offset + start * strides[a])
    }

    /// Index `index` of `axis`, with that axis removed (`x[..., index, ...]`).
    public func selected(axis: Int, index: Int) throws -> Tensor {
        let a = try Layout.axis(axis, rank: rank, op: "select")
        guard index >= 0, index < shape[a] else {
            throw TensorError.invalidArgument("select: index \(index) on axis \(a) of size \(shape[a])")
        }
        var s = shape
        var st = strides
        s.remove(at: a)
        st.remove(at: a)
        return try Tensor(storage: storage, dtype: dtype, shape: s, strides: st, offset: offset + index * strides[a])
    }

    /// A new axis of size 1 at `axis` (0…rank; negative counts from rank+1).
    public func unsqueezed(_ axis: Int) throws -> Tensor {
        let a = try Layout.axis(axis, rank: rank + 1, op: "unsqueeze")
        var s = shape
        var st = strides
        s.insert(1, at: a)
        st.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        return try Tensor(storage: storage, dtype: dtype, shape: s, strides: st, offset: offset)
    }

    /// Axis `axis` (which must have size 1) removed.
    public func squeezed(_ axis: Int) throws -> Tensor {
        let a = try Layout.axis(axis, rank: rank, op: "squeeze")
        guard shape[a] == 1 else {
            throw TensorError.invalidArgument("squeeze: axis \(a) has size \(shape[a]), not 1")
        }
        return try selected(axis: a, index: 0)
    }

    /// A broadcast view of `newShape` (numpy rules: axes aligned at the end; a size-1 or missing
    /// axis repeats with stride 0).
    public func expanded(to newShape: [Int]) throws -> Tensor {
        guard newShape.count >= rank else {
            throw TensorError.shapeMismatch("expand: \(shape) to fewer axes \(newShape)")
        }
        let lead = newShape.count - rank
        var st = [Int](repeating: 0, count: newShape.count)
        for k in 0..<rank {
            if shape[k] == newShape[lead + k] {
                st[lead + k] = strides[k]
            } else if shape[k] != 1 {
                throw TensorError.shapeMismatch("expand: \(shape) cannot broadcast to \(newShape)")
            }
        }
        return try Tensor(storage: storage, dtype: dtype, shape: newShape, strides: st, offset: offset)
    }

    /// Views of consecutive pieces of `axis` with the given sizes (which must sum to its size).
    public func split(axis: Int, sizes: [Int]) throws -> [Tensor] {
        let a = try Layout.axis(axis, rank: rank, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            throw TensorError.invalidArgument("split: sizes \(sizes) do not sum to axis \(a) size \(shape[a])")
        }
        var start = 0
        return try sizes.map { n in
            defer { start += n }
            return try narrowed(axis: a, start: start, length: n)
        }
    }

    /// `parts` equal views along `axis` (torch `chunk` with an exact division).
    public func chunked(axis: Int, parts: Int) throws -> [Tensor] {
        let a = try Layout.axis(axis, rank: rank, op: "chunk")
        guard parts > 0, shape[a] % parts == 0 else {
            throw TensorError.invalidArgument("chunk: axis \(a) of size \(shape[a]) into \(parts) equal parts")
        }
        return try split(axis: a, sizes: Array(repeating: shape[a] / parts, count: parts))
    }
}
