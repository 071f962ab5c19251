// OFXHost — every handle given to a plugin is the address of a live host object registered here, so
// a call with a stale or made-up handle is answered kOfxStatErrBadHandle (and reported), never
// dereferenced.
import Foundation

final class HandleRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var live: [UnsafeMutableRawPointer: AnyObject] = [:]

    /// Registers `object` and returns its handle; the registry keeps it alive until `remove`.
    func handle(for object: AnyObject) -> UnsafeMutableRawPointer {
        let h = Unmanaged.passUnretained(object).toOpaque()
        lock.withLock { live[h] = object }
        return h
    }

    func remove(_ object: AnyObject) {
        let h = Unmanaged.passUnretained(object).toOpaque()
        lock.withLock { _ = live.removeValue(forKey: h) }
    }

    /// The object behind `handle` if it is live and of type `T`.
    func lookup<T: AnyObject>(_ handle: UnsafeRawPointer?, as: T.Type) -> T? {
        guard let handle else { return nil }
        return lock.withLock { live[UnsafeMutableRawPointer(mutating: handle)] as? T }
    }
}
