// OFXPlugin — the OpenFX entry points, effect descriptors (LipSync, AV Edit), instance state, host-suite wrappers.
// May import: COpenFX, Pipeline, Media. Must not import: Tensor backends, model families.
