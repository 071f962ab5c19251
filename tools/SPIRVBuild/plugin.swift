// SPIRVBuild: compiles a target's GLSL compute shaders (Shaders/*.comp) to SPIR-V at build time and
// embeds them in a generated Swift file, so no loose .spv ships and a clean clone builds.
import Foundation
import PackagePlugin

/// Build-tool plugin: one command per target that runs `spirv-embed` over `<target>/Shaders`.
///
/// Inputs are every `.comp` and every `include/*.glsl`, so SwiftPM reruns the command when a shader
/// or an include changes. Output: `EmbeddedSPIRV.swift` in the plugin work directory.
@main
struct SPIRVBuild: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let shaders = module.directoryURL.appending(path: "Shaders")
        // The shader folder is excluded from the target's sources, so it is listed here directly.
        let files = Self.files(under: shaders)
        guard files.contains(where: { $0.pathExtension == "comp" }) else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSPIRV.swift")
        return [
            .buildCommand(
                displayName: "Compiling \(target.name) shaders to SPIR-V",
                executable: try context.tool(named: "spirv-embed").url,
                arguments: [shaders.path, output.path, context.pluginWorkDirectoryURL.path],
                inputFiles: files,
                outputFiles: [output])
        ]
    }

    static func files(under root: URL) -> [URL] {
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: nil)
        else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { ["comp", "glsl", "json"].contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }
}
