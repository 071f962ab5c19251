import Foundation
import Models
import Tensor
import TensorCPU

/// The LTX-2 part of `omniedit inspect`: family, variant, config, and the weights the transformer and
/// connectors loaders would miss (checked against the headers; nothing is loaded).
func describeLTX2(_ checkpoint: Checkpoint, list: Int) throws {
    let cpu = try CPUBackend()
    func names(_ keys: [String]) -> String {
        keys.isEmpty ? "" : "\n  " + keys.prefix(list).joined(separator: "\n  ") + (keys.count > list ? "\n  …" : "")
    }
    func check(_ what: String, _ build: (inout WeightReader) throws -> Void, rules: KeyRules) throws {
        var reader = try WeightReader(checkpoint: checkpoint, rules: rules, backend: cpu, shapesOnly: true)
        do {
            try build(&reader)
            print("\(what): every weight present")
        } catch WeightsError.incompatible(_, let missing, let misshaped) {
            print("\(what): missing keys: \(missing.count)" + names(missing))
            if !misshaped.isEmpty { print("\(what): mis-shaped: \(misshaped.count)" + names(misshaped)) }
        }
    }
    let all = checkpoint.names
    let dtypes = Set(all.compactMap { try? checkpoint.locate($0).entry.dtype })
    if dtypes.contains(.f8e4m3) || dtypes.contains(.f8e5m2) {
        print(
            "storage: fp8 (\(dtypes.map(\.rawValue).sorted().joined(separator: ", "))): not loadable; use the bf16 checkpoint"
        )
    }
    if LTX2Checkpoint.isTransformer(all) {
        let config = try LTX2Checkpoint.transformerConfig(checkpoint)
        let d = LTX2Checkpoint.describe(config)
        print("family: \(d.family)")
        print("variant: \(d.variant)")
        print(
            "config: video \(config.numHeads)×\(config.headDim), audio \(config.audioNumHeads)×\(config.audioHeadDim), \(config.numLayers) layers, in \(config.inChannels)/\(config.audioInChannels), caption \(config.captionChannels), RoPE \(config.ropeType.rawValue) θ \(config.ropeTheta)"
        )
        try check("transformer", { _ = try LTX2Transformer(config: config, reader: &$0) }, rules: .ltx2Transformer)
    }
    if LTX2Checkpoint.hasConnectors(all) {
        let reader = try WeightReader(checkpoint: checkpoint, rules: .ltx2Connectors, backend: cpu, shapesOnly: true)
        let config = try LTX2Checkpoint.connectorsConfig(checkpoint, reader: reader)
        if !LTX2Checkpoint.isTransformer(all) { print("family: LTX-2 (text connectors)") }
        print(
            "connectors: \(config.layers) encoder states × \(config.captionChannels), video \(config.videoLayers) layers × \(config.videoHeads) heads, audio \(config.audioLayers) × \(config.audioHeads), \(config.videoRegisters) registers"
        )
        try check("connectors", { _ = try LTX2TextConnectors(config: config, reader: &$0) }, rules: .ltx2Connectors)
    }
    if LTX2Checkpoint.hasVocoder(all.filter { checkpoint.metadata["config"] == nil || $0.hasPrefix("vocoder.") }) {
        if !LTX2Checkpoint.isTransformer(all) && !LTX2Checkpoint.hasConnectors(all) { print("family: LTX-2 (vocoder)") }
        do {
            let v = try LTX2Checkpoint.loadVocoder(URL(fileURLWithPath: checkpoint.path), on: cpu, shapesOnly: true)
            print(
                "vocoder: every weight present; \(v.config.inChannels) mel channels → \(v.config.outChannels) × \(v.config.outputSampleRate) Hz (×\(v.config.upsampling))"
            )
        } catch { print("vocoder: not loadable: \(String(describing: error).prefix(400))") }
    }
    let single = checkpoint.metadata["config"] != nil
    if LTX2Checkpoint.hasAudioVAE(all.filter { !single || $0.hasPrefix("audio_vae.") }) {
        if !LTX2Checkpoint.isTransformer(all) { print("family: LTX-2 (audio VAE)") }
        do {
            let v = try LTX2Checkpoint.loadAudioVAE(URL(fileURLWithPath: checkpoint.path), on: cpu, shapesOnly: true)
            print(
                "audio VAE: every weight present; \(v.config.inChannels) × \(v.config.melBins) mel ↔ \(v.config.latentChannels) latent channels, ×\(v.config.compression) in time and mel"
            )
        } catch { print("audio VAE: not loadable: \(String(describing: error).prefix(400))") }
    }
    if LTX2Checkpoint.hasVideoVAE(all.filter { !single || $0.hasPrefix("vae.") }) {
        if !LTX2Checkpoint.isTransformer(all) { print("family: LTX-2 (video VAE)") }
        do {
            let v = try LTX2Checkpoint.loadVideoVAE(URL(fileURLWithPath: checkpoint.path), on: cpu, shapesOnly: true)
                .model
            let c = v.config
            print(
                "video VAE: every weight present; \(c.inChannels) × (1 + \(v.temporalCompression)k) frames ↔ \(c.latentChannels) latent channels, ×\(v.spatialCompression) in space, ×\(v.temporalCompression) in time (patch \(c.patchSize), encoder \(c.blockOutChannels), decoder \(c.decoderBlockOutChannels), decoder \(c.decoderCausal ? "causal" : "not causal"), padding \(c.encoderPadding.rawValue)/\(c.decoderPadding.rawValue))"
            )
        } catch { print("video VAE: not loadable: \(String(describing: error).prefix(400))") }
    }
}
