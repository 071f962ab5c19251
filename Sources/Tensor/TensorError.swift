/// Every failure of a tensor op: a message naming the op and what is wrong with which argument.
public enum TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Shapes that do not fit together, e.g. `"linear: x [7, 1536] vs weight [8960, 1535]"`.
    case shapeMismatch(String)
    /// An argument out of its domain (negative size, axis out of range, bad eps, …).
    case invalidArgument(String)
    /// A view that cannot be expressed with strides over the same storage (call `contiguous` first).
    case notAView(String)
    /// A tensor whose storage belongs to another backend than the one asked to run the op.
    case foreignStorage(String)
    /// An op this backend does not implement.
    case unsupported(op: String, backend: String)
    /// The backend could not allocate the bytes asked for.
    case outOfMemory(String)
    /// A failure inside the backend (driver error, lost device, …).
    case backendFailure(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let m): "shape mismatch: \(m)"
        case .invalidArgument(let m): "invalid argument: \(m)"
        case .notAView(let m): "not expressible as a view: \(m)"
        case .foreignStorage(let m): "foreign storage: \(m)"
        case .unsupported(let op, let backend): "op '\(op)' is not supported by backend \(backend)"
        case .outOfMemory(let m): "out of memory: \(m)"
        case .backendFailure(let m): "backend failure: \(m)"
        }
    }
}
