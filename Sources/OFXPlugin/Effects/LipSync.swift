// LipSync: re-animates the mouth in a clip to a new speech track (HuMo + Whisper + Wan VAE), keeping
// identity, pose and background. Sections in openfx-misc order: identity, parameters, window plan,
// validation; the action mapping is shared (Effect.swift, InstanceActions.swift).
import COpenFX
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
            SharedParams.group("groupSampler", "Sampler"),
        ]
        + SharedParams.sampler(steps: 20, start: 6, end: 16, guidance: 4.5, shift: 5.0)
        + [
            SharedParams.group("groupWindows", "Windows and reference"),
            ParamSpec(
                name: "windowLength", label: "Window length (frames)",
                hint: "Frames edited together (rounded down to 4k+1). Longer windows are more coherent and need more memory.",
                kind: .int(default: 97, min: 5, max: 257, displayMin: 17, displayMax: 129), parent: "groupWindows"),
            ParamSpec(
                name: "windowOverlap", label: "Window overlap (frames)",
                hint: "Frames shared by neighbouring windows and cross-faded, so there is no seam.",
                kind: .int(default: 16, min: 0, max: 128, displayMin: 0, displayMax: 48), parent: "groupWindows"),
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
        + [SharedParams.group("groupAdvanced", "Advanced", open: false)]
        + SharedParams.advanced

    static func plan(_ p: ParamReader, _ frames: ClosedRange<Int>) throws -> WindowPlan? {
        WindowPlan(frames: frames, length: try p.int("windowLength"), overlap: try p.int("windowOverlap"))
    }

    static func validate(_ p: ParamReader) throws {
        let audio = try p.string("audioFile")
        guard !audio.isEmpty else { throw PluginError.failed("set 'Target audio' to the speech the mouth should follow.") }
        try requireReadableFile(audio, what: "Target audio")
        let source = try p.string("sourceAudioFile")
        if !source.isEmpty { try requireReadableFile(source, what: "Source audio") }
        try validateSteps(p)
    }

    static let definition = EffectDefinition(
        identifier: identifier, label: label, description: description, params: params,
        frameVarying: true, family: .humo, plan: plan, validate: validate)
}

/// Shared check of the step parameters: start ≤ end < steps.
func validateSteps(_ p: ParamReader) throws {
    let steps = try p.int("steps"), start = try p.int("startStep"), end = try p.int("endStep")
    guard start < steps else { throw PluginError.failed("'Start step' (\(start)) must be below 'Steps' (\(steps)).") }
    guard start <= end else { throw PluginError.failed("'End step' (\(end)) must not be below 'Start step' (\(start)).") }
}
