// AV Edit: edits a clip's video and audio together from a source prompt to a target prompt (LTX-2,
// a joint audio-video model). OpenFX carries no audio, so the edited track is written to a file.
import COpenFX
import Glibc
import Pipeline

enum AVEdit {
    static let identifier = "org.omniedit.AVEdit"
    static let label = "AV Edit"
    static let description = """
        Edits the Source clip and its audio together, from what the source prompt describes to what the \
        target prompt describes (OmniEdit, training-free editing with an LTX-2 audio-video model). The \
        edited audio is written to 'Output audio'.
        """

    static let params: [ParamSpec] =
        [
            SharedParams.group("groupPrompts", "Prompts and audio"),
            ParamSpec(
                name: "sourcePrompt", label: "Source prompt",
                hint: "Describes the clip as it is (video and sound).", kind: .string(default: "", mode: .multiLine),
                parent: "groupPrompts"),
            ParamSpec(
                name: "targetPrompt", label: "Target prompt",
                hint: "Describes the clip as it should become; keep the words of what should not change.",
                kind: .string(default: "", mode: .multiLine), parent: "groupPrompts"),
            ParamSpec(
                name: "sourceAudioFile", label: "Source audio",
                hint: "The clip's audio (WAV, FLAC, OGG or MP3). Empty = silence.",
                kind: .string(default: "", mode: .filePath(mustExist: true)), parent: "groupPrompts"),
            ParamSpec(
                name: "outputAudioFile", label: "Output audio",
                hint: "Where the edited audio is written (WAV or FLAC). Never the source audio file.",
                kind: .string(default: "", mode: .filePath(mustExist: false)), parent: "groupPrompts"),
            SharedParams.group("groupModel", "Model"),
            SharedParams.modelFolder(builtIn: "none yet: point this at an LTX-2 folder"),
            SharedParams.group("groupSampler", "Sampler"),
        ]
        + SharedParams.sampler(steps: 40, start: 12, end: 39, guidance: 10, shift: nil)
        + [SharedParams.group("groupCompute", "Compute and cache")]
        + SharedParams.compute
        + [SharedParams.group("groupAdvanced", "Advanced", open: false)]
        + SharedParams.advanced

    /// AV Edit treats the whole clip as one window (the joint model sees all of it).
    static func plan(_ p: ParamReader, _ frames: ClosedRange<Int>) throws -> WindowPlan? {
        WindowPlan(frames: frames, length: frames.count, overlap: 0)
    }

    static func validate(_ p: ParamReader) throws {
        guard !(try p.string("targetPrompt")).isEmpty else {
            throw PluginError.failed("set 'Target prompt' to what the clip should become.")
        }
        let source = try p.string("sourceAudioFile")
        if !source.isEmpty { try requireReadableFile(source, what: "Source audio") }
        let output = try p.string("outputAudioFile")
        if !output.isEmpty && output == source {
            throw PluginError.failed("'Output audio' must not be the source audio file.")
        }
        try validateSteps(p)
    }

    static func render(_ inst: EffectInstance, _ request: RenderRequest) throws {
        try inst.requireTemporalClipAccess()
        _ = try ModelSource(
            family: .ltx2, folder: try request.params.string("modelFolder"), bundleResources: PluginHost.bundleResources
        ).resolvedFolder(fileExists: { access($0, R_OK) == 0 })
        throw PluginError.failed(
            "the LTX-2 model family is not built yet, so AV Edit cannot render; no frame was written.")
    }

    static let definition = EffectDefinition(
        identifier: identifier, label: label, description: description, params: params,
        frameVarying: true, family: .ltx2, plan: plan, validate: validate, render: render)
}
