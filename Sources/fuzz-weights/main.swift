// libFuzzer harness: a checkpoint file (safetensors, or a PyTorch zip when it starts with "PK") through
// everything a model folder does with it before loading — header, tensor entries, family recognition,
// every config the `config` metadata or the shapes give, and a shapes-only load. Any trap is a bug: a
// hostile file must end in an error. Build and run: `make fuzz` (tools/fuzz/README.md).
import Foundation
import FuzzSupport
import Models
import Tensor
import TensorCPU

/// One CPU backend for every input (shapes-only readers allocate nothing on it).
enum Shared { nonisolated(unsafe) static let cpu = try! CPUBackend() }
runFuzzer { bytes, size in
    guard let data = bytes else { return 0 }
    let isZip = size >= 2 && data[0] == 0x50 && data[1] == 0x4B
    let path = ScratchFile.write(data, size, name: isZip ? "model.pth" : "model.safetensors")
    do {
        let checkpoint = try Checkpoint.open(URL(fileURLWithPath: path))
        for name in checkpoint.names.prefix(64) { _ = try? checkpoint.locate(name) }
        _ = ModelFolder.classify(checkpoint)
        if let json = checkpoint.metadata["config"], let bytes = json.data(using: .utf8) {
            if let c = try? JSONDecoder().decode(WanConfig.self, from: bytes) { _ = try? c.validate() }
            if let c = try? JSONDecoder().decode(WanVAEConfig.self, from: bytes) { _ = try? c.validate() }
            if let c = try? JSONDecoder().decode(WhisperEncoderConfig.self, from: bytes) { _ = try? c.validate() }
        }
        for rules in [KeyRules.wanDiT, KeyRules([.dropPrefix("weights/")] + KeyRules.wanDiT.rules)] {
            var reader = try WeightReader(checkpoint: checkpoint, rules: rules, backend: Shared.cpu, shapesOnly: true)
            if WanCheckpoint.isWanDiT(reader), let c = try? WanCheckpoint.config(reader), (try? c.validate()) != nil {
                _ = try? WanDiT(config: c, reader: &reader)
            }
        }
        _ = try? WanVAE.inferConfig(from: checkpoint)
        _ = try? WhisperEncoder.inferConfig(
            from: try WeightReader(checkpoint: checkpoint, rules: .whisperEncoder, backend: Shared.cpu, shapesOnly: true))
    } catch {
        _ = "\(error)"  // every error has a message; building it must not trap either
    }
    return 0
}
