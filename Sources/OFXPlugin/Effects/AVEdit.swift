// AV Edit: edits a clip's video and audio together from a source prompt to a target prompt (LTX-2,
// a joint audio-video model). OpenFX carries no audio, so the edited track is written to a file
// ('Output audio') once every frame of the clip has been rendered; `ofx-host render` muxes it.
import COpenFX
import Glibc
import Media
import Pipeline

enum AVEdit {
    static let identifier = "org.omniedit.AVEdit"
    static let label = "AV Edit"
    static let description = """
        Edits the Source clip and its audio together, from what the source prompt describes to what the \
        target prompt describes (OmniEdit, training-free editing with an LTX-2 audio-video model). Frames \
        are edited in overlapping windows; each step of the sampler is cached. The edited audio is written \
        to 'Output audio' when every frame of the clip has been rendered.
        """

    static let params: [ParamSpec] =
        [
            SharedParams.group("groupPrompts", "Prompts and audio"),
            ParamSpec(
                name: "sourcePrompt", label: "Source prompt",
                hint: "Describes the clip as it is, picture and sound (e.g. 'a woman with blonde hair speaks in a high voice').",
                kind: .string(default: "", mode: .multiLine), parent: "groupPrompts"),
            ParamSpec(
                name: "targetPrompt", label: "Target prompt",
                hint: "Describes the clip as it should become; keep the words of what should not change. The same text as the source prompt returns the clip unchanged.",
                kind: .string(default: "", mode: .multiLine), parent: "groupPrompts"),
            ParamSpec(
                name: "sourceAudioFile", label: "Source audio",
                hint: "The clip's own sound (WAV, FLAC, OGG or MP3), lined up with the clip's first frame; it is edited with the picture. Empty for a clip without sound: its sound is then generated for the target prompt.",
                kind: .string(default: "", mode: .filePath(mustExist: true)), parent: "groupPrompts"),
            ParamSpec(
                name: "audioOffset", label: "Audio offset (s)",
                hint: "Seconds into the source audio that line up with the clip's first frame.",
                kind: .double(default: 0, min: -3600, max: 3600, displayMin: -10, displayMax: 10, increment: 0.01, digits: 3),
                parent: "groupPrompts"),
            ParamSpec(
                name: "outputAudioFile", label: "Output audio",
                hint: "Where the edited sound is written (WAV or FLAC), atomically, once every frame of the clip has been rendered. Never the source audio file.",
                kind: .string(default: "", mode: .filePath(mustExist: false)), parent: "groupPrompts"),
            SharedParams.group("groupModel", "Model"),
            SharedParams.modelFolder(builtIn: "the small AV model shipped in the bundle"),
            SharedParams.group("groupSampler", "Sampler"),
        ]
        + SharedParams.sampler(steps: 40, start: 12, end: 39, guidance: 10, shift: nil)
        + [SharedParams.group("groupWindows", "Windows")]
        + SharedParams.windows(
            lengthHint: "Frames edited together, rounded down to 8k+1 (e.g. 30 → 25). 0 = the model's own length (25 for the built-in model, 121 for LTX-2).",
            overlapHint: "Frames shared by neighbouring windows: their pictures are blended and their sound cross-faded, so there is no seam or click.")
        + [SharedParams.group("groupCompute", "Compute and cache")]
        + SharedParams.compute
        + [SharedParams.cpuPrecision]
        + [SharedParams.group("groupAdvanced", "Advanced", open: false)]
        + SharedParams.advanced
        + [
            ParamSpec(
                name: "composite", label: "Composite",
                hint: "Keep source detail (default): the source frame plus what the model changed. Model output: the decoded model frames, resized to the clip.",
                kind: .choice(options: ["Keep source detail", "Model output"], default: 0), parent: "groupAdvanced")
        ]

    /// Frames per window of the built-in model (its omniedit.json says the same).
    static let builtInWindowLength = 25

    static func plan(_ p: ParamReader, _ frames: ClosedRange<Int>) throws -> WindowPlan? {
        var length = try p.int("windowLength")
        if length == 0 { length = (try p.string("modelFolder")).isEmpty ? builtInWindowLength : 121 }
        return WindowPlan(frames: frames, length: length, overlap: try p.int("windowOverlap"), temporalUnit: 8)
    }

    static func validate(_ p: ParamReader) throws {
        // No source audio is allowed: the clip's sound is then generated for the target prompt.
        let source = try p.string("sourceAudioFile")
        if !source.isEmpty { try requireReadableFile(source, what: "Source audio") }
        let output = try p.string("outputAudioFile")
        if !output.isEmpty && AudioFile.sameFile(output, source) {
            throw PluginError.failed("'Output audio' must not be the source audio file ('\(output)' is '\(source)').")
        }
        try validateSteps(p)
        do { try settings(p).validate() } catch let e as PipelineError { throw PluginError.failed(e.description) }
    }

