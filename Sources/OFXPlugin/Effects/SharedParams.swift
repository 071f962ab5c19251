// Parameters both effects share: model, sampler, compute, preview and cache. Names are public API.
import COpenFX
import Pipeline

enum SharedParams {
    static let samplerChoices = ["OmniEdit", "FlowEdit baseline", "OmniEdit with random noise"]
    static let backendChoices = ["Auto", "Vulkan", "CPU"]
    static let precisionChoices = ["f32 (exact)", "bf16 (faster)", "bf16 where the weights are bf16"]

    static func modelFolder(builtIn: String) -> ParamSpec {
        ParamSpec(
            name: "modelFolder", label: "Model folder",
            hint: "Folder of safetensors weights (and config.json) to run. Empty = the built-in model (\(builtIn)). Weights are never downloaded.",
            kind: .string(default: "", mode: .directory), parent: "groupModel")
    }

    /// Steps, edit range, guidance and seed; `shift` only for grids that take one.
    static func sampler(steps: Int32, start: Int32, end: Int32, guidance: Double, shift: Double?) -> [ParamSpec] {
        var specs = [
            ParamSpec(
                name: "steps", label: "Steps",
                hint: "Number of sampler steps T over the whole noise range (the edit uses steps Start…End of them).",
                kind: .int(default: steps, min: 1, max: 200, displayMin: 4, displayMax: 100), parent: "groupSampler"),
            ParamSpec(
                name: "startStep", label: "Start step",
                hint: "First edited step. Lower = stronger edit, less of the source kept; higher = closer to the source.",
                kind: .int(default: start, min: 0, max: 199, displayMin: 0, displayMax: 50), parent: "groupSampler"),
            ParamSpec(
                name: "endStep", label: "End step",
                hint: "Last step of the edit phase; the remaining steps refine the target without the source branch.",
                kind: .int(default: end, min: 0, max: 199, displayMin: 0, displayMax: 50), parent: "groupSampler"),
            ParamSpec(
                name: "guidance", label: "Guidance",
                hint: "Classifier-free guidance scale on the target condition. 1 disables guidance (and one model call per step).",
                kind: .double(default: guidance, min: 1, max: 30, displayMin: 1, displayMax: 15, increment: 0.1, digits: 2),
                parent: "groupSampler"),
        ]
        if let shift {
            specs.append(
                ParamSpec(
                    name: "shift", label: "Shift",
                    hint: "Noise-schedule shift of the step grid (σ ← sσ/(1+(s−1)σ)); higher spends more steps at high noise.",
                    kind: .double(default: shift, min: 0.1, max: 20, displayMin: 1, displayMax: 10, increment: 0.1, digits: 2),
                    parent: "groupSampler"))
        }
        specs.append(
            ParamSpec(
                name: "seed", label: "Seed",
                hint: "Seed of the sampler's noise. The same seed gives the same result on every backend.",
                kind: .int(default: 0, min: 0, max: Int32.max, displayMin: 0, displayMax: 1000), parent: "groupSampler"))
        return specs
    }

    static let compute: [ParamSpec] = [
        ParamSpec(
            name: "backend", label: "Compute backend",
            hint: "Auto: a Vulkan GPU when one exists, else the CPU (OpenBLAS). Vulkan: any Vulkan device, including CPU implementations. CPU: always the CPU.",
            kind: .choice(options: backendChoices, default: 0), parent: "groupCompute"),
        ParamSpec(
            name: "previewStep", label: "Preview step",
            hint: "0 = the final result. k > 0 shows the sampler's clean-image estimate after step k (from the per-step cache when available).",
            kind: .int(default: 0, min: 0, max: 200, displayMin: 0, displayMax: 50), parent: "groupCompute"),
        ParamSpec(
            name: "cacheSizeMB", label: "Cache size (MB)",
            hint: "Disk budget of the per-step and result cache; the oldest entries are evicted beyond it. 0 disables caching.",
            kind: .int(default: 4096, min: 0, max: 1_048_576, displayMin: 0, displayMax: 16384), parent: "groupCompute"),
        ParamSpec(
            name: "cacheFolder", label: "Cache folder",
            hint: "Where cached steps and results are kept. Empty = $XDG_CACHE_HOME/omniedit (or ~/.cache/omniedit).",
            kind: .string(default: "", mode: .directory), parent: "groupCompute"),
        ParamSpec(
            name: "clearCache", label: "Clear cache",
            hint: "Delete this effect's cached steps and results.", kind: .pushButton, parent: "groupCompute"),
    ]

