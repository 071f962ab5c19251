import ArgumentParser
import Pipeline

/// The backend and cache options every command that runs a pipeline takes, declared once.
struct ComputeAndCacheOptions: ParsableArguments {
    @Option(help: "Compute backend: auto, vulkan or cpu.")
    var backend: String = "cpu"
    @Option(help: "CPU linear-layer arithmetic: f32, bf16 or auto (bf16 where weights are bf16); default $OMNIEDIT_CPU_PRECISION, else f32.")
    var cpuPrecision: String?
    @Option(help: "Cache folder (default $XDG_CACHE_HOME/omniedit).")
    var cacheFolder: String?
    @Option(help: "Cache budget in MB (0 = no disk cache).")
    var cacheSizeMb: Int = 4096

    func computeBackend() throws -> ComputeBackend {
        guard let compute = ComputeBackend(name: backend) else {
            throw ValidationError("--backend must be auto, vulkan or cpu")
        }
        return compute
    }

    func computePrecision() throws -> ComputePrecision? {
        guard let cpuPrecision else { return nil }
        guard let p = ComputePrecision(name: cpuPrecision) else {
            throw ValidationError("--cpu-precision must be f32, bf16 or auto")
        }
        return p
    }

    func cacheStore() throws -> CacheStore {
        try CacheStore.shared(folder: cacheFolder, budgetMB: cacheSizeMb)
    }
}
