// Device memory for tensors. One allocation per buffer keeps ownership obvious (freed in deinit);
// weights are few and large, activations are reused by the caller, so the allocation count stays low.
import CVulkan
import Foundation

/// A storage buffer on a `VulkanContext`'s device.
///
/// Lives in device-local memory. When that memory is also host-visible in the device's main heap
/// (lavapipe, integrated GPUs, resizable BAR) it is mapped and read/written directly; otherwise
/// reads and writes go through a host-visible staging buffer and a copy on the queue.
final class VulkanBuffer: @unchecked Sendable {
    // @unchecked: handles are immutable; the bytes are only touched under the context's lock or by
    // the device between a submit and its fence.
    let context: VulkanContext
    let buffer: VkBuffer
    let memory: VkDeviceMemory
    /// Bytes the caller asked for (the allocation may be larger).
    let byteCount: Int
    let mapped: UnsafeMutableRawPointer?
    let coherent: Bool

    /// Allocates `byteCount` bytes; `staging` asks for host-visible memory (for copies), otherwise
    /// device-local memory is preferred.
    ///
    /// - Throws: `VulkanError` when the device has no fitting memory type or runs out of memory.
    init(_ context: VulkanContext, byteCount: Int, staging: Bool = false) throws {
        guard byteCount >= 0 else { throw VulkanError("buffer of negative size \(byteCount)") }
        self.context = context
        self.byteCount = byteCount
        let calls = context.calls
        let device = context.device
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        // Vulkan forbids size 0; an empty tensor still gets a (tiny) buffer so bindings stay valid.
        info.size = VkDeviceSize(max(byteCount, 16))
        info.usage = VkBufferUsageFlags(
            VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue
                | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue)
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        let buffer = try calls.buffer(device, &info)
        var requirements = VkMemoryRequirements()
        calls.getBufferMemoryRequirements(device, buffer, &requirements)
        do {
            let type = try Self.memoryType(context.memory, allowed: requirements.memoryTypeBits, staging: staging)
            var allocate = VkMemoryAllocateInfo()
            allocate.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
            allocate.allocationSize = requirements.size
            allocate.memoryTypeIndex = UInt32(type.index)
            let memory = try calls.memory(device, &allocate)
            do {
                try calls.bind(device, buffer, memory)
                let mappable = type.hostVisible && (staging || context.mapsDeviceMemory)
                mapped = mappable ? try calls.map(device, memory, size: UInt64(requirements.size)) : nil
            } catch {
                calls.freeMemory(device, memory, nil)
                throw error
            }
            self.memory = memory
            coherent = type.coherent
        } catch {
            calls.destroyBuffer(device, buffer, nil)
            throw error
        }
        self.buffer = buffer
    }

    /// Chooses a memory type index among `allowed` (a bit mask).
    ///
    /// Device buffers: device-local in the largest device-local heap, host-visible if that type is
    /// (UMA / lavapipe / resizable BAR). The small BAR window of a discrete GPU is not used for
    /// tensors: it would fill up. Staging buffers: host-visible, coherent preferred, cached preferred.
    static func memoryType(_ memory: VkPhysicalDeviceMemoryProperties, allowed: UInt32, staging: Bool) throws -> (
        index: Int, hostVisible: Bool, coherent: Bool
    ) {
        let deviceLocal = VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT.rawValue)
        let hostVisible = VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue)
        let hostCoherent = VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue)
        let hostCached = VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_HOST_CACHED_BIT.rawValue)
        let types = (0..<Int(memory.memoryTypeCount)).filter { allowed & (1 << UInt32($0)) != 0 }
            .map { (index: $0, type: VulkanContext.type(memory, $0)) }
        func heapSize(_ t: VkMemoryType) -> UInt64 { VulkanContext.heap(memory, Int(t.heapIndex)).size }
        let chosen: (index: Int, type: VkMemoryType)?
        if staging {
            func score(_ f: VkMemoryPropertyFlags) -> Int {
                (f & hostCoherent != 0 ? 2 : 0) + (f & hostCached != 0 ? 1 : 0)
            }
            chosen = types.filter { $0.type.propertyFlags & hostVisible != 0 }
                .max { score($0.type.propertyFlags) < score($1.type.propertyFlags) }
        } else {
            let local = types.filter { $0.type.propertyFlags & deviceLocal != 0 }
            let biggest = local.map { heapSize($0.type) }.max()
            let inBiggest = local.filter { heapSize($0.type) == biggest }
            // Among the main heap's types, a host-visible one saves every staging copy.
            chosen =
                inBiggest.first { $0.type.propertyFlags & hostVisible != 0 }
                ?? inBiggest.first ?? types.first
        }
        guard let chosen else {
            throw VulkanError(
                "no Vulkan memory type fits a \(staging ? "staging" : "device") buffer (allowed mask \(allowed))")
        }
        let flags = chosen.type.propertyFlags
        return (chosen.index, flags & hostVisible != 0, flags & hostCoherent != 0)
    }

    deinit {
        let calls = context.calls
        if mapped != nil { calls.unmapMemory(context.device, memory) }
        calls.destroyBuffer(context.device, buffer, nil)
        calls.freeMemory(context.device, memory, nil)
    }
}

extension VulkanBuffer {
    /// Copies `bytes` into the buffer at `offset` (bytes).
    ///
    /// - Throws: `VulkanError` when the range does not fit or a staging copy fails.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws {
        guard offset >= 0, bytes.count <= byteCount - offset else {
            throw VulkanError("write of \(bytes.count) bytes at \(offset) into a buffer of \(byteCount) bytes")
        }
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        if let mapped {
            try context.serialised {
                (mapped + offset).copyMemory(from: base, byteCount: bytes.count)
                if !coherent { try context.flush(memory) }
            }
            return
        }
        let staging = try VulkanBuffer(context, byteCount: bytes.count, staging: true)
        try staging.write(bytes)
        // Recorded into the open batch, so it lands before the commands recorded after it.
        try context.record { recorder in
            recorder.copy(from: staging, to: self, bytes: bytes.count, destinationOffset: offset)
        }
    }

    /// Copies `into.count` bytes starting at `offset` out of the buffer, after all submitted work.
    ///
    /// - Throws: `VulkanError` when the range does not fit or a staging copy fails.
    func read(into destination: UnsafeMutableRawBufferPointer, at offset: Int = 0) throws {
        guard offset >= 0, destination.count <= byteCount - offset else {
            throw VulkanError("read of \(destination.count) bytes at \(offset) from a buffer of \(byteCount) bytes")
        }
        guard destination.count > 0, let base = destination.baseAddress else { return }
        try context.flush()
        if let mapped {
            try context.serialised {
                if !coherent { try context.invalidate(memory) }
                base.copyMemory(from: mapped + offset, byteCount: destination.count)
            }
            return
        }
        let staging = try VulkanBuffer(context, byteCount: destination.count, staging: true)
        try context.submit { recorder in
            recorder.copy(from: self, to: staging, bytes: destination.count, sourceOffset: offset)
        }
        try staging.read(into: destination)
    }
}
