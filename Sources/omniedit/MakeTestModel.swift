import ArgumentParser
import Foundation
import Pipeline

/// `omniedit make-test-model`: a tiny HuMo-family folder with seeded random weights, in one of the
/// layouts users have, for tests and benchmarks of the whole LipSync path.
struct MakeTestModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-test-model",
        abstract: "Write a tiny random-weight HuMo-family model folder (humo, comfy or diffusers layout).")

    @Option(help: "Folder to create.")
    var output: String
    @Option(help: "Layout: \(RandomHuMoFolder.Layout.allCases.map(\.rawValue).joined(separator: ", ")).")
    var layout: String = "humo"
    @Flag(help: "HuMo-17B reference layout (reference as channels) instead of the 1.7B's (reference as a frame).")
    var channelReference = false
    @Option(help: "Seed of the weights.")
    var seed: UInt64 = 1
    @Option(
        help: "Also write a random umT5 text encoder with this SentencePiece tokenizer (an spiece.model of ≤ 1000 pieces), so prompts can be typed.")
    var textTokenizer: String?

    func run() throws {
        guard let l = RandomHuMoFolder.Layout(rawValue: layout) else { throw ValidationError("unknown --layout \(layout)") }
        try RandomHuMoFolder.write(
            to: URL(fileURLWithPath: output), layout: l, channelReference: channelReference, seed: seed)
        if let textTokenizer {
            try RandomHuMoFolder.writeTextEncoder(
                into: URL(fileURLWithPath: output), tokenizer: URL(fileURLWithPath: textTokenizer), seed: seed ^ 0x5)
        }
        print("wrote \(output)")
    }
}
