import Foundation
import Tensor

/// An OpenBLAS compute core ("kernel set") of a DYNAMIC_ARCH build, as `OPENBLAS_CORETYPE` names it.
public enum BLASCore: String, CaseIterable, Sendable {
    case sandybridge = "Sandybridge"
    case haswell = "Haswell"
    case zen = "Zen"
    case skylakex = "SkylakeX"
    case cooperlake = "Cooperlake"

    /// The core whose kernels fit `features` best, or nil below AVX (old CPUs, which OpenBLAS's own
    /// model table knows well). Chosen from instruction sets, never from the CPU model number:
    /// OpenBLAS 0.3.21 maps CPU models it does not know (new or virtualised ones) to its generic
    /// Prescott core, ~5× slower on an AVX-512 machine. Cooperlake's f32 kernels are SkylakeX's;
    /// it is chosen on AVX512_BF16 machines so a build with bf16 kernels finds them too.
    public static func choose(for features: CPUFeatures) -> BLASCore? {
        switch features.level {
        case .avx512bf16: .cooperlake
        case .avx512: .skylakex
        case .avx2: features.isAMD ? .zen : .haswell
        case .avx: .sandybridge
        case .baseline: nil
        }
    }
}

/// How the OpenBLAS core of this process was settled.
public enum BLASCoreDecision: Equatable, Sendable {
    /// We asked for this core (set `OPENBLAS_CORETYPE` just for the library's initialisation).
    case chosen(BLASCore)
    /// The user's `OPENBLAS_CORETYPE`, left as it is.
    case user(String)
    /// The library was already loaded in this process (by the host) before we could choose.
    case alreadyLoaded
    /// A CPU below AVX: OpenBLAS's own detection.
    case libraryDefault

    /// What to do, given the active CPU features, the user's `OPENBLAS_CORETYPE` (nil or empty when
    /// unset) and whether the library is already in the process.
    public static func decide(features: CPUFeatures, userCoreType: String?, alreadyLoaded: Bool) -> Self {
        if alreadyLoaded { return .alreadyLoaded }
        if let user = userCoreType, !user.isEmpty { return .user(user) }
        if let core = BLASCore.choose(for: features) { return .chosen(core) }
        return .libraryDefault
    }

    public var description: String {
        switch self {
        case .chosen(let core): "chosen by omniedit: \(core.rawValue)"
        case .user(let name): "OPENBLAS_CORETYPE=\(name) (set by the user)"
        case .alreadyLoaded: "library already loaded by the host process, its own choice"
        case .libraryDefault: "OpenBLAS's own detection (CPU below AVX)"
        }
    }
}

/// OpenBLAS, opened at run time (not linked) so that the core is ours to choose: the library reads
/// `OPENBLAS_CORETYPE` once, while it initialises. Loaded once per process, on first use.
public final class OpenBLAS: @unchecked Sendable {
    // @unchecked: immutable after init; the function pointers are thread-safe C entry points.

    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
        Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    typealias GetInt = @convention(c) () -> Int32
    typealias SetInt = @convention(c) (Int32) -> Void
    typealias GetString = @convention(c) () -> UnsafePointer<CChar>?

    /// CBLAS enum values (cblas.h).
    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112

    let sgemmEntry: SGEMM
    let getThreads: GetInt
    let setThreads: SetInt
    /// The features the choice was made from.
    public let features: CPUFeatures
    public let decision: BLASCoreDecision
    /// The core the library runs (`openblas_get_corename`), e.g. "Cooperlake".
    public let runningCore: String
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".
    public let config: String
    /// The file that was opened.
    public let library: String

    /// The process's OpenBLAS, loaded on first access; a failure (no library, unknown
    /// `OMNIEDIT_MAX_CPU_ISA`) is kept and reported by every CPU backend created.
    public static let shared: Result<OpenBLAS, TensorError> = {
        do { return .success(try OpenBLAS()) } catch let error as TensorError { return .failure(error) } catch {
            return .failure(.backendFailure("CPU backend: \(error)"))
        }
    }()

    /// Sonames tried in order: the runtime package's, then the development symlink.
    static let libraryNames = ["libopenblas.so.0", "libopenblas.so"]

