// TensorVulkan — the Vulkan compute backend: device selection, buffers, descriptor management, SPIR-V kernels for every op.
// May import: Tensor, CVulkan. Must not import: Models, Sampler, Media, Pipeline, OFX*.
