// omniedit: the developer tool. `forward` runs one model component on given inputs, `inspect` describes
// a checkpoint, and the benchmarks print figures next to a peer measured in the same run.
import ArgumentParser
import CommandLineMain

struct OmniEditTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omniedit",
        abstract: "OmniEdit developer tool: run model components, inspect checkpoints, benchmark.",
        subcommands: [
            Bench.self, BenchSampler.self, BenchTensor.self, BenchVulkan.self, BenchDiT.self, BenchVAE.self, Forward.self,
            CPUInfo.self, Inspect.self, LipSyncCommand.self, AVEditCommand.self, ContactSheetCommand.self, PlanCommand.self, BenchFarm.self, MakeTestModel.self, EncodeText.self, BenchText.self, Evaluate.self,
            BenchLipSync.self, BenchAVEdit.self, BenchPipeline.self, BenchLTX2.self, BenchAttention.self,
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

runCommandLine(OmniEditTool.self, name: "omniedit")
