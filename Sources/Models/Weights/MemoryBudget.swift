// A model that cannot fit is refused before its first weight is read: loading 60 GB of weights on a
// 24 GB machine would otherwise end in the kernel's OOM killer — inside the user's compositor.
import Foundation
import Tensor

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

extension WeightReader {
    /// Loads a model in two passes over `checkpoint`: first with a shapes-only reader (every name and
    /// shape checked, nothing read, placeholders are broadcast views), then — once the weights are
    /// known to fit in `memoryLimit` (default: this machine's memory) — for real. A checkpoint that
    /// is incomplete or too large is refused before its first weight is read.
    /// Returns the model and the checkpoint tensors it did not use.
    public static func loadWithinBudget<Model>(
        _ checkpoint: Checkpoint, rules: KeyRules, backend: any Backend, storeAs: DType? = nil, what: String,
        memoryLimit: Int? = nil, build: (inout WeightReader) throws -> Model
    ) throws -> (model: Model, unused: [String]) {
        var plan = try WeightReader(
            checkpoint: checkpoint, rules: rules, backend: backend, storeAs: storeAs, shapesOnly: true)
        _ = try build(&plan)
        try MemoryBudget.check(plan.plannedBytes, for: what, limit: memoryLimit)
        var reader = try WeightReader(checkpoint: checkpoint, rules: rules, backend: backend, storeAs: storeAs)
        let model = try build(&reader)
        return (model, reader.unusedKeys)
    }
}
