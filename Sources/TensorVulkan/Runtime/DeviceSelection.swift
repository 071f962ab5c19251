// Device choice is pure logic over a list of descriptions, apart from the driver, so it can be tested
// with a fake device list (a machine with a real GPU is not needed to prove Auto skips lavapipe).
import Tensor

/// What the selection needs to know about one Vulkan physical device.
public struct VulkanDeviceCandidate: Sendable, Hashable {
    /// `VkPhysicalDeviceProperties.deviceName`, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`.
    public var name: String
    /// From `VkPhysicalDeviceType`; `VK_PHYSICAL_DEVICE_TYPE_CPU` maps to `.softwareGPU`.
    public var kind: DeviceDescription.Kind
    /// Whether a queue family supports compute; devices without one are never chosen.
    public var hasComputeQueue: Bool

    public init(name: String, kind: DeviceDescription.Kind, hasComputeQueue: Bool = true) {
        self.name = name
        self.kind = kind
        self.hasComputeQueue = hasComputeQueue
    }
}

/// Which Vulkan devices a caller accepts.
public enum VulkanDevicePolicy: Sendable, Hashable {
    /// `BackendChoice.auto`: GPUs only (discrete, integrated, virtual). A CPU implementation such as
    /// lavapipe is refused, because the CPU backend is faster on the same cores.
    case gpuOnly
    /// `BackendChoice.vulkan`: any device, CPU implementations last (how tests run on lavapipe).
    case anyDevice
}

/// Picks the device to run on: discrete GPU, then integrated, then virtual, then a CPU implementation
/// (only under `.anyDevice`); among equals, the first listed.
///
/// - Parameters:
///   - candidates: the devices in the driver's order.
///   - policy: `.gpuOnly` for Auto, `.anyDevice` for an explicit Vulkan choice.
///   - nameContains: when set (e.g. from `OMNIEDIT_VULKAN_DEVICE`), only devices whose name contains
///     it, case-insensitive, are considered.
/// - Returns: the index into `candidates`.
/// - Throws: `VulkanError` listing what exists and why none fits.
public func selectVulkanDevice(
    _ candidates: [VulkanDeviceCandidate], policy: VulkanDevicePolicy, nameContains: String? = nil
) throws -> Int {
    func rank(_ kind: DeviceDescription.Kind) -> Int? {
        switch kind {
        case .discreteGPU: 0
        case .integratedGPU: 1
        case .virtualGPU: 2
        case .softwareGPU: policy == .anyDevice ? 3 : nil
        case .cpu: nil
        }
    }
    let filter = nameContains.flatMap { $0.isEmpty ? nil : $0.lowercased() }
    var best: (index: Int, rank: Int)?
    for (index, device) in candidates.enumerated() where device.hasComputeQueue {
        if let filter, !device.name.lowercased().contains(filter) { continue }
        guard let r = rank(device.kind) else { continue }
        if r < (best?.rank ?? Int.max) { best = (index, r) }
    }
    if let best { return best.index }
    let listed =
        candidates.isEmpty
        ? "none"
        : candidates.map { "\($0.name) (\($0.kind.rawValue)\($0.hasComputeQueue ? "" : ", no compute queue"))" }
            .joined(separator: ", ")
    let wanted = policy == .gpuOnly ? "a Vulkan GPU (CPU implementations are not used by Auto)" : "a Vulkan device"
    let named = filter.map { " whose name contains \"\($0)\"" } ?? ""
    throw VulkanError("no \(wanted)\(named) with a compute queue; devices found: \(listed)")
}