    private init() throws {
        let features = try CPUFeatures.active.get()
        let loadedName = Self.libraryNames.first { dlopen($0, RTLD_NOW | RTLD_NOLOAD) != nil }
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let decision = BLASCoreDecision.decide(features: features, userCoreType: user, alreadyLoaded: loadedName != nil)
        var handle: UnsafeMutableRawPointer?
        var opened = ""
        var errors: [String] = []
        for name in loadedName.map({ [$0] }) ?? Self.libraryNames {
            if case .chosen(let core) = decision {
                // Set only for the library's constructor and removed again: the user had not set it,
                // and the host's environment should not change behind its back.
                setenv("OPENBLAS_CORETYPE", core.rawValue, 1)
                handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
                unsetenv("OPENBLAS_CORETYPE")
            } else {
                handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            }
            if handle != nil {
                opened = name
                break
            }
            errors.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let handle else {
            throw TensorError.backendFailure(
                "CPU backend: OpenBLAS could not be loaded (install libopenblas0): \(errors.joined(separator: "; "))")
        }
        func symbol<F>(_ name: String, as type: F.Type) throws -> F {
            guard let p = dlsym(handle, name) else {
                throw TensorError.backendFailure("CPU backend: \(opened) has no \(name)")
            }
            return unsafeBitCast(p, to: type)
        }
        sgemmEntry = try symbol("cblas_sgemm", as: SGEMM.self)
        getThreads = try symbol("openblas_get_num_threads", as: GetInt.self)
        setThreads = try symbol("openblas_set_num_threads", as: SetInt.self)
        let corename = try symbol("openblas_get_corename", as: GetString.self)
        let getConfig = try symbol("openblas_get_config", as: GetString.self)
        // One thread count for both sides: OpenBLAS counts the CPUs it may run on, Foundation's
        // active count also honours a container's CPU quota; more BLAS threads than that only queue
        // and spin (sched_yield) against the Swift kernels' threads.
        if let count = Self.threadCount(
            environment: ProcessInfo.processInfo.environment, cores: ProcessInfo.processInfo.activeProcessorCount),
            count != Int(getThreads())
        {
            setThreads(Int32(count))
        }
        runningCore = corename().map { String(cString: $0) } ?? "unknown"
        config = getConfig().map { String(cString: $0) } ?? "OpenBLAS"
        self.features = features
        self.decision = decision
        self.library = opened
        // A debug line for hosts (Natron, ofx-host): which kernels the plugin's renders run on.
        if let flag = ProcessInfo.processInfo.environment["OMNIEDIT_DEBUG"], !flag.isEmpty, flag != "0" {
            FileHandle.standardError.write(Data("omniedit: \(summary) [\(opened)]\n".utf8))
        }
    }

    /// The BLAS thread count to set: the cores this process may use, unless the user set one of the
    /// variables OpenBLAS reads (then nil: theirs stands).
    static func threadCount(environment: [String: String], cores: Int) -> Int? {
        let userSet = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"].contains {
            !(environment[$0] ?? "").isEmpty
        }
        return userSet ? nil : max(1, cores)
    }

    /// The process's OpenBLAS or the reason it cannot be used.
    public static func load() throws -> OpenBLAS { try shared.get() }

    /// One line for reports: the running core, how it was settled, the CPU it was settled for.
    public var summary: String {
        "OpenBLAS core \(runningCore) (\(decision.description); CPU: \(features.summary))"
    }

    /// True when the library runs the core we asked for (always true when we did not ask).
    public var runsChosenCore: Bool {
        guard case .chosen(let core) = decision else { return true }
        return runningCore.caseInsensitiveCompare(core.rawValue) == .orderedSame
    }

    public var threads: Int { Int(getThreads()) }

    /// Row-major C[m, n] = alpha·op(A)·op(B) + beta·C; every size and leading dimension must fit Int32
    /// (the callers check).
    @inline(__always)
    func sgemm(
        transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemmEntry(
            Self.rowMajor, transA ? Self.trans : Self.noTrans, transB ? Self.trans : Self.noTrans, Int32(m), Int32(n),
            Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
