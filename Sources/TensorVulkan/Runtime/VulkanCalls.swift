// Every Vulkan call of the backend goes through this file: each `vk*` that returns a `VkResult` is
// wrapped once here and throws a `VulkanError` naming the call, so no caller can forget a check.
import CVulkan

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Creates a Vulkan instance through the global entry points of `loader`.
///
/// - Parameters: `layers`, `extensions`: names to enable (already checked to exist).
/// - Throws: `VulkanError` naming `vkCreateInstance` and the result, e.g. no driver installed.
func vulkanCreateInstance(_ loader: VulkanLoader, layers: [String], extensions: [String]) throws -> VkInstance {
    let create = try loader.function("vkCreateInstance", nil, as: PFN_vkCreateInstance.self)
    var instance: VkInstance?
    let result = withCStrings(layers) { layerNames in
        withCStrings(extensions) { extensionNames in
            "OmniEditOFX".withCString { appName in
                var app = VkApplicationInfo()
                app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
                app.pApplicationName = appName
                app.pEngineName = appName
                app.apiVersion = vulkanAPIVersion(1, 1)
                return withUnsafePointer(to: &app) { appPointer in
                    var info = VkInstanceCreateInfo()
                    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                    info.pApplicationInfo = appPointer
                    info.enabledLayerCount = UInt32(layers.count)
                    info.ppEnabledLayerNames = layerNames
                    info.enabledExtensionCount = UInt32(extensions.count)
                    info.ppEnabledExtensionNames = extensionNames
                    return create(&info, nil, &instance)
                }
            }
        }
    }
    try vulkanCheck(result, "vkCreateInstance")
    guard let instance else { throw VulkanError("vkCreateInstance returned no instance") }
    return instance
}

/// Names of the instance layers the loader offers (empty when it cannot list them).
func vulkanInstanceLayers(_ loader: VulkanLoader) -> [String] {
    guard
        let enumerate = try? loader.function(
            "vkEnumerateInstanceLayerProperties", nil, as: PFN_vkEnumerateInstanceLayerProperties.self)
    else { return [] }
    var count: UInt32 = 0
    guard enumerate(&count, nil) == VK_SUCCESS, count > 0 else { return [] }
    var properties = [VkLayerProperties](repeating: VkLayerProperties(), count: Int(count))
    guard enumerate(&count, &properties) == VK_SUCCESS else { return [] }
    return properties.prefix(Int(count)).map { cString(tuple: $0.layerName) }
}

/// `VK_MAKE_API_VERSION(0, major, minor, 0)`.
func vulkanAPIVersion(_ major: UInt32, _ minor: UInt32) -> UInt32 { (major << 22) | (minor << 12) }

