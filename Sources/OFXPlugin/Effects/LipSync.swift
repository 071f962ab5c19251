// LipSync: re-animates the mouth in a clip to a new speech track (HuMo + Whisper + Wan VAE), keeping
// identity, pose and background. Sections in openfx-misc order: identity, parameters, window plan,
// validation; the action mapping is shared (Effect.swift, InstanceActions.swift).
import COpenFX
import Glibc
import Media
import Pipeline

enum LipSync {
    static let identifier = "org.omniedit.LipSync"
    static let label = "LipSync"
    static let description = """
        Re-animates the mouth of the person in the Source clip to speak a new audio track, keeping \
        identity, pose and background (OmniEdit, training-free editing with a HuMo audio-to-video model). \
        Frames are edited in overlapping windows; each step of the sampler is cached.
        """

    static let params: [ParamSpec] =
        [
            SharedParams.group("groupAudio", "Audio"),
            ParamSpec(
                name: "audioFile", label: "Target audio",
                hint: "The new speech (WAV, FLAC, OGG or MP3). The mouth is animated to this track.",
                kind: .string(default: "", mode: .filePath(mustExist: true)), parent: "groupAudio"),
            ParamSpec(
                name: "audioOffset", label: "Audio offset (s)",
                hint: "Seconds into the target audio that line up with the clip's first frame (negative = start later).",
                kind: .double(default: 0, min: -3600, max: 3600, displayMin: -10, displayMax: 10, increment: 0.01, digits: 3),
                parent: "groupAudio"),
            ParamSpec(
                name: "sourceAudioFile", label: "Source audio",
                hint: "The clip's original audio (optional). Empty = the clip has no audio, and the null audio (all-zero features) stands for it.",
                kind: .string(default: "", mode: .filePath(mustExist: true)), parent: "groupAudio"),
            SharedParams.group("groupModel", "Model"),
            SharedParams.modelFolder(builtIn: "the small LipSync model shipped in the bundle"),
            ParamSpec(
                name: "prompt", label: "Prompt",
                hint: "What the clip shows (e.g. 'A woman speaks to the camera in a bright room'), encoded by the umT5 text encoder in the model folder; encoded once per prompt and cached. Empty = the text context stored in the model folder (text_context.safetensors).",
                kind: .string(default: "", mode: .multiLine), parent: "groupModel"),
            SharedParams.group("groupSampler", "Sampler"),
        ]
        + SharedParams.sampler(steps: 20, start: 6, end: 16, guidance: 4.5, shift: 5.0)
        + [SharedParams.group("groupWindows", "Windows and reference")]
        + SharedParams.windows(
            lengthHint: "Frames edited together, rounded down to 4k+1 (e.g. 30 → 29). 0 = the model's own length (97 for HuMo, 25 for the built-in model). Longer windows are more coherent and need more memory.",
            overlapHint: "Frames shared by neighbouring windows and cross-faded, so there is no seam.")
        + [
            ParamSpec(
                name: "referenceMode", label: "Reference frame",
                hint: "Identity reference: the first frame of each window (as the reference work), or one fixed frame for the whole clip.",
                kind: .choice(options: ["First frame of each window", "Fixed frame"], default: 0), parent: "groupWindows"),
            ParamSpec(
                name: "referenceFrame", label: "Fixed reference frame",
                hint: "Frame number used as the identity reference when Reference frame is 'Fixed frame'.",
                kind: .int(default: 0, min: Int32.min, max: Int32.max, displayMin: 0, displayMax: 1000), parent: "groupWindows"),
            SharedParams.group("groupCompute", "Compute and cache"),
        ]
        + SharedParams.compute
        + [SharedParams.cpuPrecision]
        + [SharedParams.group("groupAdvanced", "Advanced", open: false)]
        + SharedParams.advanced
        + [
            ParamSpec(
                name: "composite", label: "Composite",
                hint: "Keep source detail (default): the source frame plus what the model changed, so untouched areas stay pixel-exact at any resolution. Model output: the decoded model frames, resized to the clip.",
                kind: .choice(options: ["Keep source detail", "Model output"], default: 0), parent: "groupAdvanced")
        ]

    /// The window plan a render uses. A length of 0 means the model's own; here, before the model is
    /// loaded, the built-in model's 25 frames (or HuMo's 97 for a user folder) stand for it.
    static func plan(_ p: ParamReader, _ frames: ClosedRange<Int>) throws -> WindowPlan? {
        var length = try p.int("windowLength")
        if length == 0 { length = (try p.string("modelFolder")).isEmpty ? builtInWindowLength : 97 }
        return WindowPlan(frames: frames, length: length, overlap: try p.int("windowOverlap"))
    }

