import Foundation
import Tensor

/// Host memory for tensors: 64-byte aligned (a cache line, enough for any SIMD load), freed when the
/// last `Tensor` referring to it goes away.
public final class CPUStorage: TensorStorage, @unchecked Sendable {
    // @unchecked: the pointer is written only by ops that produced this storage (before any other
    // reference exists) or through explicitly documented mutation; views only read.
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int

    /// Allocates `byteCount` bytes, zero-filled when `zeroed`.
    init(byteCount: Int, zeroed: Bool) throws {
        guard byteCount >= 0 else {
            throw TensorError.invalidArgument("CPU storage: negative size \(byteCount)")
        }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, max(byteCount, 64)) == 0, let p else {
            throw TensorError.outOfMemory("CPU storage: \(byteCount) bytes")
        }
        if zeroed { memset(p, 0, max(byteCount, 64)) }
        self.base = p
        self.byteCount = byteCount
    }

    deinit { free(base) }
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