/// The instance- and device-level entry points the backend uses, fetched once per instance.
struct VulkanCalls: @unchecked Sendable {
    // Immutable C function pointers: safe to share between threads.
    let destroyInstance: PFN_vkDestroyInstance
    let enumeratePhysicalDevices: PFN_vkEnumeratePhysicalDevices
    let getPhysicalDeviceProperties: PFN_vkGetPhysicalDeviceProperties
    let getPhysicalDeviceQueueFamilyProperties: PFN_vkGetPhysicalDeviceQueueFamilyProperties
    let getPhysicalDeviceMemoryProperties: PFN_vkGetPhysicalDeviceMemoryProperties
    let createDevice: PFN_vkCreateDevice
    let destroyDevice: PFN_vkDestroyDevice
    let getDeviceQueue: PFN_vkGetDeviceQueue
    let deviceWaitIdle: PFN_vkDeviceWaitIdle
    let createBuffer: PFN_vkCreateBuffer
    let destroyBuffer: PFN_vkDestroyBuffer
    let getBufferMemoryRequirements: PFN_vkGetBufferMemoryRequirements
    let allocateMemory: PFN_vkAllocateMemory
    let freeMemory: PFN_vkFreeMemory
    let bindBufferMemory: PFN_vkBindBufferMemory
    let mapMemory: PFN_vkMapMemory
    let unmapMemory: PFN_vkUnmapMemory
    let flushMappedMemoryRanges: PFN_vkFlushMappedMemoryRanges
    let invalidateMappedMemoryRanges: PFN_vkInvalidateMappedMemoryRanges
    let createShaderModule: PFN_vkCreateShaderModule
    let destroyShaderModule: PFN_vkDestroyShaderModule
    let createDescriptorSetLayout: PFN_vkCreateDescriptorSetLayout
    let destroyDescriptorSetLayout: PFN_vkDestroyDescriptorSetLayout
    let createPipelineLayout: PFN_vkCreatePipelineLayout
    let destroyPipelineLayout: PFN_vkDestroyPipelineLayout
    let createPipelineCache: PFN_vkCreatePipelineCache
    let destroyPipelineCache: PFN_vkDestroyPipelineCache
    let createComputePipelines: PFN_vkCreateComputePipelines
    let destroyPipeline: PFN_vkDestroyPipeline
    let createDescriptorPool: PFN_vkCreateDescriptorPool
    let destroyDescriptorPool: PFN_vkDestroyDescriptorPool
    let resetDescriptorPool: PFN_vkResetDescriptorPool
    let allocateDescriptorSets: PFN_vkAllocateDescriptorSets
    let updateDescriptorSets: PFN_vkUpdateDescriptorSets
    let createCommandPool: PFN_vkCreateCommandPool
    let destroyCommandPool: PFN_vkDestroyCommandPool
    let allocateCommandBuffers: PFN_vkAllocateCommandBuffers
    let resetCommandBuffer: PFN_vkResetCommandBuffer
    let beginCommandBuffer: PFN_vkBeginCommandBuffer
    let endCommandBuffer: PFN_vkEndCommandBuffer
    let cmdBindPipeline: PFN_vkCmdBindPipeline
    let cmdBindDescriptorSets: PFN_vkCmdBindDescriptorSets
    let cmdPushConstants: PFN_vkCmdPushConstants
    let cmdDispatch: PFN_vkCmdDispatch
    let cmdPipelineBarrier: PFN_vkCmdPipelineBarrier
    let cmdCopyBuffer: PFN_vkCmdCopyBuffer
    let cmdFillBuffer: PFN_vkCmdFillBuffer
    let queueSubmit: PFN_vkQueueSubmit
    let createFence: PFN_vkCreateFence
    let destroyFence: PFN_vkDestroyFence
    let waitForFences: PFN_vkWaitForFences
    let resetFences: PFN_vkResetFences

