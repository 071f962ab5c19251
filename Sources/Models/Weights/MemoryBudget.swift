// A model that cannot fit is refused before its first weight is read: loading 60 GB of weights on a
// 24 GB machine would otherwise end in the kernel's OOM killer — inside the user's compositor.
import Foundation

public enum MemoryBudget {
    /// Physical memory of this machine in bytes.
    public static var physicalBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        return pages.multipliedReportingOverflow(by: size).overflow ? Int.max : pages * size
    }

    /// Throws unless `bytes` fit in `limit` (default: physical memory), naming `what` and both sizes.
    public static func check(_ bytes: Int, for what: String, limit: Int? = nil) throws {
        let limit = limit ?? physicalBytes
        guard bytes > limit else { return }
        throw WeightsError.tooLarge(
            what: what, reason: "its weights need \(gigabytes(bytes)) of memory and this machine has \(gigabytes(limit))")
    }

    static func gigabytes(_ bytes: Int) -> String {
        bytes >= 100_000_000 ? String(format: "%.1f GB", Double(bytes) / 1e9) : String(format: "%.2f MB", Double(bytes) / 1e6)
    }
}