    static func settings(_ p: ParamReader) throws -> AVEditSettings {
        var s = AVEditSettings()
        s.sourcePrompt = try p.string("sourcePrompt")
        s.targetPrompt = try p.string("targetPrompt")
        try SharedParams.read(p, into: &s.shared)
        return s
    }

    static func render(_ inst: EffectInstance, _ request: RenderRequest) throws {
        let p = request.params
        try inst.requireTemporalClipAccess()
        guard let frames = inst.sourceFrames() else { throw PluginError.failed("the host did not say the Source clip's frame range.") }
        let folder = try ModelSource(
            family: .ltx2, folder: try p.string("modelFolder"), bundleResources: PluginHost.bundleResources
        ).resolvedFolder(fileExists: { access($0, R_OK) == 0 })
        let backend = ComputeBackend(rawValue: try p.int("backend")) ?? .auto
        let precision = ComputePrecision(rawValue: try p.int("cpuPrecision")) ?? .f32
        let model = try AVModel.shared(folder: folder, backend: backend, precision: precision)
        let cache = try CacheStore.shared(folder: try p.string("cacheFolder"), budgetMB: try p.int("cacheSizeMB"))
        let settings = try settings(p)
        let source = try p.string("sourceAudioFile")
        let job = try AVEditJob(
            model: model,
            inputs: AVEditInputs(frames: frames, frameRate: inst.sourceFrameRate(), sourceAudio: source, settings: settings),
            cache: cache, memo: inst.inSequence ? inst.sequenceMemo : nil, fetch: { try inst.sourcePlanar($0) })
        var notes: [String] = []
        let frame = Int(request.time.rounded(.down))
        let hooks = JobHooks(progress: { _ in }, shouldAbort: { inst.abortRequested }, note: { notes.append($0) })
        let edited = try inst.withProgress("AV Edit: editing frames around \(frame)") { update in
            try job.render(
                frame: frame, hooks: JobHooks(progress: update, shouldAbort: hooks.shouldAbort, note: hooks.note))
        }
        let output = try inst.fetchImage(kOfxImageEffectOutputClipName, at: request.time)
        defer { output.release() }
        guard output.image.bounds.width == edited.width, output.image.bounds.height == edited.height else {
            throw PluginError.failed(
                "the output image is \(output.image.bounds.width)×\(output.image.bounds.height) but the source is \(edited.width)×\(edited.height).")
        }
        try PixelConversion().write(edited, to: output.image, window: output.image.bounds)
        try writeAudioWhenComplete(inst, job: job, frame: frame, output: try p.string("outputAudioFile"), hooks: hooks)
        let warning = notes.isEmpty ? nil : "AV Edit: " + notes.joined(separator: " ")
        if warning != inst.lastWarning {
            inst.clearError()
            if let warning { inst.report(warning, type: kOfxMessageWarning) }
        }
        inst.lastWarning = warning
    }

    /// Counts the frames rendered with these inputs; once they cover the clip, writes the edited audio
    /// (every window is then in the caches, so no model runs again) atomically to `output`, never over
    /// the source audio, and only once per set of inputs.
    static func writeAudioWhenComplete(
        _ inst: EffectInstance, job: AVEditJob, frame: Int, output: String, hooks: JobHooks
    ) throws {
        guard !output.isEmpty else { return }
        let key = "\(job.model.identity)|\(job.inputs.settings)|\(job.inputs.frames)|\(job.inputs.frameRate)|\(job.inputs.sourceAudio ?? "")|\(output)"
        if inst.renderedKey != key {
            inst.renderedKey = key
            inst.renderedFrames = []
        }
        inst.renderedFrames.insert(frame)
        guard inst.audioWrittenKey != key, inst.renderedFrames.count == job.inputs.frames.count else { return }
        let audio = try job.editedAudio(hooks: hooks)
        do {
            try AudioFile.write(audio, to: output, encoding: .pcm24, protecting: [job.inputs.sourceAudio ?? ""])
        } catch {
            throw PluginError.failed("the edited audio could not be written to 'Output audio': \(error)")
        }
        inst.audioWrittenKey = key
    }

    static let definition = EffectDefinition(
        identifier: identifier, label: label, description: description, params: params,
        frameVarying: true, family: .ltx2, plan: plan, validate: validate, render: render)
}
