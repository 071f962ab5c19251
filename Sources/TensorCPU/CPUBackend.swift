import Foundation
import Synchronization
import Tensor

/// The CPU backend: GEMM through OpenBLAS `cblas_sgemm` (its own threads), everything else in
/// vectorised Swift spread over the cores with `DispatchQueue.concurrentPerform`. The two never
/// nest: a parallel Swift loop never calls BLAS, and BLAS is only called between parallel phases.
///
/// Ops run synchronously; results are ready when a call returns. Instances share no mutable state,
/// so several may be used at once from different threads.
public final class CPUBackend: Backend, @unchecked Sendable {
    // @unchecked: all stored properties are immutable after init, but for the Mutex-guarded FLOP count.

    /// Threads for the Swift kernels (OpenBLAS keeps its own setting).
    public let threads: Int
    /// Query and key tile sizes of `attention` (rows of Q and rows of K per step of the online
    /// softmax); the score buffer holds `queryTile · keyTile` floats.
    public let attentionTile: (query: Int, key: Int)
    public let device: DeviceDescription
    /// The process's OpenBLAS (core chosen from the CPU's features, see `OpenBLAS`).
    public let blas: OpenBLAS
    /// The arithmetic `linear` uses (asked for); `bf16Kernel` says whether this CPU can run bf16.
    public let precision: CPUPrecision
    /// True when the CPU (as capped by `OMNIEDIT_MAX_CPU_ISA`) has AVX512_BF16: without it a bf16 or
    /// auto precision runs f32 (said in `device`).
    public let bf16Kernel: Bool
    /// Idle buffers kept for reuse (see `BufferPool`).
    let pool: BufferPool
    /// Most floats of im2col columns built per GEMM in `conv` (bounds its scratch memory).
    public let convColumnBudget: Int
    /// True when stride-1 convolutions run the direct kernel (`Kernels/ConvTaps.swift`, AVX-512),
    /// false when every convolution runs im2col + GEMM.
    public let directConv: Bool
    /// Most floats of attention scores held at once (threads × query tile × key tile; the query tile
    /// shrinks when the product would exceed it).
    public let attentionScoreBudget: Int
    /// The kernel `attention` runs (the fused AVX-512 one where the CPU has it).
    public let attentionKernel: CPUAttentionKernel
    /// Floating-point operations (multiply-add = 2) of every `conv` so far: benchmarks divide a pass's
    /// share by its time to put the rate beside the machine's limit.
    public var convolutionFLOPs: Double { flopCounter.withLock { $0 } }
    private let flopCounter = Mutex(0.0)

