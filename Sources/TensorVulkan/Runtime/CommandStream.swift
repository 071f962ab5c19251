// Many dispatches are recorded into one command buffer and submitted once, with a memory barrier
// between dispatches (each op reads what the previous wrote); the fence wait ends the batch.
import CVulkan
import Foundation

/// Records dispatches and copies for one submission. Obtained only inside `VulkanContext.submit`.
struct CommandRecorder {
    let context: VulkanContext
    /// Buffers referenced by recorded commands, kept alive until the fence signals.
    private(set) var retained: [VulkanBuffer] = []
    /// Bytes of the buffers in `retained` (a buffer used twice counts twice: a bound, not a census).
    private(set) var retainedBytes = 0
    var commands = 0

    /// Records `shader` over `groups` work groups with `buffers` at bindings 0…n-1 and `values` as the
    /// push-constant block, each named as the shader names it (checked by `PushLayout.words`).
    mutating func dispatch(
        _ shader: String, constants: [UInt32] = [], buffers: [VulkanBuffer], push values: PushValues,
        groups: (x: Int, y: Int, z: Int)
    ) throws {
        let push = try PushLayout.words(for: shader, values)
        let limits = context.limits.maxComputeWorkGroupCount
        guard groups.x <= Int(limits.0), groups.y <= Int(limits.1), groups.z <= Int(limits.2) else {
            throw VulkanError(
                "\(shader): \(groups.x)×\(groups.y)×\(groups.z) work groups exceed the device limit "
                    + "\(limits.0)×\(limits.1)×\(limits.2)")
        }
        guard groups.x > 0, groups.y > 0, groups.z > 0 else { return }
        let pipeline = try context.pipeline(
            PipelineKey(shader: shader, constants: constants), bindings: buffers.count, pushBytes: push.count * 4)
        let set = try context.descriptorSet(pipeline.setLayout)
        var infos = buffers.map {
            VkDescriptorBufferInfo(buffer: $0.buffer, offset: 0, range: VkDeviceSize(VK_WHOLE_SIZE))
        }
        infos.withUnsafeMutableBufferPointer { infoPointer in
            var writes = (0..<buffers.count).map { index -> VkWriteDescriptorSet in
                var write = VkWriteDescriptorSet()
                write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                write.dstSet = set
                write.dstBinding = UInt32(index)
                write.descriptorCount = 1
                write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                write.pBufferInfo = infoPointer.baseAddress.map { UnsafePointer($0 + index) }
                return write
            }
            context.calls.updateDescriptorSets(context.device, UInt32(writes.count), &writes, 0, nil)
        }
        let commandBuffer = context.commandBuffer
        context.calls.cmdBindPipeline(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline)
        var sets: [VkDescriptorSet?] = [set]
        context.calls.cmdBindDescriptorSets(
            commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, 1, &sets, 0, nil)
        if !push.isEmpty {
            var words = push
            context.calls.cmdPushConstants(
                commandBuffer, pipeline.layout, VkShaderStageFlags(VK_SHADER_STAGE_COMPUTE_BIT.rawValue), 0,
                UInt32(words.count * 4), &words)
        }
        context.calls.cmdDispatch(commandBuffer, UInt32(groups.x), UInt32(groups.y), UInt32(groups.z))
        barrier()
        retain(buffers)
        commands += 1
    }

    /// Records a buffer-to-buffer copy of `bytes` bytes.
    mutating func copy(
        from source: VulkanBuffer, to destination: VulkanBuffer, bytes: Int, sourceOffset: Int = 0,
        destinationOffset: Int = 0
    ) {
        guard bytes > 0 else { return }
        var region = VkBufferCopy(
            srcOffset: VkDeviceSize(sourceOffset), dstOffset: VkDeviceSize(destinationOffset), size: VkDeviceSize(bytes)
        )
        context.calls.cmdCopyBuffer(context.commandBuffer, source.buffer, destination.buffer, 1, &region)
        barrier()
        retain([source, destination])
        commands += 1
    }

    /// Records filling the whole of `buffer` with the 32-bit `word`.
    mutating func fill(_ buffer: VulkanBuffer, word: UInt32) {
        context.calls.cmdFillBuffer(context.commandBuffer, buffer.buffer, 0, VkDeviceSize(VK_WHOLE_SIZE), word)
        barrier()
        retain([buffer])
        commands += 1
    }

    private mutating func retain(_ buffers: [VulkanBuffer]) {
        retained += buffers
        retainedBytes += buffers.reduce(0) { $0 + $1.byteCount }
    }

