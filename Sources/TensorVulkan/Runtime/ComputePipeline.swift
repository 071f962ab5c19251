// Compute pipelines are built on first use and kept per (shader, specialization constants): tile
// sizes and storage dtypes are specialization constants, so one SPIR-V module serves every variant.
import CVulkan
import Foundation

/// Identity of a pipeline: the shader's file name (without `.comp`) and its specialization constants
/// (constant_id 0, 1, … in order, each 32 bits).
struct PipelineKey: Hashable {
    var shader: String
    var constants: [UInt32]
}

/// A compute pipeline whose descriptor set 0 holds `bindings` storage buffers (binding 0 … n-1) and
/// whose push-constant block is `pushBytes` long.
final class ComputePipeline {
    let pipeline: VkPipeline
    let layout: VkPipelineLayout
    let setLayout: VkDescriptorSetLayout
    let bindings: Int
    let pushBytes: Int

    init(
        pipeline: VkPipeline, layout: VkPipelineLayout, setLayout: VkDescriptorSetLayout, bindings: Int, pushBytes: Int
    ) {
        self.pipeline = pipeline
        self.layout = layout
        self.setLayout = setLayout
        self.bindings = bindings
        self.pushBytes = pushBytes
    }

    func destroy(_ calls: VulkanCalls, _ device: VkDevice) {
        calls.destroyPipeline(device, pipeline, nil)
        calls.destroyPipelineLayout(device, layout, nil)
        calls.destroyDescriptorSetLayout(device, setLayout, nil)
    }
}

/// Decodes an embedded shader (base64 of little-endian SPIR-V words).
func spirvWords(_ shader: String) throws -> [UInt32] {
    guard let encoded = EmbeddedSPIRV.all[shader] else {
        throw VulkanError("no embedded shader named \(shader) (is Shaders/\(shader).comp missing?)")
    }
    guard let data = Data(base64Encoded: encoded), data.count % 4 == 0 else {
        throw VulkanError("embedded shader \(shader) is not valid base64 SPIR-V")
    }
    return data.withUnsafeBytes { raw in
        (0..<(data.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }
}

extension VulkanContext {
    /// The pipeline for `key`, built (and cached) on first use. Caller holds `lock`.
    func pipeline(_ key: PipelineKey, bindings: Int, pushBytes: Int) throws -> ComputePipeline {
        if let cached = pipelines[key] { return cached }
        let words = try spirvWords(key.shader)
        let module = try words.withUnsafeBufferPointer { code in
            var info = VkShaderModuleCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
            info.codeSize = code.count * 4
            info.pCode = code.baseAddress
            return try calls.shaderModule(device, &info, name: key.shader)
        }
        defer { calls.destroyShaderModule(device, module, nil) }

        var layoutBindings = (0..<bindings).map { index -> VkDescriptorSetLayoutBinding in
            var binding = VkDescriptorSetLayoutBinding()
            binding.binding = UInt32(index)
            binding.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
            binding.descriptorCount = 1
            binding.stageFlags = VkShaderStageFlags(VK_SHADER_STAGE_COMPUTE_BIT.rawValue)
            return binding
        }
        let setLayout = try layoutBindings.withUnsafeMutableBufferPointer { pointer in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.bindingCount = UInt32(bindings)
            info.pBindings = UnsafePointer(pointer.baseAddress)
            return try calls.descriptorSetLayout(device, &info)
        }
        var setLayouts: [VkDescriptorSetLayout?] = [setLayout]
        var range = VkPushConstantRange()
        range.stageFlags = VkShaderStageFlags(VK_SHADER_STAGE_COMPUTE_BIT.rawValue)
        range.size = UInt32(pushBytes)
        let layout: VkPipelineLayout
        do {
            layout = try setLayouts.withUnsafeMutableBufferPointer { sets in
                try withUnsafePointer(to: &range) { rangePointer in
                    var info = VkPipelineLayoutCreateInfo()
                    info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
                    info.setLayoutCount = 1
                    info.pSetLayouts = UnsafePointer(sets.baseAddress)
                    info.pushConstantRangeCount = pushBytes > 0 ? 1 : 0
                    info.pPushConstantRanges = pushBytes > 0 ? rangePointer : nil
                    return try calls.pipelineLayout(device, &info)
                }
            }
        } catch {
            calls.destroyDescriptorSetLayout(device, setLayout, nil)
            throw error
        }

        var entries = key.constants.indices.map { index -> VkSpecializationMapEntry in
            VkSpecializationMapEntry(constantID: UInt32(index), offset: UInt32(index * 4), size: 4)
        }
        var constants = key.constants
        let pipeline: VkPipeline
        do {
            pipeline = try "main".withCString { entryName in
                try entries.withUnsafeMutableBufferPointer { entryPointer in
                    try constants.withUnsafeMutableBytes { data in
                        var specialization = VkSpecializationInfo(
                            mapEntryCount: UInt32(entryPointer.count),
                            pMapEntries: UnsafePointer(entryPointer.baseAddress),
                            dataSize: data.count, pData: UnsafeRawPointer(data.baseAddress))
                        return try withUnsafePointer(to: &specialization) { specializationPointer in
                            var stage = VkPipelineShaderStageCreateInfo()
                            stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                            stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                            stage.module = module
                            stage.pName = entryName
                            stage.pSpecializationInfo = key.constants.isEmpty ? nil : specializationPointer
                            var info = VkComputePipelineCreateInfo()
                            info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                            info.stage = stage
                            info.layout = layout
                            return try calls.computePipeline(device, pipelineCache, &info, name: key.shader)
                        }
                    }
                }
            }
        } catch {
            calls.destroyPipelineLayout(device, layout, nil)
            calls.destroyDescriptorSetLayout(device, setLayout, nil)
            throw error
        }
        let built = ComputePipeline(
            pipeline: pipeline, layout: layout, setLayout: setLayout, bindings: bindings, pushBytes: pushBytes)
        pipelines[key] = built
        return built
    }
}
