import Foundation
import Tensor

/// Host memory for tensors: 64-byte aligned (a cache line, enough for any SIMD load), returned to
/// its backend's `BufferPool` (or freed) when the last `Tensor` referring to it goes away.
public final class CPUStorage: TensorStorage, @unchecked Sendable {
    // @unchecked: the pointer is written only by the op that produced this storage, before any
    // other reference to it exists; afterwards views only read it.
    /// Address of byte 0 (64-byte aligned).
    public let base: UnsafeMutableRawPointer
    /// Bytes requested (the allocation may be larger: see `BufferPool.sizeClass`).
    public let byteCount: Int
    private let capacity: Int
    private let pool: BufferPool?

    /// Allocates `byteCount` bytes (from `pool` when given), zero-filled when `zeroed`.
    init(byteCount: Int, zeroed: Bool, pool: BufferPool? = nil) throws {
        guard byteCount >= 0 else {
            throw TensorError.invalidArgument("CPU storage: negative size \(byteCount)")
        }
        let (p, capacity) = try (pool ?? BufferPool.unpooled).take(byteCount)
        if zeroed { memset(p, 0, byteCount) }
        self.base = p
        self.byteCount = byteCount
        self.capacity = capacity
        self.pool = pool
    }

    deinit { (pool ?? BufferPool.unpooled).give(base, capacity: capacity) }
}

/// Recycles large host buffers by size class. First-touch page faults cost about 2 ns per float
/// on our (virtualised) machines, more than most elementwise kernels themselves, so an op that
/// writes into a fresh `malloc` block of the same size every layer pays for the kernel twice.
/// Buffers below `minimumPooled` bytes go straight to `posix_memalign`/`free`.
final class BufferPool: @unchecked Sendable {
    // @unchecked: `free` and `cachedBytes` are only touched under `lock`.
    static let unpooled = BufferPool(limit: 0)
    static let minimumPooled = 1 << 16

    let limit: Int
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0

    /// Keeps at most `limit` bytes of idle buffers.
    init(limit: Int) { self.limit = limit }

    deinit {
        for (_, list) in free { for p in list { Foundation.free(p) } }
    }

    /// Size class of a request: the next of 2ᵏ or 1.5·2ᵏ, so at most a third is wasted.
    static func sizeClass(_ bytes: Int) -> Int {
        if bytes <= minimumPooled { return max(bytes, 64) }
        var k = minimumPooled
        while k < bytes {
            if k + k / 2 >= bytes { return k + k / 2 }
            k *= 2
        }
        return k
    }

    func take(_ bytes: Int) throws -> (UnsafeMutableRawPointer, Int) {
        let capacity = limit > 0 ? Self.sizeClass(bytes) : max(bytes, 64)
        if limit > 0 && capacity > Self.minimumPooled {
            lock.lock()
            let hit = free[capacity]?.popLast()
            if hit != nil { cachedBytes -= capacity }
            lock.unlock()
            if let hit { return (hit, capacity) }
        }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, capacity) == 0, let p else {
            throw TensorError.outOfMemory("CPU storage: \(bytes) bytes")
        }
        return (p, capacity)
    }

    /// Frees every idle buffer; returns the bytes released.
    @discardableResult
    func trim() -> Int {
        lock.lock()
        let lists = free
        let released = cachedBytes
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for (_, list) in lists { for p in list { Foundation.free(p) } }
        return released
    }

    /// Bytes of idle buffers currently kept.
    var idleBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return cachedBytes
    }

    func give(_ p: UnsafeMutableRawPointer, capacity: Int) {
        if limit > 0 && capacity > Self.minimumPooled {
            lock.lock()
            if cachedBytes + capacity <= limit {
                free[capacity, default: []].append(p)
                cachedBytes += capacity
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(p)
    }
}

/// A contiguous f32 run of a tensor's elements and the storage that keeps it alive.
struct F32Run {
    let storage: CPUStorage
    let pointer: UnsafeMutablePointer<Float>
}

extension Tensor {
    /// Raw address of element [0,…,0] in CPU storage (caller has checked the storage class).
    func cpuAddress(_ s: CPUStorage) -> UnsafeMutableRawPointer {
        s.base + offset * dtype.byteSize
    }
}
