// omniedit: the developer tool. Benchmarks print figures next to a peer measured in the same run;
// later issues add `forward` and `inspect` for the model families.
import ArgumentParser

struct OmniEditTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omniedit",
        abstract: "OmniEdit developer tool: benchmarks of the sampler and the compute backends.",
        subcommands: [
            Bench.self, BenchSampler.self, BenchTensor.self, BenchVulkan.self, BenchDiT.self, BenchVAE.self, Forward.self,
            Inspect.self,
        ])
}

/// `omniedit bench`: every benchmark in one run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run every benchmark (sampler, CPU backend, Vulkan backend, DiT forward).")

    func run() throws {
        for command in [BenchSampler.self, BenchTensor.self, BenchVulkan.self, BenchDiT.self] as [ParsableCommand.Type] {
            print("== \(command.configuration.commandName ?? "")")
            var c = try command.parseAsRoot([])
            try c.run()
            print()
        }
    }
}

OmniEditTool.main()