    /// Makes every earlier shader or transfer write visible to every later shader, transfer or host read.
    private func barrier() {
        var memoryBarrier = VkMemoryBarrier()
        memoryBarrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        memoryBarrier.srcAccessMask = VkAccessFlags(
            VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue)
        memoryBarrier.dstAccessMask = VkAccessFlags(
            VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue
                | VK_ACCESS_TRANSFER_READ_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
                | VK_ACCESS_HOST_READ_BIT.rawValue)
        let stages = VkPipelineStageFlags(
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue)
        context.calls.cmdPipelineBarrier(
            context.commandBuffer, stages, stages | VkPipelineStageFlags(VK_PIPELINE_STAGE_HOST_BIT.rawValue), 0,
            1, &memoryBarrier, 0, nil, 0, nil)
    }
}

extension VulkanContext {
    /// Runs `body` while holding the context's lock (queue, command buffer, pipelines, mapped memory).
    func serialised<R>(_ body: () throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Records what `body` asks for into the open batch (opening one if needed) without waiting.
    /// The batch is submitted by `flush` — or here, once it holds `batchLimit` commands, so the
    /// buffers it keeps alive stay bounded.
    ///
    /// - Throws: `VulkanError` from recording or, when the batch is full, from its submission.
    func record(_ body: (inout CommandRecorder) throws -> Void) throws {
        try serialised {
            if pending == nil {
                try calls.begin(commandBuffer)
                pending = CommandRecorder(context: self)
            }
            guard var recorder = pending else { return }
            pending = nil
            do {
                try body(&recorder)
            } catch {
                // A half-recorded batch cannot be trusted: submit what came before this op, drop the rest.
                pending = recorder
                try flushLocked()
                throw error
            }
            pending = recorder
            if recorder.commands >= Self.batchLimit || recorder.retainedBytes >= Self.batchBytes { try flushLocked() }
        }
    }

    /// Submits the open batch and waits for it to finish.
    ///
    /// - Throws: `VulkanError` from submission or the wait (e.g. `VK_ERROR_DEVICE_LOST`).
    func flush() throws { try serialised { try flushLocked() } }

    /// `record` then `flush`.
    func submit(_ body: (inout CommandRecorder) throws -> Void) throws {
        try record(body)
        try flush()
    }

    /// Most commands one batch holds before it is submitted.
    static let batchLimit = 512
    /// Most buffer bytes one batch keeps alive (intermediates the caller already dropped) before it
    /// is submitted: 1 GiB.
    static let batchBytes = 1 << 30

    private func flushLocked() throws {
        guard let recorder = pending else { return }
        pending = nil
        defer { withExtendedLifetime(recorder.retained) {} }
        try calls.end(commandBuffer)
        if recorder.commands > 0 {
            try calls.submit(queue, commandBuffer, fence: fence)
            try calls.wait(device, fence)
        }
        try releaseDescriptorSets()
    }

    /// A descriptor set of `layout` from the current pool, opening a new pool when it is full.
    /// Caller holds `lock`.
    func descriptorSet(_ layout: VkDescriptorSetLayout) throws -> VkDescriptorSet {
        while true {
            if descriptorPoolInUse == descriptorPools.count {
                var size = VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: 8192)
                var info = VkDescriptorPoolCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
                info.maxSets = 1024
                info.poolSizeCount = 1
                descriptorPools.append(
                    try withUnsafePointer(to: &size) { sizePointer in
                        info.pPoolSizes = sizePointer
                        return try calls.descriptorPool(device, &info)
                    })
            }
            var layouts: [VkDescriptorSetLayout?] = [layout]
            var info = VkDescriptorSetAllocateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            info.descriptorPool = descriptorPools[descriptorPoolInUse]
            info.descriptorSetCount = 1
            let set = try layouts.withUnsafeMutableBufferPointer { pointer in
                info.pSetLayouts = UnsafePointer(pointer.baseAddress)
                return try calls.descriptorSet(device, &info)
            }
            if let set { return set }
            descriptorPoolInUse += 1
        }
    }

    /// Returns every descriptor set to its pool once the work that used them has finished.
    private func releaseDescriptorSets() throws {
        for pool in descriptorPools.prefix(descriptorPoolInUse + 1) { try calls.reset(device, pool) }
        descriptorPoolInUse = 0
    }

    /// Makes host writes to non-coherent mapped memory visible to the device. Caller holds `lock`.
    func flush(_ memory: VkDeviceMemory) throws {
        var ranges = [mappedRange(memory)]
        try calls.flush(device, &ranges)
    }

    /// Makes device writes to non-coherent mapped memory visible to the host. Caller holds `lock`.
    func invalidate(_ memory: VkDeviceMemory) throws {
        var ranges = [mappedRange(memory)]
        try calls.invalidate(device, &ranges)
    }

    private func mappedRange(_ memory: VkDeviceMemory) -> VkMappedMemoryRange {
        var range = VkMappedMemoryRange()
        range.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE
        range.memory = memory
        range.size = VkDeviceSize(VK_WHOLE_SIZE)
        return range
    }
}