    /// Frames per window of the built-in model (its omniedit.json says the same; checked by a test).
    static let builtInWindowLength = 25

    static func validate(_ p: ParamReader) throws {
        let audio = try p.string("audioFile")
        guard !audio.isEmpty else { throw PluginError.failed("set 'Target audio' to the speech the mouth should follow.") }
        try requireReadableFile(audio, what: "Target audio")
        let source = try p.string("sourceAudioFile")
        if !source.isEmpty { try requireReadableFile(source, what: "Source audio") }
        try validateSteps(p)
        // Every range the sampler relies on (NaN guidance or offset, End step ≥ Steps), before any model loads.
        do { try settings(p).validate() } catch let e as PipelineError { throw PluginError.failed(e.description) }
    }

    // MARK: Render

    static func settings(_ p: ParamReader) throws -> LipSyncSettings {
        var s = LipSyncSettings()
        try SharedParams.read(p, into: &s.shared)
        s.shift = try p.double("shift")
        s.reference = try p.int("referenceMode") == 1 ? .fixed(frame: try p.int("referenceFrame")) : .firstFrameOfWindow
        s.prompt = try p.string("prompt")
        return s
    }

    static func render(_ inst: EffectInstance, _ request: RenderRequest) throws {
        let p = request.params
        try inst.requireTemporalClipAccess()
        guard let frames = inst.sourceFrames() else { throw PluginError.failed("the host did not say the Source clip's frame range.") }
        let frameRate = inst.sourceFrameRate()
        let folder = try ModelSource(
            family: .humo, folder: try p.string("modelFolder"), bundleResources: PluginHost.bundleResources
        ).resolvedFolder(fileExists: { access($0, R_OK) == 0 })
        let backend = ComputeBackend(rawValue: try p.int("backend")) ?? .auto
        let cache = try CacheStore.shared(folder: try p.string("cacheFolder"), budgetMB: try p.int("cacheSizeMB"))
        let settings = try settings(p)
        let precision = ComputePrecision(rawValue: try p.int("cpuPrecision")) ?? .f32
        let model = try HuMoModel.shared(
            folder: folder, backend: backend, precision: precision, prompt: settings.prompt, cache: cache)
        let source = try p.string("sourceAudioFile")
        let inputs = LipSyncInputs(
            frames: frames, frameRate: frameRate, targetAudio: try p.string("audioFile"),
            sourceAudio: source.isEmpty ? nil : source, settings: settings)
        let job = try LipSyncJob(
            model: model, inputs: inputs, cache: cache, memo: inst.inSequence ? inst.sequenceMemo : nil,
            fetch: { try inst.sourcePlanar($0) })
        var notes: [String] = []
        let frame = Int(request.time.rounded(.down))
        let edited = try inst.withProgress("LipSync: editing frames around \(frame)") { update in
            try job.render(
                frame: frame,
                hooks: JobHooks(progress: update, shouldAbort: { inst.abortRequested }, note: { notes.append($0) }))
        }
        let output = try inst.fetchImage(kOfxImageEffectOutputClipName, at: request.time)
        defer { output.release() }
        guard output.image.bounds.width == edited.width, output.image.bounds.height == edited.height else {
            throw PluginError.failed(
                "the output image is \(output.image.bounds.width)×\(output.image.bounds.height) but the source is \(edited.width)×\(edited.height).")
        }
        try PixelConversion().write(edited, to: output.image, window: output.image.bounds)
        let warning = notes.isEmpty ? nil : "LipSync: " + notes.joined(separator: " ")
        if warning != inst.lastWarning {
            inst.clearError()
            if let warning { inst.report(warning, type: kOfxMessageWarning) }
        }
        inst.lastWarning = warning
    }

    static let definition = EffectDefinition(
        identifier: identifier, label: label, description: description, params: params,
        frameVarying: true, family: .humo, plan: plan, validate: validate, render: render)
}

/// Shared check of the step parameters: start ≤ end < steps.
func validateSteps(_ p: ParamReader) throws {
    let steps = try p.int("steps"), start = try p.int("startStep"), end = try p.int("endStep")
    guard start < steps else { throw PluginError.failed("'Start step' (\(start)) must be below 'Steps' (\(steps)).") }
    guard start <= end else { throw PluginError.failed("'End step' (\(end)) must not be below 'Start step' (\(start)).") }
}
