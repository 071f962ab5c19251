import Dispatch
import Foundation

/// Splits `0..<count` into at most `threads` contiguous chunks of at least `grain` items and runs
/// `body(range)` on each, in parallel when there is more than one chunk.
///
/// Never call a multi-threaded BLAS routine inside `body`: OpenBLAS runs its own threads, and nesting
/// the two oversubscribes the cores. GEMM calls happen between parallel phases, except in attention,
/// which holds OpenBLAS at one thread while its Swift threads each run their own GEMMs.
@inline(__always)
func parallelRanges(_ count: Int, grain: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = max(1, min(threads, count / max(grain, 1)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    // More chunks than threads smooths out uneven work (other processes share the cores).
    let pieces = min(count, chunks * 4)
    withoutActuallyEscaping(body) { work in
        // The kernels share raw pointers across threads on purpose: each chunk writes a disjoint
        // range, and the call returns only after every chunk has finished.
        let box = UncheckedSendable(work)
        DispatchQueue.concurrentPerform(iterations: pieces) { i in
            let lo = count * i / pieces
            let hi = count * (i + 1) / pieces
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees the sharing is safe.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
