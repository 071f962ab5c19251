// Sampler — step grids, the OmniEdit iteration and its baselines, counter-based noise, per-step state and cache keys.
// May import: Crypto (hashing) only. Must not import: Tensor backends, Models, Media, Pipeline, OFX*.
