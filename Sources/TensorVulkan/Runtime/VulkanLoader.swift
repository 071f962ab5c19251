// The Vulkan loader is opened at run time (dlopen), not linked: the plugin must load, and fall back to
// the CPU backend, on a machine without libvulkan — a link-time dependency would stop the whole
// bundle from loading there.
import CVulkan

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error of the Vulkan backend; the message names the call or the condition that failed.
public struct VulkanError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed, e.g. "vkCreateBuffer (4194304 bytes) failed: VK_ERROR_OUT_OF_DEVICE_MEMORY".
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The loader's library and its one exported entry point, `vkGetInstanceProcAddr`.
///
/// Every other function is fetched through it (`VulkanCalls`), so the process never links Vulkan.
struct VulkanLoader: @unchecked Sendable {
    // A C function pointer and a dlopen handle: immutable after load, safe to share.
    let getInstanceProcAddr: PFN_vkGetInstanceProcAddr

    /// The process-wide loader, or why it could not be opened. Opened once; never closed, because
    /// Vulkan objects created through it may live until the process exits.
    static let shared: Result<VulkanLoader, VulkanError> = open()

    private static func open() -> Result<VulkanLoader, VulkanError> {
        #if os(macOS)
            let names = ["libvulkan.1.dylib", "libMoltenVK.dylib"]
        #else
            let names = ["libvulkan.so.1", "libvulkan.so"]
        #endif
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let symbol = dlsym(handle, "vkGetInstanceProcAddr") else { continue }
            return .success(
                VulkanLoader(getInstanceProcAddr: unsafeBitCast(symbol, to: PFN_vkGetInstanceProcAddr.self)))
        }
        return .failure(
            VulkanError(
                "no Vulkan loader: could not open \(names.joined(separator: " or ")) "
                    + "(install libvulkan1 and a driver, e.g. mesa-vulkan-drivers)"))
    }

    /// Looks up `name` for `instance` (nil for the global functions) and casts it to `F`.
    func function<F>(_ name: String, _ instance: VkInstance?, as type: F.Type) throws -> F {
        guard let raw = getInstanceProcAddr(instance, name) else {
            throw VulkanError("the Vulkan loader has no entry point \(name)")
        }
        return unsafeBitCast(raw, to: F.self)
    }
}

/// The name of a `VkResult`, for error messages.
func vulkanResultName(_ result: VkResult) -> String {
    switch result {
    case VK_SUCCESS: return "VK_SUCCESS"
    case VK_NOT_READY: return "VK_NOT_READY"
    case VK_TIMEOUT: return "VK_TIMEOUT"
    case VK_INCOMPLETE: return "VK_INCOMPLETE"
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY"
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY"
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED"
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST"
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED"
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT"
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT"
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT"
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER (no Vulkan driver installed)"
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS"
    case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED"
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL"
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY"
    default: return "VkResult(\(result.rawValue))"
    }
}

/// Throws a `VulkanError` naming `call` unless `result` is `VK_SUCCESS`.
func vulkanCheck(_ result: VkResult, _ call: @autoclosure () -> String) throws {
    guard result == VK_SUCCESS else {
        throw VulkanError("\(call()) failed: \(vulkanResultName(result))")
    }
}
