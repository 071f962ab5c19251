import CCPUKernels
import Foundation
import Tensor

/// The instruction-set levels the CPU backend tells apart, lowest first. Each level includes the
/// ones below it; a level counts only when the operating system also saves its registers.
public enum CPULevel: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    /// x86-64 without AVX (SSE only).
    case baseline
    case avx
    /// AVX2 + FMA.
    case avx2
    /// AVX-512 F, DQ, BW and VL (Skylake-SP, Ice Lake, Zen 4 …).
    case avx512
    /// AVX-512 plus AVX512_BF16 (`vdpbf16ps`: Cooper Lake, Sapphire Rapids, Zen 4 …).
    case avx512bf16

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The spelling `OMNIEDIT_MAX_CPU_ISA` takes.
    public var description: String {
        switch self {
        case .baseline: "baseline"
        case .avx: "avx"
        case .avx2: "avx2"
        case .avx512: "avx512"
        case .avx512bf16: "avx512_bf16"
        }
    }

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = level
    }
}

/// What the processor and the operating system support, as the CPU backend needs it.
public struct CPUFeatures: Equatable, Sendable {
    /// cpuid's vendor string ("GenuineIntel", "AuthenticAMD", …).
    public var vendor: String
    public var avx = false
    public var avx2 = false
    public var fma = false
    public var avx512f = false
    public var avx512dq = false
    public var avx512bw = false
    public var avx512vl = false
    public var avx512bf16 = false
    /// The OS saves the YMM (AVX) / ZMM (AVX-512) registers; without it those instructions fault.
    public var osSavesYMM = false
    public var osSavesZMM = false

    public init(vendor: String) { self.vendor = vendor }

    /// The highest level every instruction of which this CPU and OS can run.
    public var level: CPULevel {
        guard avx && osSavesYMM else { return .baseline }
        guard avx2 && fma else { return .avx }
        guard avx512f && avx512dq && avx512bw && avx512vl && osSavesZMM else { return .avx2 }
        return avx512bf16 ? .avx512bf16 : .avx512
    }

    public var isAMD: Bool { vendor == "AuthenticAMD" || vendor == "HygonGenuine" }

    /// The same CPU seen as if it stopped at `cap` (what `OMNIEDIT_MAX_CPU_ISA` does: forces a
    /// slower path to compare against, like oneDNN's `ONEDNN_MAX_CPU_ISA`).
    public func capped(at cap: CPULevel) -> CPUFeatures {
        var f = self
        if cap < .avx512bf16 { f.avx512bf16 = false }
        if cap < .avx512 { (f.avx512f, f.avx512dq, f.avx512bw, f.avx512vl, f.osSavesZMM) = (false, false, false, false, false) }
        if cap < .avx2 { (f.avx2, f.fma) = (false, false) }
        if cap < .avx { (f.avx, f.osSavesYMM) = (false, false) }
        return f
    }

    /// Short list for reports, e.g. "AuthenticAMD avx2 fma avx512 avx512_bf16".
    public var summary: String {
        var parts = [vendor.isEmpty ? "unknown vendor" : vendor]
        if avx && osSavesYMM { parts.append("avx") }
        if avx2 { parts.append("avx2") }
        if fma { parts.append("fma") }
        if level >= .avx512 { parts.append("avx512") }
        if avx512bf16 && level >= .avx512 { parts.append("avx512_bf16") }
        return parts.joined(separator: " ")
    }

    /// This machine's CPU, probed with cpuid.
    public static func probe() -> CPUFeatures {
        var raw = OECPUFeatures()
        oe_cpu_features(&raw)
        let vendor = withUnsafeBytes(of: raw.vendor) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        var f = CPUFeatures(vendor: vendor)
        f.avx = raw.avx != 0
        f.avx2 = raw.avx2 != 0
        f.fma = raw.fma != 0
        f.avx512f = raw.avx512f != 0
        f.avx512dq = raw.avx512dq != 0
        f.avx512bw = raw.avx512bw != 0
        f.avx512vl = raw.avx512vl != 0
        f.avx512bf16 = raw.avx512bf16 != 0
        f.osSavesYMM = raw.osYMM != 0
        f.osSavesZMM = raw.osZMM != 0
        return f
    }

    /// The features the CPU backend uses in this process: the probe, capped by the environment
    /// variable `OMNIEDIT_MAX_CPU_ISA` (baseline, avx, avx2, avx512, avx512_bf16) when set. A value
    /// it does not know is an error (reported when a CPU backend is created), not silently ignored.
    public static let active: Result<CPUFeatures, TensorError> = {
        let probed = probe()
        guard let name = ProcessInfo.processInfo.environment["OMNIEDIT_MAX_CPU_ISA"], !name.isEmpty else {
            return .success(probed)
        }
        guard let cap = CPULevel(name: name) else {
            return .failure(
                .invalidArgument(
                    "OMNIEDIT_MAX_CPU_ISA=\(name) is not one of \(CPULevel.allCases.map(\.description).joined(separator: ", "))"
                ))
        }
        return .success(probed.capped(at: cap))
    }()
}
