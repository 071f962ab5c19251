// Models — checkpoints, shared layers, and the Wan/HuMo/Whisper model families (see README.md).
// May import: Tensor. Must not import: Sampler, Pipeline, Media, OFX*, a specific backend.
