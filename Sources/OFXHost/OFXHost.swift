// OFXHost — a generic headless OpenFX host: bundle loading, host suites, instances, clips, render sequencing, job files.
// May import: COpenFX, COFXHostShim. Must not import: OFXPlugin or anything of the plugin's.
