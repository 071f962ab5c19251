// Media — audio files, resampling, log-mel features, host pixels <-> planar float images.
// May import: CSndFile, CAVUtil, CFFmpeg. Must not import: Models, Sampler, Pipeline, OFX*.