    init(_ loader: VulkanLoader, _ instance: VkInstance) throws {
        func f<F>(_ name: String, _ type: F.Type) throws -> F { try loader.function(name, instance, as: type) }
        destroyInstance = try f("vkDestroyInstance", PFN_vkDestroyInstance.self)
        enumeratePhysicalDevices = try f("vkEnumeratePhysicalDevices", PFN_vkEnumeratePhysicalDevices.self)
        getPhysicalDeviceProperties = try f("vkGetPhysicalDeviceProperties", PFN_vkGetPhysicalDeviceProperties.self)
        getPhysicalDeviceQueueFamilyProperties = try f(
            "vkGetPhysicalDeviceQueueFamilyProperties", PFN_vkGetPhysicalDeviceQueueFamilyProperties.self)
        getPhysicalDeviceMemoryProperties = try f(
            "vkGetPhysicalDeviceMemoryProperties", PFN_vkGetPhysicalDeviceMemoryProperties.self)
        createDevice = try f("vkCreateDevice", PFN_vkCreateDevice.self)
        destroyDevice = try f("vkDestroyDevice", PFN_vkDestroyDevice.self)
        getDeviceQueue = try f("vkGetDeviceQueue", PFN_vkGetDeviceQueue.self)
        deviceWaitIdle = try f("vkDeviceWaitIdle", PFN_vkDeviceWaitIdle.self)
        createBuffer = try f("vkCreateBuffer", PFN_vkCreateBuffer.self)
        destroyBuffer = try f("vkDestroyBuffer", PFN_vkDestroyBuffer.self)
        getBufferMemoryRequirements = try f("vkGetBufferMemoryRequirements", PFN_vkGetBufferMemoryRequirements.self)
        allocateMemory = try f("vkAllocateMemory", PFN_vkAllocateMemory.self)
        freeMemory = try f("vkFreeMemory", PFN_vkFreeMemory.self)
        bindBufferMemory = try f("vkBindBufferMemory", PFN_vkBindBufferMemory.self)
        mapMemory = try f("vkMapMemory", PFN_vkMapMemory.self)
        unmapMemory = try f("vkUnmapMemory", PFN_vkUnmapMemory.self)
        flushMappedMemoryRanges = try f("vkFlushMappedMemoryRanges", PFN_vkFlushMappedMemoryRanges.self)
        invalidateMappedMemoryRanges = try f(
            "vkInvalidateMappedMemoryRanges", PFN_vkInvalidateMappedMemoryRanges.self)
        createShaderModule = try f("vkCreateShaderModule", PFN_vkCreateShaderModule.self)
        destroyShaderModule = try f("vkDestroyShaderModule", PFN_vkDestroyShaderModule.self)
        createDescriptorSetLayout = try f("vkCreateDescriptorSetLayout", PFN_vkCreateDescriptorSetLayout.self)
        destroyDescriptorSetLayout = try f("vkDestroyDescriptorSetLayout", PFN_vkDestroyDescriptorSetLayout.self)
        createPipelineLayout = try f("vkCreatePipelineLayout", PFN_vkCreatePipelineLayout.self)
        destroyPipelineLayout = try f("vkDestroyPipelineLayout", PFN_vkDestroyPipelineLayout.self)
        createPipelineCache = try f("vkCreatePipelineCache", PFN_vkCreatePipelineCache.self)
        destroyPipelineCache = try f("vkDestroyPipelineCache", PFN_vkDestroyPipelineCache.self)
        createComputePipelines = try f("vkCreateComputePipelines", PFN_vkCreateComputePipelines.self)
        destroyPipeline = try f("vkDestroyPipeline", PFN_vkDestroyPipeline.self)
        createDescriptorPool = try f("vkCreateDescriptorPool", PFN_vkCreateDescriptorPool.self)
        destroyDescriptorPool = try f("vkDestroyDescriptorPool", PFN_vkDestroyDescriptorPool.self)
        resetDescriptorPool = try f("vkResetDescriptorPool", PFN_vkResetDescriptorPool.self)
        allocateDescriptorSets = try f("vkAllocateDescriptorSets", PFN_vkAllocateDescriptorSets.self)
        updateDescriptorSets = try f("vkUpdateDescriptorSets", PFN_vkUpdateDescriptorSets.self)
        createCommandPool = try f("vkCreateCommandPool", PFN_vkCreateCommandPool.self)
        destroyCommandPool = try f("vkDestroyCommandPool", PFN_vkDestroyCommandPool.self)
        allocateCommandBuffers = try f("vkAllocateCommandBuffers", PFN_vkAllocateCommandBuffers.self)
        resetCommandBuffer = try f("vkResetCommandBuffer", PFN_vkResetCommandBuffer.self)
        beginCommandBuffer = try f("vkBeginCommandBuffer", PFN_vkBeginCommandBuffer.self)
        endCommandBuffer = try f("vkEndCommandBuffer", PFN_vkEndCommandBuffer.self)
        cmdBindPipeline = try f("vkCmdBindPipeline", PFN_vkCmdBindPipeline.self)
        cmdBindDescriptorSets = try f("vkCmdBindDescriptorSets", PFN_vkCmdBindDescriptorSets.self)
        cmdPushConstants = try f("vkCmdPushConstants", PFN_vkCmdPushConstants.self)
        cmdDispatch = try f("vkCmdDispatch", PFN_vkCmdDispatch.self)
        cmdPipelineBarrier = try f("vkCmdPipelineBarrier", PFN_vkCmdPipelineBarrier.self)
        cmdCopyBuffer = try f("vkCmdCopyBuffer", PFN_vkCmdCopyBuffer.self)
        cmdFillBuffer = try f("vkCmdFillBuffer", PFN_vkCmdFillBuffer.self)
        queueSubmit = try f("vkQueueSubmit", PFN_vkQueueSubmit.self)
        createFence = try f("vkCreateFence", PFN_vkCreateFence.self)
        destroyFence = try f("vkDestroyFence", PFN_vkDestroyFence.self)
        waitForFences = try f("vkWaitForFences", PFN_vkWaitForFences.self)
        resetFences = try f("vkResetFences", PFN_vkResetFences.self)
    }

    // MARK: Checked wrappers: one per VkResult-returning call.

    func physicalDevices(_ instance: VkInstance) throws -> [VkPhysicalDevice] {
        var count: UInt32 = 0
        try vulkanCheck(enumeratePhysicalDevices(instance, &count, nil), "vkEnumeratePhysicalDevices")
        var devices = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try vulkanCheck(enumeratePhysicalDevices(instance, &count, &devices), "vkEnumeratePhysicalDevices")
        return devices.prefix(Int(count)).compactMap { $0 }
    }

