// Tensor — tensors (shape, strides, dtype f32/f16/bf16 storage), the Backend protocol and the op vocabulary every backend implements.
// May import: nothing of ours. Must not import: any other module of ours.
