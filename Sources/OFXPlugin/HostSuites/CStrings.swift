// Static C strings for everything handed to the host. OpenFX lets a host keep "label strings"
// (property names, types, identifiers) forever, so each distinct string is copied once and never freed.
import Glibc

enum CStrings {
    private static let lock = Mutex()
    nonisolated(unsafe) private static var table: [String: UnsafePointer<CChar>] = [:]

    /// The interned, never-freed C copy of `s`.
    static func get(_ s: String) -> UnsafePointer<CChar> {
        lock.locked {
            if let p = table[s] { return p }
            let p = UnsafePointer(strdup(s)!)
            table[s] = p
            return p
        }
    }
}

/// A small pthread mutex (the plugin does not link Foundation).
final class Mutex: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}
