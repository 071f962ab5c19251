import ArgumentParser
import Foundation
import Models
import Tensor
import TensorCPU
import Text

/// `omniedit bench-text`: prompt-encoder speed at the real models' geometry with random weights on the
/// CPU backend — umT5-XXL (width 4096, 64 heads × 64, FFN 10240) at 512 tokens, Gemma-3-12B (3840,
/// 16/8 heads × 256, MLP 15360, window 1024) at 256 tokens — with fewer layers than the real 24 / 48
/// (each layer is the same work; the time of the whole encoder is the per-layer time × layers) and a
/// small vocabulary (the lookup is not the cost). Prints tokens/s, the per-layer time and peak RSS.
///
/// The peer is `tools/bench/text_torch.py`: transformers' `UMT5EncoderModel` / `Gemma3TextModel` with the
/// same geometry in PyTorch CPU, run in the same session.
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-text", abstract: "umT5-XXL / Gemma-3-12B encoder layers at real geometry on the CPU backend.")

    @Option(help: "umt5 or gemma3.")
    var encoder = "umt5"
    @Option(help: "Layers built and run (real: 24 umT5, 48 Gemma-3).")
    var layers = 2
    @Option(help: "Prompt tokens (default: 512 for umT5, 256 for Gemma-3).")
    var tokens: Int?
    @Option(help: "Store the generated weights as f32, bf16 or f16.")
    var weightDtype = "bf16"
    @Option(help: "Threads of the Swift kernels (default: all cores).")
    var threads: Int?

    func run() throws {
        guard let dtype = DType(rawValue: weightDtype) else { throw ValidationError("--weight-dtype f32|bf16|f16") }
        guard (1...64).contains(layers) else { throw ValidationError("--layers 1…64") }
        let cpu = try CPUBackend(threads: threads)
        print("device: \(cpu.device)")
        var reader = try WeightReader(generating: BenchDiT.randomWeights(on: cpu, dtype: dtype), backend: cpu)
        var rng = SplitMix64(seed: 13)
        let vocab = 1024
        let started = Date()
        let run: ([Int]) throws -> Void
        let length: Int
        let realLayers: Int
        switch encoder {
        case "umt5":
            var c = UMT5Config.xxl
            c.layers = layers
            c.vocabSize = vocab
            length = tokens ?? 512
            realLayers = 24
            let model = try UMT5Encoder.load(config: c, from: &reader)
            run = { _ = try cpu.download(try model($0, on: cpu)) }
            print("config: umT5-XXL geometry, \(layers) of 24 layers, \(length) tokens, weights \(dtype)")
        case "gemma3":
            var c = Gemma3Config.gemma3_12B
            c.layers = layers
            c.vocabSize = vocab
            c.layerTypes = (0..<layers).map { $0 == layers - 1 ? .full : .sliding }
            length = tokens ?? 256
            realLayers = 48
            let model = try Gemma3TextModel.load(config: c, from: &reader, backend: cpu)
            run = { ids in for s in try model.hiddenStates(ids, on: cpu) { _ = try cpu.download(s) } }
            print("config: Gemma-3-12B geometry, \(layers) of 48 layers (last one global), \(length) tokens, weights \(dtype)")
        default:
            throw ValidationError("--encoder umt5 or gemma3")
        }
        print(String(format: "weights generated: %.1f s", Date().timeIntervalSince(started)))
        let ids = (0..<length).map { _ in Int(rng.next() % UInt64(vocab)) }
        try run(Array(ids.prefix(8)))
        let t0 = Date()
        try run(ids)
        let seconds = Date().timeIntervalSince(t0)
        print(
            String(
                format: "forward: %.2f s (%.2f s per layer); %d-layer encoder ≈ %.1f s, %.1f tokens/s", seconds,
                seconds / Double(layers), realLayers, seconds / Double(layers) * Double(realLayers),
                Double(length) / (seconds / Double(layers) * Double(realLayers))))
        print(String(format: "peak memory (max RSS): %.2f GiB", BenchDiT.peakRSSGiB()))
    }
}
