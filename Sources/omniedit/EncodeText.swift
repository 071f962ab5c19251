import ArgumentParser
import Foundation
import Pipeline
import Text
import VideoIO

/// `omniedit encode-text`: a prompt through a folder's text encoder (umT5 for HuMo / Wan, Gemma-3 for
/// LTX-2) into the precomputed-embedding file the pipelines read, so a prompt can be encoded once on a
/// machine with the memory for the encoder and rendered elsewhere.
struct EncodeText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-text",
        abstract: "Encode a prompt with a umT5 or Gemma-3 text encoder into a precomputed-embedding safetensors file.")

    @Option(help: "Folder holding the text encoder and its tokenizer.model / spiece.model (two levels down).")
    var model: String
    @Option(help: "The prompt.")
    var prompt: String
    @Option(help: "Output .safetensors: 'context' [L, d] for umT5, 'hidden_states' [layers+1, L, d] for Gemma-3.")
    var output: String
    @OptionGroup var resources: ComputeAndCacheOptions

    func run() throws {
        let compute = try resources.computeBackend()
        let folder = URL(fileURLWithPath: model)
        let encoder = try TextEncoderFolder(folder: folder)
        try checkOutputIsNotAnInput(output, inputs: encoder.files.map(\.path))
        let cache = try resources.cacheStore()
        let started = Date()
        let (encoded, fromCache) = try PromptEncoding.encode(
            folder: folder, prompt: prompt, backend: compute, cache: cache)
        try encoded.safetensors().write(to: URL(fileURLWithPath: output))
        print("\(encoded.family.rawValue) encoder: \(encoder.weights.path)")
        print("tokens: \(encoded.tokens.count)" + (encoded.truncationMessage.map { " (\($0))" } ?? ""))
        print(
            "wrote \(output): '\(encoded.name)' \(encoded.shape) "
                + (fromCache ? "(from the cache)" : String(format: "(encoded in %.2f s)", Date().timeIntervalSince(started))))
    }
}
