// LipSync with a typed prompt: a random HuMo folder plus a random umT5 encoder and the trained
// SentencePiece tokenizer. Different prompts give different edits and never share steps, an unchanged
// prompt is served from the caches (no encoder run, no model call), and a folder without an encoder
// says what is missing.
import Foundation
import Models
@testable import Pipeline
import Text
import XCTest

extension LipSyncJobTests {
    struct PromptRun {
        var frame: [Float]
        var calls: Int
        var encoderRuns: Int
        var notes: [String]
        var job: LipSyncJob
    }

    func render(prompt: String, model: URL, audio: String, cache: CacheStore) throws -> PromptRun {
        var s = settings()
        s.prompt = prompt
        let runs = PromptEncoding.encoderRuns
        let m = try HuMoModel.shared(folder: model.path, backend: .cpu, prompt: prompt, cache: cache)
        let before = m.modelCalls
        let job = try LipSyncJob(
            model: m, inputs: LipSyncInputs(frames: 0...8, frameRate: 25, targetAudio: audio, sourceAudio: nil, settings: s),
            cache: cache, fetch: { Self.frame($0) })
        var notes: [String] = []
        let frame = try job.render(frame: 4, hooks: JobHooks(note: { notes.append($0) })).values
        return PromptRun(
            frame: frame, calls: m.modelCalls - before, encoderRuns: PromptEncoding.encoderRuns - runs, notes: notes, job: job)
    }

    func testTwoPromptsGiveDifferentEditsAndAnUnchangedPromptIsServedFromTheCache() throws {
        let dir = scratch("prompt")
        let model = dir.appendingPathComponent("model")
        try RandomHuMoFolder.write(to: model, layout: .humo)
        try RandomHuMoFolder.writeTextEncoder(into: model, tokenizer: PromptEncodingTests.spiece)
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 4)
        let cacheFolder = dir.appendingPathComponent("cache")
        let cache = try CacheStore(folder: cacheFolder, budgetMB: 64)
        let first = "A woman speaks to the camera in a bright room."
        let second = "Un vieil homme rit dehors, la nuit."

        let a = try render(prompt: first, model: model, audio: wav, cache: cache)
        XCTAssertEqual(a.encoderRuns, 1)
        XCTAssertEqual(a.calls, callsPerWindow)
        // The context is the encoder's own output for the prompt, cut to the small DiT's 8 rows (and said so).
        let direct = try PromptEncoder(folder: try TextEncoderFolder(folder: model), backend: a.job.model.backend)
            .encode(first, on: a.job.model.backend)
        XCTAssertGreaterThan(direct.shape[0], 8)
        XCTAssertEqual(a.job.text.context.shape, [8, 32])
        XCTAssertEqual(try a.job.model.backend.download(a.job.text.context), Array(direct.values[..<(8 * 32)]))
        XCTAssertTrue(a.notes.contains { $0.contains("cut to the model's text length of 8") }, "\(a.notes)")

        // Another prompt: encoded, and no step of the first reused.
        let b = try render(prompt: second, model: model, audio: wav, cache: cache)
        XCTAssertEqual(b.encoderRuns, 1)
        XCTAssertEqual(b.calls, callsPerWindow)
        XCTAssertNotEqual(b.frame, a.frame)
        // No prompt: the folder's stored context, a third edit.
        let stored = try render(prompt: "", model: model, audio: wav, cache: cache)
        XCTAssertEqual(stored.encoderRuns, 0)
        XCTAssertEqual(stored.calls, callsPerWindow)
        XCTAssertNotEqual(stored.frame, a.frame)
        XCTAssertNotEqual(stored.frame, b.frame)

        // The first prompt again: no encoder run, no model call, the same bytes — also from the disk alone.
        let again = try render(prompt: first, model: model, audio: wav, cache: cache)
        XCTAssertEqual([again.encoderRuns, again.calls], [0, 0])
        XCTAssertEqual(again.frame, a.frame)
        PromptEncoding.forgetRecent()
        let fromDisk = try render(prompt: first, model: model, audio: wav, cache: try CacheStore(folder: cacheFolder, budgetMB: 64))
        XCTAssertEqual([fromDisk.encoderRuns, fromDisk.calls], [0, 0])
        XCTAssertEqual(fromDisk.frame, a.frame)