    func device(_ physical: VkPhysicalDevice, _ info: inout VkDeviceCreateInfo) throws -> VkDevice {
        var device: VkDevice?
        try vulkanCheck(createDevice(physical, &info, nil, &device), "vkCreateDevice")
        guard let device else { throw VulkanError("vkCreateDevice returned no device") }
        return device
    }

    func waitIdle(_ device: VkDevice) throws { try vulkanCheck(deviceWaitIdle(device), "vkDeviceWaitIdle") }

    func buffer(_ device: VkDevice, _ info: inout VkBufferCreateInfo) throws -> VkBuffer {
        var buffer: VkBuffer?
        try vulkanCheck(createBuffer(device, &info, nil, &buffer), "vkCreateBuffer (\(info.size) bytes)")
        guard let buffer else { throw VulkanError("vkCreateBuffer returned no buffer") }
        return buffer
    }

    func memory(_ device: VkDevice, _ info: inout VkMemoryAllocateInfo) throws -> VkDeviceMemory {
        var memory: VkDeviceMemory?
        try vulkanCheck(
            allocateMemory(device, &info, nil, &memory),
            "vkAllocateMemory (\(info.allocationSize) bytes, type \(info.memoryTypeIndex))")
        guard let memory else { throw VulkanError("vkAllocateMemory returned no memory") }
        return memory
    }

    func bind(_ device: VkDevice, _ buffer: VkBuffer, _ memory: VkDeviceMemory) throws {
        try vulkanCheck(bindBufferMemory(device, buffer, memory, 0), "vkBindBufferMemory")
    }

    func map(_ device: VkDevice, _ memory: VkDeviceMemory, size: UInt64) throws -> UnsafeMutableRawPointer {
        var pointer: UnsafeMutableRawPointer?
        try vulkanCheck(mapMemory(device, memory, 0, size, 0, &pointer), "vkMapMemory (\(size) bytes)")
        guard let pointer else { throw VulkanError("vkMapMemory returned no pointer") }
        return pointer
    }

    func flush(_ device: VkDevice, _ ranges: inout [VkMappedMemoryRange]) throws {
        try vulkanCheck(
            flushMappedMemoryRanges(device, UInt32(ranges.count), &ranges), "vkFlushMappedMemoryRanges")
    }

    func invalidate(_ device: VkDevice, _ ranges: inout [VkMappedMemoryRange]) throws {
        try vulkanCheck(
            invalidateMappedMemoryRanges(device, UInt32(ranges.count), &ranges), "vkInvalidateMappedMemoryRanges")
    }

    func shaderModule(_ device: VkDevice, _ info: inout VkShaderModuleCreateInfo, name: String) throws
        -> VkShaderModule
    {
        var module: VkShaderModule?
        try vulkanCheck(createShaderModule(device, &info, nil, &module), "vkCreateShaderModule (\(name))")
        guard let module else { throw VulkanError("vkCreateShaderModule returned no module") }
        return module
    }

    func descriptorSetLayout(_ device: VkDevice, _ info: inout VkDescriptorSetLayoutCreateInfo) throws
        -> VkDescriptorSetLayout
    {
        var layout: VkDescriptorSetLayout?
        try vulkanCheck(createDescriptorSetLayout(device, &info, nil, &layout), "vkCreateDescriptorSetLayout")
        guard let layout else { throw VulkanError("vkCreateDescriptorSetLayout returned no layout") }
        return layout
    }

    func pipelineLayout(_ device: VkDevice, _ info: inout VkPipelineLayoutCreateInfo) throws -> VkPipelineLayout {
        var layout: VkPipelineLayout?
        try vulkanCheck(createPipelineLayout(device, &info, nil, &layout), "vkCreatePipelineLayout")
        guard let layout else { throw VulkanError("vkCreatePipelineLayout returned no layout") }
        return layout
    }

    func pipelineCache(_ device: VkDevice) throws -> VkPipelineCache {
        var info = VkPipelineCacheCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO
        var cache: VkPipelineCache?
        try vulkanCheck(createPipelineCache(device, &info, nil, &cache), "vkCreatePipelineCache")
        guard let cache else { throw VulkanError("vkCreatePipelineCache returned no cache") }
        return cache
    }

