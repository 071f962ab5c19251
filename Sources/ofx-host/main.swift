// ofx-host: a generic headless OpenFX host. Lists plugins, renders image sequences and video files
// through any OpenFX image-effect bundle, and runs job files (scripted rendering).
import ArgumentParser
import CommandLineMain

struct OFXHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ofx-host",
        abstract: "A headless OpenFX host: list plugins, render frames through them, run job files, plan farm chunks.",
        subcommands: [ListCommand.self, RenderCommand.self, RunCommand.self, PlanCommand.self, ConcatCommand.self])
}

runCommandLine(OFXHostCommand.self, name: "ofx-host")