        // The same prompt with a later end step keeps its cached steps up to the old end.
        var later = settings()
        later.prompt = first
        later.previewStep = 3
        let m = try HuMoModel.shared(folder: model.path, backend: .cpu)
        let before = m.modelCalls
        let preview = try LipSyncJob(
            model: m, inputs: LipSyncInputs(frames: 0...8, frameRate: 25, targetAudio: wav, sourceAudio: nil, settings: later),
            cache: cache, fetch: { Self.frame($0) })
        _ = try preview.render(frame: 4)
        XCTAssertLessThan(m.modelCalls - before, callsPerWindow, "an unchanged prompt keeps its cached steps")
    }

    func testAPromptWithoutATextEncoderSaysWhatIsMissingAndWhereToEncodeIt() throws {
        let dir = scratch("no-encoder")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 4)
        func check(_ error: Error, _ missing: String, file: StaticString = #filePath, line: UInt = #line) {
            let text = "\(error)"
            XCTAssertTrue(error is PipelineError, text, file: file, line: line)
            for part in [missing, "omniedit encode-text", "clear the prompt"] {
                XCTAssertTrue(text.contains(part), "\(part): \(text)", file: file, line: line)
            }
        }
        // Refused before the model loads …
        XCTAssertThrowsError(
            try HuMoModel.shared(folder: Self.folders["diffusers"]!.path, backend: .cpu, prompt: "A man talks.", cache: nil)
        ) { check($0, "holds no umT5 or Gemma-3 text encoder") }
        // … and by a job on a model already loaded; an encoder without its tokenizer is named too.
        var s = settings()
        s.prompt = "A man talks."
        let m = try HuMoModel.shared(folder: Self.folders["humo"]!.path, backend: .cpu)
        XCTAssertThrowsError(
            try LipSyncJob(
                model: m, inputs: LipSyncInputs(frames: 0...8, frameRate: 25, targetAudio: wav, sourceAudio: nil, settings: s),
                cache: try CacheStore(folder: nil, budgetMB: 0), fetch: { Self.frame($0) })
        ) { check($0, "holds no umT5 or Gemma-3 text encoder") }
        let model = dir.appendingPathComponent("model")
        try RandomHuMoFolder.write(to: model, layout: .comfy)
        try RandomHuMoFolder.writeTextEncoder(into: model, tokenizer: nil)
        XCTAssertThrowsError(try render(prompt: "A man talks.", model: model, audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0))) {
            check($0, "no tokenizer.model / spiece.model")
        }
        // A blank prompt is no prompt: the stored context, no encoder needed.
        XCTAssertNoThrow(try render(prompt: " \n", model: Self.folders["humo"]!, audio: wav, cache: try CacheStore(folder: nil, budgetMB: 0)))
    }
}

extension LipSyncJobTests {
    /// A folder with the umT5 encoder and its tokenizer needs no text_context.safetensors: prompts are
    /// encoded; an empty prompt then says a prompt is needed; with neither, loading names both.
    func testAFolderWithAnEncoderNeedsNoStoredTextContext() throws {
        let dir = scratch("no-context")
        let wav = dir.appendingPathComponent("voice.wav").path
        try writeSpeech(wav, seconds: 0.4, rate: 4)
        let model = dir.appendingPathComponent("model")
        try RandomHuMoFolder.write(to: model, layout: .humo)
        try RandomHuMoFolder.writeTextEncoder(into: model, tokenizer: PromptEncodingTests.spiece)
        try FileManager.default.removeItem(at: model.appendingPathComponent("text_context.safetensors"))
        XCTAssertNil(try HuMoFolder(folder: model).textContext)

        let cache = try CacheStore(folder: nil, budgetMB: 64)
        let run = try render(prompt: "A woman speaks to the camera.", model: model, audio: wav, cache: cache)
        XCTAssertEqual(run.encoderRuns, 1)
        XCTAssertEqual(run.calls, callsPerWindow)
        XCTAssertTrue(run.frame.allSatisfy(\.isFinite))
        XCTAssertThrowsError(try render(prompt: "", model: model, audio: wav, cache: cache)) {
            XCTAssertTrue($0 is PipelineError, "\($0)")
            for part in ["no stored text context", "needs a prompt", "text_context.safetensors"] {
                XCTAssertTrue("\($0)".contains(part), "\(part): \($0)")
            }
        }

        // Neither a stored context nor an encoder: refused at load, naming both.
        let bare = dir.appendingPathComponent("bare")
        try RandomHuMoFolder.write(to: bare, layout: .humo)
        try FileManager.default.removeItem(at: bare.appendingPathComponent("text_context.safetensors"))
        XCTAssertThrowsError(try HuMoModel.shared(folder: bare.path, backend: .cpu)) {
            XCTAssertTrue($0 is PipelineError, "\($0)")
            for part in ["has no text context", "holds no umT5 or Gemma-3 text encoder", "precomputed text context", "umT5 text encoder with its tokenizer"] {
                XCTAssertTrue("\($0)".contains(part), "\(part): \($0)")
            }
        }
        // An encoder without its tokenizer cannot encode prompts either.
        try RandomHuMoFolder.writeTextEncoder(into: bare, tokenizer: nil)
        XCTAssertThrowsError(try HuMoModel.shared(folder: bare.path, backend: .cpu)) {
            XCTAssertTrue("\($0)".contains("no tokenizer.model / spiece.model"), "\($0)")
        }
    }
}