    func computePipeline(
        _ device: VkDevice, _ cache: VkPipelineCache?, _ info: inout VkComputePipelineCreateInfo, name: String
    ) throws -> VkPipeline {
        var pipeline: VkPipeline?
        try vulkanCheck(
            createComputePipelines(device, cache, 1, &info, nil, &pipeline), "vkCreateComputePipelines (\(name))")
        guard let pipeline else { throw VulkanError("vkCreateComputePipelines returned no pipeline") }
        return pipeline
    }

    func descriptorPool(_ device: VkDevice, _ info: inout VkDescriptorPoolCreateInfo) throws -> VkDescriptorPool {
        var pool: VkDescriptorPool?
        try vulkanCheck(createDescriptorPool(device, &info, nil, &pool), "vkCreateDescriptorPool")
        guard let pool else { throw VulkanError("vkCreateDescriptorPool returned no pool") }
        return pool
    }

    func reset(_ device: VkDevice, _ pool: VkDescriptorPool) throws {
        try vulkanCheck(resetDescriptorPool(device, pool, 0), "vkResetDescriptorPool")
    }

    /// Returns nil (not an error) when the pool is exhausted, so the caller can open a new pool.
    func descriptorSet(_ device: VkDevice, _ info: inout VkDescriptorSetAllocateInfo) throws -> VkDescriptorSet? {
        var set: VkDescriptorSet?
        let result = allocateDescriptorSets(device, &info, &set)
        if result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL { return nil }
        try vulkanCheck(result, "vkAllocateDescriptorSets")
        return set
    }

    func commandPool(_ device: VkDevice, _ info: inout VkCommandPoolCreateInfo) throws -> VkCommandPool {
        var pool: VkCommandPool?
        try vulkanCheck(createCommandPool(device, &info, nil, &pool), "vkCreateCommandPool")
        guard let pool else { throw VulkanError("vkCreateCommandPool returned no pool") }
        return pool
    }

    func commandBuffer(_ device: VkDevice, _ info: inout VkCommandBufferAllocateInfo) throws -> VkCommandBuffer {
        var buffer: VkCommandBuffer?
        try vulkanCheck(allocateCommandBuffers(device, &info, &buffer), "vkAllocateCommandBuffers")
        guard let buffer else { throw VulkanError("vkAllocateCommandBuffers returned no buffer") }
        return buffer
    }

    func begin(_ buffer: VkCommandBuffer) throws {
        try vulkanCheck(resetCommandBuffer(buffer, 0), "vkResetCommandBuffer")
        var info = VkCommandBufferBeginInfo()
        info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        info.flags = VkCommandBufferUsageFlags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue)
        try vulkanCheck(beginCommandBuffer(buffer, &info), "vkBeginCommandBuffer")
    }

    func end(_ buffer: VkCommandBuffer) throws {
        try vulkanCheck(endCommandBuffer(buffer), "vkEndCommandBuffer")
    }

    func submit(_ queue: VkQueue, _ buffer: VkCommandBuffer, fence: VkFence) throws {
        var buffers: [VkCommandBuffer?] = [buffer]
        let result = buffers.withUnsafeMutableBufferPointer { pointer -> VkResult in
            var info = VkSubmitInfo()
            info.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
            info.commandBufferCount = 1
            info.pCommandBuffers = UnsafePointer(pointer.baseAddress)
            return queueSubmit(queue, 1, &info, fence)
        }
        try vulkanCheck(result, "vkQueueSubmit")
    }

    func fence(_ device: VkDevice) throws -> VkFence {
        var info = VkFenceCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var fence: VkFence?
        try vulkanCheck(createFence(device, &info, nil, &fence), "vkCreateFence")
        guard let fence else { throw VulkanError("vkCreateFence returned no fence") }
        return fence
    }

    /// Waits for `fence` (no time limit: a kernel that never finishes is a device loss, reported as such).
    func wait(_ device: VkDevice, _ fence: VkFence) throws {
        var fences: [VkFence?] = [fence]
        try vulkanCheck(waitForFences(device, 1, &fences, VkBool32(VK_TRUE), UInt64.max), "vkWaitForFences")
        try vulkanCheck(resetFences(device, 1, &fences), "vkResetFences")
    }
}

/// Runs `body` with a C array of C strings (valid only inside `body`).
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer<CChar>($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// A Swift string from a fixed-size C char array imported as a tuple (e.g. `deviceName`).
func cString<T>(tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix(while: { $0 != 0 })
        return String(decoding: bytes, as: UTF8.self)
    }
}
