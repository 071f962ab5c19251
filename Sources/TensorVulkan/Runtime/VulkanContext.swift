// One Vulkan device opened for compute: instance, logical device, one compute queue. Heavy state
// shared per process; every use of the queue and the command buffer is serialised by `lock`.
import CVulkan
import Foundation
import Tensor

/// An open Vulkan compute device: the instance, the chosen physical device, its logical device and
/// one compute queue, plus the pipeline cache and the command stream built on them.
///
/// Open one with `VulkanContext.open(policy:)`; it is released (device idle first) with its last reference.
public final class VulkanContext: @unchecked Sendable {
    // @unchecked: the Vulkan handles are immutable after init and all mutable state (pipelines,
    // command buffer, descriptor pools) is only touched under `lock`.
    let calls: VulkanCalls
    let instance: VkInstance
    let physical: VkPhysicalDevice
    let device: VkDevice
    let queue: VkQueue
    let queueFamily: UInt32
    let memory: VkPhysicalDeviceMemoryProperties
    /// `maxComputeSharedMemorySize`, `maxComputeWorkGroupCount[0]` …: shaders are sized to fit.
    let limits: VkPhysicalDeviceLimits
    /// Name, kind and memory of the device, for logs.
    public let description: DeviceDescription
    /// Whether device buffers in host-visible memory are mapped (false only in tests of the staging path).
    let mapsDeviceMemory: Bool

    let lock = NSLock()
    var pipelines: [PipelineKey: ComputePipeline] = [:]
    let pipelineCache: VkPipelineCache
    let commandPool: VkCommandPool
    let commandBuffer: VkCommandBuffer
    let fence: VkFence
    var descriptorPools: [VkDescriptorPool] = []
    var descriptorPoolInUse = 0
    /// The batch being recorded, submitted by `flush`.
    var pending: CommandRecorder?

    /// Environment variable that, when `1`, enables `VK_LAYER_KHRONOS_validation` if it is installed.
    public static let validationVariable = "OMNIEDIT_VULKAN_VALIDATION"
    /// Environment variable naming (a part of) the device to use, e.g. `"RTX"`.
    public static let deviceVariable = "OMNIEDIT_VULKAN_DEVICE"

    /// The Vulkan devices of this machine, in driver order, as selection sees them.
    ///
    /// - Throws: `VulkanError` when there is no loader or no driver (`VK_ERROR_INCOMPATIBLE_DRIVER`).
    public static func candidates() throws -> [VulkanDeviceCandidate] {
        let (loader, instance, calls) = try makeInstance()
        // The loader (the dlopen'ed library) must outlive every call through `calls`, destroy included.
        return try withExtendedLifetime(loader) {
            defer { calls.destroyInstance(instance, nil) }
            return try calls.physicalDevices(instance).map { describe($0, calls).candidate }
        }
    }

    /// Opens the best device `policy` allows (see `selectVulkanDevice`); `OMNIEDIT_VULKAN_DEVICE`
    /// narrows the choice by name.
    ///
    /// - Throws: `VulkanError` when no loader, no driver or no fitting device exists.
    public static func open(policy: VulkanDevicePolicy) throws -> VulkanContext {
        try open(policy: policy, mapsDeviceMemory: true)
    }

    /// `open(policy:)`; `mapsDeviceMemory: false` never maps device buffers even where the memory is
    /// host-visible, so every upload and download takes the staging-copy path of a discrete GPU
    /// (how tests prove that path on lavapipe, whose memory is all host-visible).
    static func open(policy: VulkanDevicePolicy, mapsDeviceMemory: Bool) throws -> VulkanContext {
        let (_, instance, calls) = try makeInstance()
        do {
            let physicals = try calls.physicalDevices(instance)
            let described = physicals.map { describe($0, calls) }
            let index = try selectVulkanDevice(
                described.map(\.candidate), policy: policy,
                nameContains: ProcessInfo.processInfo.environment[deviceVariable])
            return try VulkanContext(
                calls: calls, instance: instance, physical: physicals[index],
                queueFamily: described[index].computeFamily, mapsDeviceMemory: mapsDeviceMemory)
        } catch {
            calls.destroyInstance(instance, nil)
            throw error
        }
    }

    private static func makeInstance() throws -> (VulkanLoader, VkInstance, VulkanCalls) {
        let loader = try VulkanLoader.shared.get()
        var layers: [String] = []
        if ProcessInfo.processInfo.environment[validationVariable] == "1",
            vulkanInstanceLayers(loader).contains("VK_LAYER_KHRONOS_validation")
        {
            layers.append("VK_LAYER_KHRONOS_validation")
        }
        let instance = try vulkanCreateInstance(loader, layers: layers, extensions: [])
        do {
            return (loader, instance, try VulkanCalls(loader, instance))
        } catch {
            // Without the table there is no vkDestroyInstance either; fetch just that one.
            if let destroy = try? loader.function("vkDestroyInstance", instance, as: PFN_vkDestroyInstance.self) {
                destroy(instance, nil)
            }
            throw error
        }
    }

