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

    /// The GEMM shader behind `linear`, `matmul` and `conv`.
    public let gemmKernel: GEMMKernel

    public var device: DeviceDescription { context.description }

    /// Opens the best device `policy` allows: `.gpuOnly` for `BackendChoice.auto`, `.anyDevice`
    /// (CPU implementations such as lavapipe allowed) for an explicit Vulkan choice.
    ///
    /// - Parameter gemmKernel: nil picks by device kind (`GEMMKernel.preferred(for:)`).
    /// - Throws: `VulkanError` when there is no Vulkan loader, driver or fitting device.
    public convenience init(policy: VulkanDevicePolicy = .anyDevice, gemmKernel: GEMMKernel? = nil) throws {
        self.init(context: try VulkanContext.open(policy: policy), gemmKernel: gemmKernel)
    }

    /// A backend on an already open context (several backends may share one device).
    public init(context: VulkanContext, gemmKernel: GEMMKernel? = nil) {
        self.context = context
        self.gemmKernel = gemmKernel ?? .preferred(for: context.description.kind)
    }

    public func synchronize() throws { try context.flush() }
}

/// Which GEMM shader runs the matrix products.
public enum GEMMKernel: String, Sendable, Hashable, CaseIterable {
    /// gemm.comp: 64×64 tiles staged in shared memory, 4×4 outputs per thread (GPUs).
    case tiled
    /// gemm_direct.comp: 8×32 outputs per work group of 8 invocations read straight from memory, no
    /// barriers (CPU implementations such as lavapipe, where a barrier is a coroutine switch).
    case direct

    /// `.direct` for a CPU implementation of Vulkan, `.tiled` for a GPU.
    public static func preferred(for kind: DeviceDescription.Kind) -> GEMMKernel {
        kind == .softwareGPU || kind == .cpu ? .direct : .tiled
    }
}