    /// - threads: Swift-kernel threads, default all active cores.
    /// - attentionTile: (query, key) tile sizes for `attention`, each ≥ 1; default (512, 1024),
    ///   a 2 MiB score tile (large tiles keep the two GEMMs per tile efficient).
    /// - cacheBytes: most bytes of freed tensor buffers kept for reuse; default 1 GiB, 0 disables.
    /// - convColumnBudget: most floats of im2col scratch per GEMM in `conv` (default 2 Mi = 8 MiB).
    /// - attentionScoreBudget: most floats of attention scores at once (default 4 Mi = 16 MiB).
    /// - precision: arithmetic of `linear` (default: `OMNIEDIT_CPU_PRECISION`, else f32).
    /// - attentionKernel: default the fastest this CPU runs (as capped by `OMNIEDIT_MAX_CPU_ISA`);
    ///   asking for one the CPU cannot run is an error.
    /// - directConv: run stride-1 convolutions with the direct kernel where the CPU has AVX-512;
    ///   false runs im2col + GEMM everywhere. Default: `OMNIEDIT_CPU_CONV` (direct | im2col), else direct.
    public init(
        threads: Int? = nil, attentionTile: (query: Int, key: Int) = (512, 1024), cacheBytes: Int = 1 << 30,
        convColumnBudget: Int = 2 << 20, attentionScoreBudget: Int = 4 << 20, precision: CPUPrecision? = nil,
        attentionKernel: CPUAttentionKernel? = nil, directConv: Bool? = nil
    ) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let t = threads ?? cores
        guard t >= 1, attentionTile.query >= 1, attentionTile.key >= 1 else {
            throw TensorError.invalidArgument(
                "CPUBackend: threads \(t) and attention tiles \(attentionTile) must be ≥ 1")
        }
        self.threads = t
        self.pool = BufferPool(limit: max(0, cacheBytes))
        self.convColumnBudget = max(1, convColumnBudget)
        self.attentionScoreBudget = max(1, attentionScoreBudget)
        self.attentionTile = attentionTile
        let blas = try OpenBLAS.load()
        self.blas = blas
        self.precision = try precision ?? CPUPrecision.fromEnvironment()
        self.bf16Kernel = blas.features.level >= .avx512bf16
        self.attentionKernel = try CPUAttentionKernel.choose(attentionKernel, features: blas.features)
        self.directConv = (try directConv ?? Self.directConvFromEnvironment()) && blas.features.level >= .avx512
        let linearNote =
            switch (self.precision, bf16Kernel) {
            case (.f32, _): ""
            case (_, true): "; linear \(self.precision.rawValue) (AVX512_BF16 kernel)"
            case (_, false): "; linear f32 (\(self.precision.rawValue) asked, this CPU has no AVX512_BF16)"
            }
        self.device = DeviceDescription(
            backend: "cpu",
            name:
                "\(Self.cpuModel()) (\(cores) cores; \(blas.summary), \(blas.threads) BLAS threads\(linearNote); "
                + "attention \(self.attentionKernel.rawValue); conv \(self.directConv ? "direct" : "im2col"))",
            kind: .cpu, memoryBytes: ProcessInfo.processInfo.physicalMemory)
    }

    private static func directConvFromEnvironment() throws -> Bool {
        switch ProcessInfo.processInfo.environment["OMNIEDIT_CPU_CONV"] {
        case nil, "", "direct": return true
        case "im2col": return false
        case let other?:
            throw TensorError.invalidArgument("OMNIEDIT_CPU_CONV must be direct or im2col, got '\(other)'")
        }
    }

    private static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "CPU"
    }

    /// Frees the idle buffers kept for reuse (e.g. when a render session ends); returns the bytes
    /// released. Tensors still alive are not affected.
    @discardableResult
    public func releaseCachedMemory() -> Int { pool.trim() }

    /// Bytes of idle buffers kept for reuse right now.
    public var cachedMemory: Int { pool.idleBytes }

    // MARK: Helpers shared by the kernels

    func countConvolution(_ flops: Double) { flopCounter.withLock { $0 += flops } }

    /// Host memory for a result or scratch buffer, recycled through the pool.
    func allocate(_ byteCount: Int, zeroed: Bool) throws -> CPUStorage {
        try CPUStorage(byteCount: byteCount, zeroed: zeroed, pool: pool)
    }

    func storage(_ x: Tensor, _ op: String) throws -> CPUStorage {
        try own(x, as: CPUStorage.self, op: op)
    }

    /// x as a contiguous f32 run: x's own memory when it already is one, else a converted copy.
    func f32(_ x: Tensor, _ op: String) throws -> F32Run {
        let s = try storage(x, op)
        if x.dtype == .f32 && x.isContiguous {
            return F32Run(storage: s, pointer: x.cpuAddress(s).assumingMemoryBound(to: Float.self))
        }
        let out = try allocate(x.count * 4, zeroed: false)
        stridedCopy(
            from: x.cpuAddress(s), x.dtype, strides: x.strides, to: out.base, .f32,
            strides: Layout.contiguousStrides(x.shape), shape: x.shape, threads: threads)
        return F32Run(storage: out, pointer: out.base.assumingMemoryBound(to: Float.self))
    }

    /// A new contiguous f32 tensor of `shape` (contents uninitialised unless `zeroed`).
    func output(_ shape: [Int], zeroed: Bool = false) throws -> (Tensor, UnsafeMutablePointer<Float>) {
        let n = try Layout.elementCount(shape, op: "output")
        let s = try allocate(n * 4, zeroed: zeroed)
        return (try Tensor(storage: s, dtype: .f32, shape: shape), s.base.assumingMemoryBound(to: Float.self))
    }

    /// Optional parameter vector (weight, bias, gamma) as a contiguous f32 run; its size was checked
    /// by the public op (`ShapeCheck.vector`).
    func vector(_ x: Tensor?, _ op: String) throws -> F32Run? {
        try x.map { try f32($0, op) }
    }

    // MARK: MemoryOps

    public func makeStorage(dtype: DType, count: Int) throws -> any TensorStorage {
        _ = try Layout.elementCount([count], op: "makeStorage")
        return try allocate(count * dtype.byteSize, zeroed: true)
    }

    public func upload(_ values: [Float], shape: [Int], dtype: DType) throws -> Tensor {
        guard values.count == (try Layout.elementCount(shape, op: "upload")) else {
            throw TensorError.shapeMismatch("upload: \(values.count) values for shape \(shape)")
        }
        let s = try allocate(values.count * dtype.byteSize, zeroed: false)
        values.withUnsafeBytes { src in
            stridedCopy(
                from: src.baseAddress ?? UnsafeRawPointer(s.base), .f32, strides: [1], to: s.base, dtype, strides: [1],
                shape: [values.count], threads: threads)
        }
        return try Tensor(storage: s, dtype: dtype, shape: shape)
    }

    public func upload(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> Tensor {
        guard bytes.count == (try Layout.elementCount(shape, op: "upload")) * dtype.byteSize else {
            throw TensorError.shapeMismatch("upload: \(bytes.count) bytes for \(dtype) shape \(shape)")
        }
        let s = try allocate(bytes.count, zeroed: false)
        if let src = bytes.baseAddress { s.base.copyMemory(from: src, byteCount: bytes.count) }
        return try Tensor(storage: s, dtype: dtype, shape: shape)
    }

    public func download(_ x: Tensor) throws -> [Float] {
        let s = try storage(x, "download")
        return [Float](unsafeUninitializedCapacity: x.count) { out, done in
            if let base = out.baseAddress {
                stridedCopy(
                    from: x.cpuAddress(s), x.dtype, strides: x.strides, to: UnsafeMutableRawPointer(base), .f32,
                    strides: Layout.contiguousStrides(x.shape), shape: x.shape, threads: threads)
            }
            done = x.count
        }
    }

    public func downloadBytes(_ x: Tensor) throws -> [UInt8] {
        let s = try storage(x, "downloadBytes")
        let n = x.count * x.dtype.byteSize
        return [UInt8](unsafeUninitializedCapacity: n) { out, done in
            if let base = out.baseAddress {
                stridedCopy(
                    from: x.cpuAddress(s), x.dtype, strides: x.strides, to: UnsafeMutableRawPointer(base), x.dtype,
                    strides: Layout.contiguousStrides(x.shape), shape: x.shape, threads: threads)
            }
            done = n
        }
    }

    public func fill(shape: [Int], value: Float, dtype: DType) throws -> Tensor {
        let n = try Layout.elementCount(shape, op: "fill")
        let s = try allocate(n * dtype.byteSize, zeroed: value == 0 && value.sign == .plus)
        if !(value == 0 && value.sign == .plus) {
            for i in 0..<n { storeElement(value, s.base, i, dtype) }
        }
        return try Tensor(storage: s, dtype: dtype, shape: shape)
    }

    public func synchronize() throws {}
}