    private static func describe(_ physical: VkPhysicalDevice, _ calls: VulkanCalls) -> (
        candidate: VulkanDeviceCandidate, computeFamily: UInt32
    ) {
        var properties = VkPhysicalDeviceProperties()
        calls.getPhysicalDeviceProperties(physical, &properties)
        let kind: DeviceDescription.Kind =
            switch properties.deviceType {
            case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: .discreteGPU
            case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: .integratedGPU
            case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: .virtualGPU
            default: .softwareGPU  // CPU and OTHER: nothing to gain over the CPU backend
            }
        var count: UInt32 = 0
        calls.getPhysicalDeviceQueueFamilyProperties(physical, &count, nil)
        var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(count))
        calls.getPhysicalDeviceQueueFamilyProperties(physical, &count, &families)
        let compute = VkQueueFlags(VK_QUEUE_COMPUTE_BIT.rawValue)
        let graphics = VkQueueFlags(VK_QUEUE_GRAPHICS_BIT.rawValue)
        // A compute-only family first (async compute on discrete GPUs), else any family with compute.
        let family =
            families.firstIndex { $0.queueFlags & compute != 0 && $0.queueFlags & graphics == 0 }
            ?? families.firstIndex { $0.queueFlags & compute != 0 }
        let name = cString(tuple: properties.deviceName)
        return (
            VulkanDeviceCandidate(name: name, kind: kind, hasComputeQueue: family != nil),
            UInt32(family ?? 0)
        )
    }

    private init(
        calls: VulkanCalls, instance: VkInstance, physical: VkPhysicalDevice, queueFamily: UInt32,
        mapsDeviceMemory: Bool
    ) throws {
        self.mapsDeviceMemory = mapsDeviceMemory
        self.calls = calls
        self.instance = instance
        self.physical = physical
        self.queueFamily = queueFamily
        var properties = VkPhysicalDeviceProperties()
        calls.getPhysicalDeviceProperties(physical, &properties)
        limits = properties.limits
        var memory = VkPhysicalDeviceMemoryProperties()
        calls.getPhysicalDeviceMemoryProperties(physical, &memory)
        self.memory = memory

        var priority: Float = 1
        var queueInfo = VkDeviceQueueCreateInfo()
        queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
        queueInfo.queueFamilyIndex = queueFamily
        queueInfo.queueCount = 1
        let device = try withUnsafePointer(to: &priority) { priorityPointer in
            queueInfo.pQueuePriorities = priorityPointer
            return try withUnsafePointer(to: &queueInfo) { queuePointer in
                var info = VkDeviceCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                info.queueCreateInfoCount = 1
                info.pQueueCreateInfos = queuePointer
                return try calls.device(physical, &info)
            }
        }
        self.device = device
        var queue: VkQueue?
        calls.getDeviceQueue(device, queueFamily, 0, &queue)
        guard let queue else {
            calls.destroyDevice(device, nil)
            throw VulkanError("vkGetDeviceQueue returned no queue for family \(queueFamily)")
        }
        self.queue = queue

        let kind = Self.describe(physical, calls).candidate.kind
        let deviceLocal = (0..<Int(memory.memoryHeapCount)).map { Self.heap(memory, $0) }
            .filter { $0.flags & VkMemoryHeapFlags(VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue) != 0 }
            .map(\.size).max()
        description = DeviceDescription(
            backend: "vulkan", name: cString(tuple: properties.deviceName), kind: kind, memoryBytes: deviceLocal)

        // Partially built: release what exists if the rest fails.
        var built: (cache: VkPipelineCache?, pool: VkCommandPool?) = (nil, nil)
        do {
            built.cache = try calls.pipelineCache(device)
            var poolInfo = VkCommandPoolCreateInfo()
            poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
            poolInfo.flags = VkCommandPoolCreateFlags(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue)
            poolInfo.queueFamilyIndex = queueFamily
            built.pool = try calls.commandPool(device, &poolInfo)
            var bufferInfo = VkCommandBufferAllocateInfo()
            bufferInfo.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
            bufferInfo.commandPool = built.pool
            bufferInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
            bufferInfo.commandBufferCount = 1
            commandBuffer = try calls.commandBuffer(device, &bufferInfo)
            fence = try calls.fence(device)
        } catch {
            if let pool = built.pool { calls.destroyCommandPool(device, pool, nil) }
            if let cache = built.cache { calls.destroyPipelineCache(device, cache, nil) }
            calls.destroyDevice(device, nil)
            throw error
        }
        guard let cache = built.cache, let pool = built.pool else {
            calls.destroyDevice(device, nil)
            throw VulkanError("pipeline cache or command pool missing after creation")
        }
        pipelineCache = cache
        commandPool = pool
    }

    static func heap(_ memory: VkPhysicalDeviceMemoryProperties, _ index: Int) -> VkMemoryHeap {
        withUnsafeBytes(of: memory.memoryHeaps) {
            $0.load(fromByteOffset: index * MemoryLayout<VkMemoryHeap>.stride, as: VkMemoryHeap.self)
        }
    }

    static func type(_ memory: VkPhysicalDeviceMemoryProperties, _ index: Int) -> VkMemoryType {
        withUnsafeBytes(of: memory.memoryTypes) {
            $0.load(fromByteOffset: index * MemoryLayout<VkMemoryType>.stride, as: VkMemoryType.self)
        }
    }

    deinit {
        // Objects must not be destroyed while the device may still use them.
        try? flush()
        try? calls.waitIdle(device)
        for pipeline in pipelines.values { pipeline.destroy(calls, device) }
        for pool in descriptorPools { calls.destroyDescriptorPool(device, pool, nil) }
        calls.destroyFence(device, fence, nil)
        calls.destroyCommandPool(device, commandPool, nil)
        calls.destroyPipelineCache(device, pipelineCache, nil)
        calls.destroyDevice(device, nil)
        calls.destroyInstance(instance, nil)
    }
}
