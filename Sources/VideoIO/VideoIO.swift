// VideoIO — video files and image sequences (PNG, PFM) for the headless host: read frames, write frames, mux audio.
// May import: CFFmpeg. Must not import: OFXPlugin, Pipeline, Models, Sampler.
