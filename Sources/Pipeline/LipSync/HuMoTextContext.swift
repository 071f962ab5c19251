// Pipeline — the text condition of a HuMo render: the folder's stored context (text_context.safetensors)
// when the prompt is empty, else the prompt encoded by the umT5 encoder found in the model folder,
// through PromptEncoding (encoder loaded, run and released; the encoding cached on disk).
import Foundation
import Models
import Tensor
import Text

/// The text context a render conditions on, and the name that stands for its values in cache keys.
public struct HuMoTextContext {
    /// `[L ≤ textLen, textDim]`, f32, on the model's backend.
    public let context: Tensor
    /// Equal identities are equal contexts: condition digests and result keys hold it, so a new prompt
    /// never reuses steps of another, and an unchanged one keeps its own.
    public let identity: String
    /// For the user when the prompt was cut.
    public let note: String?
    /// The prompt's encoding came from a cache (memory or disk), not from running the encoder.
    public let fromCache: Bool
}

extension HuMoModel {
    /// An empty (or blank) prompt means the folder's stored context, as before prompts existed.
    static func usesStoredContext(_ prompt: String) -> Bool { prompt.allSatisfy(\.isWhitespace) }

    /// The context of `prompt`: the stored one for an empty prompt, else its umT5 encoding (cached in
    /// `cache`, and in memory for the rest of the process).
    public func textContext(prompt: String, cache: CacheStore?) throws -> HuMoTextContext {
        if Self.usesStoredContext(prompt) {
            guard let context else {
                throw PipelineError.model(
                    "the model folder '\(files.folder.path)' has no stored text context (text_context.safetensors), so "
                        + "LipSync needs a prompt: type what the clip shows into Prompt (the folder's umT5 encoder encodes it), "
                        + "or add \(HuMoFolder.textContextRequirement.1).")
            }
            return HuMoTextContext(context: context, identity: "stored context", note: nil, fromCache: true)
        }
        let encoded = try computeLock.withLock {
            try PromptEncoding.encode(
                files: textEncoder(), prompt: prompt, backend: backend, backendName: backendName, cache: cache)
        }
        let p = encoded.prompt
        let (textLen, textDim) = (dit.config.textLen, dit.config.textDim)
        guard p.shape.count == 2, p.shape[1] == textDim, p.shape[0] >= 1 else {
            throw PipelineError.model(
                "the text encoder in '\(files.folder.path)' gives \(p.shape.last ?? 0) values per token but the DiT's text_dim is \(textDim): they are not of one model")
        }
        var context = try backend.upload(p.values, shape: p.shape, dtype: .f32)
        var notes = p.truncationMessage.map { [$0] } ?? []
        if p.shape[0] > textLen {
            // Real HuMo/Wan DiTs take 512 rows, the tokenizer's own limit; only small models cut here.
            context = try backend.contiguous(context.narrowed(axis: 0, start: 0, length: textLen))
            notes.append("The prompt's \(p.shape[0]) tokens are cut to the model's text length of \(textLen).")
        }
        return HuMoTextContext(
            context: context, identity: encoded.key, note: notes.isEmpty ? nil : "Prompt: " + notes.joined(separator: " "),
            fromCache: encoded.fromCache)
    }

    /// The umT5 encoder of the model folder, found once per loaded model (called under `computeLock`).
    private func textEncoder() throws -> TextEncoderFolder {
        if let known = foundTextEncoder { return known }
        let found = try Self.textEncoder(in: files.folder)
        foundTextEncoder = found
        return found
    }

    /// A folder without a stored text context must hold a umT5 encoder with its tokenizer.
    static func checkPromptsCanBeEncoded(in folder: URL) throws {
        let reason: String
        do {
            let found = try TextEncoderFolder(folder: folder)
            guard found.family != .umT5 else { return }
            reason = "its text encoder (\(found.weights.path)) is \(found.family.rawValue), not umT5"
        } catch let e as TextError {
            if case .invalidEncoder(let m) = e { reason = m } else { reason = e.description }
        }
        throw PipelineError.model(
            "Model folder '\(folder.path)' has no text context and cannot encode prompts (\(reason)). LipSync needs either "
                + "\(HuMoFolder.textContextRequirement.1), or the umT5 text encoder with its tokenizer in the folder (Wan2.1's "
                + "models_t5_umt5-xxl-enc-bf16.pth with google/umt5-xxl/spiece.model, or a transformers UMT5EncoderModel with "
                + "its spiece.model or tokenizer.json) and a prompt.")
    }

    static func textEncoder(in folder: URL) throws -> TextEncoderFolder {
        let found: TextEncoderFolder
        do { found = try TextEncoderFolder(folder: folder) } catch let e as TextError {
            let reason: String
            if case .invalidEncoder(let m) = e { reason = m } else { reason = e.description }
            throw PipelineError.model(
                "a prompt is set, but the model folder cannot encode it: \(reason). Either clear the prompt (the folder's "
                    + "stored text_context.safetensors is used), or put the umT5 text encoder into the model folder (Wan2.1's "
                    + "models_t5_umt5-xxl-enc-bf16.pth with google/umt5-xxl/spiece.model, or a transformers UMT5EncoderModel "
                    + "with its spiece.model), or encode the prompt where the encoder is with `omniedit encode-text --model "
                    + "<umT5 folder> --prompt \"…\" --output text_context.safetensors` and put that file into the model folder "
                    + "(with an empty prompt).")
        }
        guard found.family == .umT5 else {
            throw PipelineError.model(
                "the text encoder in '\(folder.path)' (\(found.weights.path)) is \(found.family.rawValue); HuMo models are conditioned on umT5")
        }
        return found
    }
}
