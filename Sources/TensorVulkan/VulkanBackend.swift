// The Vulkan implementation of `Backend`: tensors live in device buffers, every op is a compute
// shader (Shaders/<family>.comp) dispatched from Dispatch/<Family>.swift.
import Foundation
import Tensor

/// Tensor storage in a Vulkan device buffer (element data packed little-endian: f32 one per 32-bit
/// word, f16/bf16 two per word, low half first).
public final class VulkanStorage: TensorStorage {
    let buffer: VulkanBuffer
    public var byteCount: Int { buffer.byteCount }

    init(_ buffer: VulkanBuffer) { self.buffer = buffer }
}

/// The Vulkan compute backend. Ops record compute dispatches into a batch that is submitted when a
/// result is downloaded, on `synchronize`, or when the batch grows large; so a whole block of a
/// model is one or a few submissions.
///
/// Every op of `Op` runs on the device (`supports` is true for all); inputs that are views or
/// half-precision are gathered to contiguous f32 by the `copy` shader first, except weights, which
/// the GEMM reads as f16/bf16 directly.
public final class VulkanBackend: Backend, @unchecked Sendable {
    // @unchecked: the only state is the context, which serialises itself.
    /// The device context the backend runs on.
    public let context: VulkanContext

    /// The shader family of GEMM and attention.
    public let kernelStyle: KernelStyle

    public var device: DeviceDescription { context.description }

    /// Opens the best device `policy` allows: `.gpuOnly` for `BackendChoice.auto`, `.anyDevice`
    /// (CPU implementations such as lavapipe allowed) for an explicit Vulkan choice.
    ///
    /// - Parameter kernelStyle: nil picks by device kind (`KernelStyle.preferred(for:)`).
    /// - Throws: `VulkanError` when there is no Vulkan loader, driver or fitting device.
    public convenience init(policy: VulkanDevicePolicy = .anyDevice, kernelStyle: KernelStyle? = nil) throws {
        self.init(context: try VulkanContext.open(policy: policy), kernelStyle: kernelStyle)
    }

    /// A backend on an already open context (several backends may share one device).
    public init(context: VulkanContext, kernelStyle: KernelStyle? = nil) {
        self.context = context
        self.kernelStyle = kernelStyle ?? .preferred(for: context.description.kind)
    }

    public func synchronize() throws { try context.flush() }

    deinit {
        // A pending batch keeps its buffers, and they keep the context: submitting it here breaks
        // that cycle when the last backend on a context goes away with work still recorded.
        try? context.flush()
    }
}

/// Which family of shaders runs the heavy ops (GEMM behind `linear`/`matmul`/`conv`, and `attention`).
public enum KernelStyle: String, Sendable, Hashable, CaseIterable {
    /// gemm.comp and attention.comp: tiles staged in shared memory between barriers (GPUs).
    case tiled
    /// gemm_direct.comp and attention_direct.comp: no shared memory and no barriers, loads arranged
    /// to be uniform across a work group (CPU implementations such as lavapipe, which run a work group
    /// as SIMD lanes and make a barrier a coroutine switch).
    case direct

    /// `.direct` for a CPU implementation of Vulkan, `.tiled` for a GPU.
    public static func preferred(for kind: DeviceDescription.Kind) -> KernelStyle {
        kind == .softwareGPU || kind == .cpu ? .direct : .tiled
    }
}
