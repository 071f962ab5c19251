/// Which backend a render should use. The selection logic that knows about Vulkan lives outside this
/// module (it needs `TensorVulkan`); this is only the user-facing choice.
///
/// - auto: a Vulkan GPU (discrete, then integrated) when one exists, else the CPU backend. A CPU
///   implementation of Vulkan (lavapipe) is for tests and is never picked by `auto`.
/// - vulkan: the best Vulkan device, including CPU implementations; an error when none exists.
/// - cpu: the OpenBLAS backend.
public enum BackendChoice: String, Sendable, Hashable, CaseIterable {
    case auto
    case vulkan
    case cpu
}

/// What a backend runs on, for logs and for `BackendChoice.auto`.
public struct DeviceDescription: Sendable, Hashable, CustomStringConvertible {
    /// The kind of device, in the order `auto` prefers them (GPU kinds first).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case discreteGPU
        case integratedGPU
        case virtualGPU
        /// A CPU implementation of a GPU API (e.g. Mesa lavapipe): correct but slow, tests only.
        case softwareGPU
        /// The host CPU through our own kernels (OpenBLAS backend).
        case cpu
    }

    /// Backend family, e.g. `"cpu"` or `"vulkan"`.
    public var backend: String
    /// Device name as the driver or OS reports it, e.g. `"AMD EPYC (2 threads, OpenBLAS 0.3.21)"`.
    public var name: String
    public var kind: Kind
    /// Memory the device can use for tensors, when known.
    public var memoryBytes: UInt64?

    public init(backend: String, name: String, kind: Kind, memoryBytes: UInt64? = nil) {
        self.backend = backend
        self.name = name
        self.kind = kind
        self.memoryBytes = memoryBytes
    }

    public var description: String {
        let memory = memoryBytes.map { ", \($0 / (1 << 20)) MiB" } ?? ""
        return "\(backend): \(name) (\(kind.rawValue)\(memory))"
    }
}
