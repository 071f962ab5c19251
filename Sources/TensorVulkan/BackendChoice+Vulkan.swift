// The Vulkan half of `BackendChoice`: what Auto, Vulkan and CPU mean for this backend, in one place,
// so the caller only has to fall back to the CPU backend when this answers nil.
import Tensor

/// What `VulkanBackend.open(for:)` decided.
public enum VulkanChoiceOutcome: Sendable {
    /// Use this Vulkan backend.
    case vulkan(VulkanBackend)
    /// Use the CPU backend; `reason` says why, for the log (e.g. "Auto: no Vulkan GPU: …").
    case cpu(reason: String)
}

extension VulkanBackend {
    /// Resolves a user's backend choice against this machine's Vulkan devices.
    ///
    /// - `.cpu`: `.cpu` without touching Vulkan.
    /// - `.auto`: a Vulkan GPU (discrete, then integrated, then virtual) when one opens; otherwise
    ///   `.cpu` with the reason (no loader, no driver, only a CPU implementation such as lavapipe).
    /// - `.vulkan`: the best device including CPU implementations.
    /// - Throws: only for `.vulkan`, when no device can be opened (`VulkanError` naming why).
    public static func open(for choice: BackendChoice) throws -> VulkanChoiceOutcome {
        switch choice {
        case .cpu:
            return .cpu(reason: "CPU backend chosen")
        case .auto:
            do {
                return .vulkan(try VulkanBackend(policy: .gpuOnly))
            } catch {
                return .cpu(reason: "Auto: \(error)")
            }
        case .vulkan:
            return .vulkan(try VulkanBackend(policy: .anyDevice))
        }
    }
}