    /// Linear-layer arithmetic on the CPU backend (`ComputePrecision`, in menu order).
    static let cpuPrecision = ParamSpec(
        name: "cpuPrecision", label: "CPU precision",
        hint: "Arithmetic of the model's linear layers on the CPU. f32: exact. bf16: bf16 products with f32 sums on CPUs with AVX512-BF16 (about 1.4× faster, ~1% relative difference; f32 elsewhere). Results of each choice are cached apart. Vulkan ignores it.",
        kind: .choice(options: precisionChoices, default: 0), parent: "groupCompute")

    static let advanced: [ParamSpec] = [
        ParamSpec(
            name: "sampler", label: "Sampler",
            hint: "OmniEdit (default): target sequence with model-estimated noise. FlowEdit baseline: edit sequence with random noise. OmniEdit with random noise: ablation.",
            kind: .choice(options: samplerChoices, default: 0), parent: "groupAdvanced"),
        ParamSpec(
            name: "stepCacheThreshold", label: "Step cache threshold",
            hint: "Step caching: a step's model calls are skipped and answered from the last real call (its clean-image estimate) while the error this is predicted to put into the result stays below this value (relative; accumulated since the last real call). 0 = off (exact, the default). Higher = fewer model calls and a coarser result; results are cached apart per value.",
            kind: .double(default: 0, min: 0, max: 10, displayMin: 0, displayMax: 0.5, increment: 0.01, digits: 3),
            parent: "groupAdvanced"),
    ]

    /// The values of the parameters both effects share (`Pipeline.EditSettings`).
    static func read(_ p: ParamReader, into s: inout EditSettings) throws {
        s.steps = try p.int("steps")
        s.startStep = try p.int("startStep")
        s.endStep = try p.int("endStep")
        s.guidance = try p.double("guidance")
        s.seed = UInt64(max(0, try p.int("seed")))
        s.windowLength = try p.int("windowLength")
        s.windowOverlap = try p.int("windowOverlap")
        s.sampler = [.omniEdit, .flowEdit, .omniEditRandomNoise][min(max(try p.int("sampler"), 0), 2)]
        s.previewStep = try p.int("previewStep")
        s.audioOffset = try p.double("audioOffset")
        s.composite = try p.int("composite") == 1 ? .modelOutput : .keepSourceDetail
        s.stepCacheThreshold = try p.double("stepCacheThreshold")
    }

    /// Window length and overlap (group "groupWindows"); the hints name each effect's frame grid.
    static func windows(lengthHint: String, overlapHint: String) -> [ParamSpec] {
        [
            ParamSpec(
                name: "windowLength", label: "Window length (frames)", hint: lengthHint,
                kind: .int(default: 0, min: 0, max: 257, displayMin: 0, displayMax: 129), parent: "groupWindows"),
            ParamSpec(
                name: "windowOverlap", label: "Window overlap (frames)", hint: overlapHint,
                kind: .int(default: 8, min: 0, max: 128, displayMin: 0, displayMax: 48), parent: "groupWindows"),
        ]
    }

    static func group(_ name: String, _ label: String, open: Bool = true) -> ParamSpec {
        ParamSpec(name: name, label: label, hint: "", kind: .group(open: open))
    }
}
