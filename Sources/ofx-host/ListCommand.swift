// ofx-host list: every plugin found in the given bundles/folders and on the OpenFX search path.
import ArgumentParser
import Foundation
import OFXHost
import UserMessages

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the plugins of bundles or folders (and of OFX_PLUGIN_PATH and /usr/OFX/Plugins).")

    @Argument(help: "Bundles (NAME.ofx.bundle) or folders to search.")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "Also list every parameter (name, type, default, range, hint).")
    var verbose = false

    @Flag(help: "Print JSON (always with parameters).")
    var json = false

    @Flag(help: "Only the given paths, not OFX_PLUGIN_PATH and /usr/OFX/Plugins.")
    var noSearchPath = false

    func run() throws {
        let roots = noSearchPath ? paths : PluginSearch.searchPath(extra: paths)
        var summaries: [PluginSummary] = []
        var failures: [String] = []
        for bundle in PluginSearch.bundles(in: roots) {
            do {
                let binary = try PluginBinary(bundle: bundle)
                for plugin in binary.plugins {
                    do { summaries.append(try plugin.summary(parameters: verbose || json)) } catch { failures.append("\(plugin.identifier): \(UserMessage.text(error))") }
                }
            } catch {
                failures.append(UserMessage.text(error))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summaries), as: UTF8.self))
        } else {
            for s in summaries { print(describe(s)) }
            if summaries.isEmpty { print("no OpenFX plugins found in: \(roots.joined(separator: ", "))") }
        }
        for f in failures { printError("ofx-host: \(f)") }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    private func describe(_ s: PluginSummary) -> String {
        let short = { (v: String, prefix: String) in v.replacingOccurrences(of: prefix, with: "") }
        var lines = [
            "\(s.label)  [\(s.identifier) v\(s.version)]",
            "  grouping: \(s.grouping.isEmpty ? "-" : s.grouping)",
            "  contexts: \(s.contexts.map { short($0, "OfxImageEffectContext") }.joined(separator: ", "))",
            "  depths:   \(s.depths.map { short($0, "OfxBitDepth") }.joined(separator: ", "))",
            "  bundle:   \(s.bundle)",
        ]
        for p in s.parameters ?? [] {
            var line = "    \(p.name) (\(p.type)) \"\(p.label)\""
            if !p.defaultValue.isEmpty { line += " default=\(p.defaultValue)" }
            if let lo = p.min, let hi = p.max { line += " range=[\(lo), \(hi)]" }
            if let o = p.options { line += " options=\(o.joined(separator: "|"))" }
            if !p.hint.isEmpty { line += "\n        \(p.hint)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
