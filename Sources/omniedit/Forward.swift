import ArgumentParser
import CommandLineMain
import UserMessages
import Foundation
import Models
import Tensor
import TensorCPU
import TensorVulkan
import VideoIO

/// `omniedit forward`: runs one model component on inputs from a safetensors file and writes its
/// outputs to another, for scripted checks against reference implementations.
///
/// Input names may carry the goldens' `inputs/` prefix. Per component:
/// - `dit`: `x` [C, F, H, W], `t` [1] (the timestep), `context` [L, textDim], optional `audio`
///   [F, 8, 5, C] (HuMo; absent = no audio), optional `y` [Cy, F, H, W] (HuMo-17B conditioning)
///   → `velocity` [outDim, F, H, W].
/// - `vae-encode`, `vae-decode`, `whisper`, `audio-windows`: see `ForwardVAEWhisper.swift`.
/// - `ltx2-dit`, `ltx2-connectors`, `ltx2-vocoder`, `ltx2-audio-encode`, `ltx2-audio-decode`,
///   `ltx2-vae-encode`, `ltx2-vae-decode`: see `ForwardLTX2.swift`.
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward", abstract: "Run one model component on inputs from a safetensors file.")

    enum Component: String, ExpressibleByArgument, CaseIterable {
        case dit
        case vaeEncode = "vae-encode"
        case vaeDecode = "vae-decode"
        case whisper
        case audioWindows = "audio-windows"
        case ltx2DiT = "ltx2-dit"
        case ltx2Connectors = "ltx2-connectors"
        case ltx2Vocoder = "ltx2-vocoder"
        case ltx2AudioEncode = "ltx2-audio-encode"
        case ltx2AudioDecode = "ltx2-audio-decode"
        case ltx2VAEEncode = "ltx2-vae-encode"
        case ltx2VAEDecode = "ltx2-vae-decode"
    }

    enum BackendName: String, ExpressibleByArgument, CaseIterable {
        case cpu, vulkan
    }

    @Option(help: "Component: \(Component.allCases.map(\.rawValue).joined(separator: ", ")).")
    var component: Component

    @Option(help: "Model checkpoint: a .safetensors file, an *.index.json, or a folder.")
    var model: String

    @Option(help: "Input tensors (.safetensors).")
    var inputs: String

    @Option(help: "Where to write the outputs (.safetensors).")
    var output: String

    @Option(help: "Compute backend: cpu or vulkan.")
    var backend: BackendName = .cpu

    @Option(help: "A config JSON file (DiT: WanConfig; VAE: WanVAEConfig or diffusers config.json; whisper, audio-windows: transformers config.json; ltx2-*: diffusers config.json); default: the checkpoint's config, or inferred.")
    var config: String?

    @Flag(help: "DiT only: keep weights as f32 even when the file stores f16/bf16.")
    var f32Weights = false

    @Option(help: "Drop this prefix from checkpoint names first (e.g. 'weights/' for the golden files).")
    var dropPrefix: String?

    func run() throws {
        try checkOutputIsNotAnInput(output, inputs: [inputs, model] + (config.map { [$0] } ?? []))
        let compute: any Backend =
            switch backend {
            case .cpu: try CPUBackend()
            case .vulkan: try VulkanBackend(policy: .anyDevice)
            }
        let input = try ForwardInputs(path: inputs)
        var writer = SafetensorsWriter()
        switch component {
        case .dit: try runDiT(input, on: compute, into: &writer)
        case .vaeEncode: try runVAE(encode: true, input, on: compute, into: &writer)
        case .vaeDecode: try runVAE(encode: false, input, on: compute, into: &writer)
        case .whisper: try runWhisper(input, on: compute, into: &writer)
        case .audioWindows: try runAudioWindows(input, on: compute, into: &writer)
        case .ltx2DiT: try runLTX2DiT(input, on: compute, into: &writer)
        case .ltx2Connectors: try runLTX2Connectors(input, on: compute, into: &writer)
        case .ltx2Vocoder: try runLTX2Vocoder(input, on: compute, into: &writer)
        case .ltx2AudioEncode: try runLTX2AudioVAE(encode: true, input, on: compute, into: &writer)
        case .ltx2AudioDecode: try runLTX2AudioVAE(encode: false, input, on: compute, into: &writer)
        case .ltx2VAEEncode: try runLTX2VideoVAE(encode: true, input, on: compute, into: &writer)
        case .ltx2VAEDecode: try runLTX2VideoVAE(encode: false, input, on: compute, into: &writer)
        }
        try writer.write(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }

    private func runDiT(_ input: ForwardInputs, on compute: any Backend, into writer: inout SafetensorsWriter) throws {
        let explicit = try explicitConfig(WanConfig.self)
        let (dit, unused) = try WanCheckpoint.load(
            URL(fileURLWithPath: model), on: compute, storeAs: f32Weights ? .f32 : nil, config: explicit,
            rules: KeyRules((dropPrefix.map { [.dropPrefix($0)] } ?? []) + KeyRules.wanDiT.rules))
        if !unused.isEmpty { print("ignored \(unused.count) checkpoint tensor(s) the DiT does not use") }
        let t = try input.floats("t")
        guard t.count == 1 else { throw CommandFailure("\(inputs): 't' must hold one timestep, has \(t.count)", status: .dataError) }
        let v = try dit.velocity(
            WanDiTInputs(
                x: try input.tensor("x", on: compute), timestep: Double(t[0]),
                context: try input.tensor("context", on: compute),
                audio: try input.optionalTensor("audio", on: compute),
                y: try input.optionalTensor("y", on: compute)), on: compute)
        try writer.add("velocity", v, from: compute)
    }
}

/// Named inputs of `forward`, found with or without the goldens' `inputs/` prefix.
struct ForwardInputs {
    let file: SafetensorsFile

    init(path: String) throws { file = try SafetensorsFile(path: path) }

    func resolve(_ name: String) -> String? {
        [name, "inputs/\(name)"].first { file.header.entries[$0] != nil }
    }

    func tensor(_ name: String, on backend: any Backend) throws -> Tensor {
        guard let key = resolve(name) else { throw CommandFailure("\(file.path): no input '\(name)'", status: .dataError) }
        return try file.tensor(key, on: backend)
    }

    func optionalTensor(_ name: String, on backend: any Backend) throws -> Tensor? {
        try resolve(name).map { try file.tensor($0, on: backend) }
    }

    func floats(_ name: String) throws -> [Float] {
        guard let key = resolve(name) else { throw CommandFailure("\(file.path): no input '\(name)'", status: .dataError) }
        return try file.floats(key)
    }
}
