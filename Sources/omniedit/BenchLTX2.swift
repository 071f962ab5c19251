import ArgumentParser
import Foundation
import Models
import Tensor
import TensorCPU

/// `omniedit bench-ltx2`: the LTX-2 parts at their real geometry (random weights, f32) on the CPU
/// backend, each beside diffusers on PyTorch CPU (`tools/bench/ltx2_torch.py`, same sizes, torch threads =
/// our BLAS threads) in the same run, passes alternating (ours, peer, ours, peer …) so that both see the
/// same load from other processes:
/// - `dit`: one joint forward of the audio-video transformer (video 32 × 128 = 4096, FFN 16384; audio
///   32 × 64 = 2048, FFN 8192; caption rows 3840 wide per stream, text cross-attention, a2v / v2a) with
///   `--layers` of the 48 blocks; the 48-block time is estimated from the counted FLOPs (`ditFLOPs`);
/// - `vae`: the video VAE's decode of one tile of `VAETiling.ltx2` (16 latent cells = 512 pixels) at
///   LTX-2's widths (decoder 1024 → 512 → 256 → 128, 5 resnets per stage, not causal as LTX-2's own);
///   the encoder is not materialised on either side;
/// - `vocoder`: the HiFi-GAN vocoder at LTX-2's widths: seconds per second of 24 kHz stereo audio.
/// Each row prints the best pass of each side, the peak resident memory of each process during its
/// pass (weights included) and the time ratio.
struct BenchLTX2: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ltx2",
        abstract: "LTX-2 joint DiT forward, video VAE tile decode, vocoder at real geometry beside diffusers (PyTorch CPU), same run.")

    @Option(help: "Parts to run, comma-separated: dit, vae, vocoder.")
    var parts = "dit,vae,vocoder"
    @Option(help: "Transformer blocks built and run (LTX-2 has 48; the whole model's time is estimated).")
    var layers = 2
    @Option(help: "The video window: frames,height,width in pixels (frames = 1 + 8k, sides multiples of 32).")
    var video = "25,512,768"
    @Option(help: "Frames per second of the window (sets its audio length).")
    var fps: Float = 24
    @Option(help: "Caption rows per stream (LTX-2 pads prompts to 1024; registers fill the padding).")
    var textRows = 1024
    @Option(help: "Latent frames of the decoded VAE tile (1 + 8·(n−1) video frames).")
    var latentFrames = 2
    @Option(help: "Seconds of audio for the vocoder.")
    var audioSeconds: Double = 2
    @Option(help: "Timed passes per side, alternating; the best of each side is reported.")
    var repeats = 1
    @Option(help: "Threads for both sides (our kernels and BLAS; torch.set_num_threads). Default: all cores.")
    var threads: Int?
    @Option(help: "Python with torch and diffusers for the peer (tools/fixtures/ltx2/requirements.txt).")
    var python = "python3"
    @Option(help: "The peer script.")
    var peerScript = "tools/bench/ltx2_torch.py"
    @Flag(help: "Run our side only.")
    var noPeer = false
    @Flag(help: "Small widths and sizes on both sides (checks that the benchmark runs; figures mean nothing).")
    var tiny = false

    func run() throws {
        let selected = parts.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !selected.isEmpty, selected.allSatisfy({ ["dit", "vae", "vocoder"].contains($0) }) else {
            throw ValidationError("--parts takes dit, vae, vocoder (comma-separated), got '\(parts)'")
        }
        guard (1...48).contains(layers), repeats >= 1, (1...4096).contains(textRows), latentFrames >= 1,
            audioSeconds > 0, audioSeconds <= 600, fps > 0
        else { throw ValidationError("--layers 1…48, --repeats ≥ 1, --text-rows 1…4096, sizes positive") }
        if let threads, threads >= 1, ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            setenv("OPENBLAS_NUM_THREADS", "\(threads)", 1)  // read when OpenBLAS is opened, just below
        }
        let cpu = try CPUBackend(threads: threads)
        let blasThreads = (try? OpenBLAS.load().threads) ?? cpu.threads
        emit("device: \(cpu.device)")
        emit("peer: \(noPeer ? "none (--no-peer)" : "\(python) \(peerScript), torch threads \(blasThreads)")")
        for part in selected {
            emit("\n== \(part)")
            switch part {
            case "dit": try benchTransformer(cpu, threads: blasThreads)
            case "vae": try benchVideoVAE(cpu, threads: blasThreads)
            default: try benchVocoder(cpu, threads: blasThreads)
            }
        }
    }

    // MARK: Parts

    private func benchTransformer(_ cpu: CPUBackend, threads: Int) throws {
        var c = LTX2TransformerConfig()
        c.numLayers = layers
        c.ropeType = .split
        var (f, h, w, audioFrames, rows) = (0, 0, 0, 0, textRows)
        if tiny {
            (c.inChannels, c.outChannels, c.numHeads, c.headDim, c.crossAttentionDim) = (16, 16, 2, 16, 32)
            (c.audioInChannels, c.audioOutChannels, c.audioNumHeads, c.audioHeadDim) = (16, 16, 2, 8)
            (c.audioCrossAttentionDim, c.captionChannels) = (16, 24)
            (f, h, w, audioFrames, rows) = (2, 3, 4, 5, 7)
        } else {
            let window = video.split(separator: ",").compactMap { Int($0) }
            guard window.count == 3, window[0] >= 1, (window[0] - 1) % 8 == 0, window[1] > 0, window[2] > 0,
                window[1] % 32 == 0, window[2] % 32 == 0
            else { throw ValidationError("--video frames,height,width with frames = 1 + 8k and sides multiples of 32") }
            (f, h, w) = ((window[0] - 1) / 8 + 1, window[1] / 32, window[2] / 32)
            // As diffusers' LTX2Pipeline: round(duration · 16000 / 160 / 4) audio latent frames.
            audioFrames = Int((Double(window[0]) / Double(fps) * 25).rounded())
            emit(
                "window \(window[0])×\(window[1])×\(window[2]) at \(fps) fps → video latent \(f)×\(h)×\(w) = \(f * h * w) tokens, \(audioFrames) audio tokens, \(rows) caption rows per stream"
            )
        }
        emit(
            "config: video \(c.numHeads)×\(c.headDim) (FFN \(4 * c.innerDim)), audio \(c.audioNumHeads)×\(c.audioHeadDim) (FFN \(4 * c.audioInnerDim)), captions \(c.captionChannels); \(layers) of 48 blocks, split RoPE, f32"
        )
        let peer = try startPeer(
            part: "dit", threads: threads,
            ["--layers", "\(layers)", "--video-grid", "\(f),\(h),\(w)", "--fps", "\(fps)", "--audio-frames",
             "\(audioFrames)", "--text-rows", "\(rows)"])
        var reader = try WeightReader(generating: BenchDiT.randomWeights(on: cpu, dtype: .f32), backend: cpu)
        let model = try LTX2Transformer(config: c, reader: &reader)
        var rng = SplitMix64(seed: 2026)
        func random(_ shape: [Int]) throws -> Tensor {
            try cpu.upload(rng.uniform(shape.reduce(1, *), scale: 1), shape: shape, dtype: .f32)
        }
        let inputs = LTX2TransformerInputs(
            video: try random([f * h * w, c.inChannels]), frames: f, height: h, width: w, fps: fps,
            audio: try random([audioFrames, c.audioInChannels]), text: try random([rows, c.captionChannels]),
            audioText: try random([rows, c.captionChannels]), videoTimestep: 700, audioTimestep: 700)
        let (ours, theirs) = try BenchPeer.alternate(peer, repeats: repeats) {
            let out = try model(inputs, on: cpu)
            _ = try cpu.download(out.video)
            _ = try cpu.download(out.audio)
        }
        let counted = Self.ditFLOPs(c, videoTokens: f * h * w, audioTokens: audioFrames, textRows: rows)
        var all = c
        all.numLayers = 48
        let whole = Self.ditFLOPs(all, videoTokens: f * h * w, audioTokens: audioFrames, textRows: rows)
        emit(
            String(
                format: "counted: %.1f GFLOP for %d block(s), %.1f GFLOP for 48 (the 48-block time below is the measured time × %.2f)",
                counted / 1e9, layers, whole / 1e9, whole / counted))
        BenchPeer.report(
            "joint forward", unit: "48-block forward (s)", ours: ours, theirs: theirs, peer: peer,
            derived: { $0 * whole / counted }, rate: { counted / $0 / 1e9 }, rateName: "GFLOP/s")
    }

    private func benchVideoVAE(_ cpu: CPUBackend, threads: Int) throws {
        var c = LTX2VideoVAEConfig()
        c.decoderCausal = false  // LTX-2's own decoder (ltx-core `causal_decoder: false`)
        var tile = VAETiling.ltx2.tile
        if tiny {
            (c.latentChannels, c.blockOutChannels, c.layersPerBlock) = (4, [8, 16, 16, 32], [1, 1, 2, 1, 1])
            (c.decoderBlockOutChannels, c.decoderLayersPerBlock, c.patchSize) = ([8, 16, 32], [1, 2, 1, 1], 2)
            tile = 3
        }
        let frames = 1 + c.temporalCompression * (latentFrames - 1)
        let side = tile * c.spatialCompression
        // Resnet widths as they run: the mid block, then each up block's (its width ÷ its upsample factor).
        let top = c.decoderBlockOutChannels.last ?? 0
        let stages = [top] + zip(c.decoderBlockOutChannels.reversed(), c.upsampleFactor.reversed()).map { $0 / $1 }
        emit(
            "config: LTX-2 video VAE decoder (conv_in \(c.latentChannels) → \(top), resnets \(stages.map(String.init).joined(separator: " → ")), \(c.decoderLayersPerBlock.first ?? 0) per stage, conv_out → \(c.outChannels)·\(c.patchSize)², not causal), f32; one tile of \(tile)×\(tile) latent cells × \(latentFrames) latent frames → \(frames) frames of \(side)×\(side)"
        )
        let peer = try startPeer(
            part: "vae", threads: threads, ["--tile", "\(tile)", "--latent-frames", "\(latentFrames)"])
        let random = BenchDiT.randomWeights(on: cpu, dtype: .f32)
        let zero = try cpu.zeros([1])
        // Decode only: the encoder's weights stand in as one broadcast zero (no memory), as the peer drops its encoder.
        var reader = try WeightReader(
            generating: { key, shape in
                key.hasPrefix("encoder.")
                    ? try zero.reshaped(Array(repeating: 1, count: shape.count)).expanded(to: shape)
                    : try random(key, shape)
            }, backend: cpu)
        let vae = try LTX2VideoVAE(config: c, reader: &reader)
        var rng = SplitMix64(seed: 128)
        let latent = try cpu.upload(
            rng.normal(c.latentChannels * latentFrames * tile * tile, std: 1),
            shape: [c.latentChannels, latentFrames, tile, tile], dtype: .f32)
        var flops = 0.0
        let (ours, theirs) = try BenchPeer.alternate(peer, repeats: repeats) {
            let before = cpu.convolutionFLOPs
            _ = try cpu.download(try vae.decode(latent, on: cpu))
            flops = cpu.convolutionFLOPs - before
        }
        BenchPeer.report(
            "tile decode", unit: "s per output frame", ours: ours, theirs: theirs, peer: peer,
            derived: { $0 / Double(frames) }, rate: nil, rateName: "")
        try emitConvolutionLimit(flops: flops, pass: ours)
    }

    private func benchVocoder(_ cpu: CPUBackend, threads: Int) throws {
        var c = LTX2VocoderConfig()
        if tiny { (c.inChannels, c.hiddenChannels) = (16, 32) }
        // 100 mel frames per second (16 kHz, hop 160); 240 output samples per frame (24 kHz).
        let melFrames = tiny ? 5 : max(1, Int((audioSeconds * 100).rounded()))
        let seconds = Double(melFrames * c.upsampling) / Double(c.outputSampleRate)
        emit(
            "config: LTX-2 vocoder (\(c.hiddenChannels) channels, upsampling \(c.upsampleFactors.map(String.init).joined(separator: "×")) = ×\(c.upsampling), resblock kernels \(c.resnetKernels)), f32; mel [2, \(melFrames), \(c.inChannels / 2)] → \(String(format: "%.2f", seconds)) s of stereo audio"
        )
        let peer = try startPeer(part: "vocoder", threads: threads, ["--mel-frames", "\(melFrames)"])
        var reader = try WeightReader(generating: BenchDiT.randomWeights(on: cpu, dtype: .f32), backend: cpu)
        let vocoder = try LTX2Vocoder(config: c, reader: &reader, on: cpu)
        var rng = SplitMix64(seed: 64)
        let mel = try cpu.upload(
            rng.normal(c.inChannels * melFrames, std: 1), shape: [2, melFrames, c.inChannels / 2], dtype: .f32)
        var flops = 0.0
        let (ours, theirs) = try BenchPeer.alternate(peer, repeats: repeats) {
            let before = cpu.convolutionFLOPs
            _ = try cpu.download(try vocoder(mel, on: cpu))
            flops = cpu.convolutionFLOPs - before
        }
        BenchPeer.report(
            "vocoder", unit: "s per s of audio", ours: ours, theirs: theirs, peer: peer,
            derived: { $0 / seconds }, rate: nil, rateName: "")
        try emitConvolutionLimit(flops: flops, pass: ours)
    }

    // MARK: Running and reporting

    private func startPeer(part: String, threads: Int, _ arguments: [String]) throws -> BenchPeer? {
        if noPeer { return nil }
        return try BenchPeer(
            python: python, script: peerScript,
            arguments: ["--part", part, "--threads", "\(threads)"] + (tiny ? ["--tiny"] : []) + arguments)
    }

    /// Counted FLOPs of one joint forward (multiply-add = 2). Per block, with Lv video and La audio
    /// tokens, T caption rows, d / a the video / audio widths, fv / fa their FFN widths: video self
    /// 8·Lv·d² + 4·Lv²·d; video text q,o 4·Lv·d², k,v 4·T·d², scores 4·Lv·T·d; the same for audio with a;
    /// a2v q 2·Lv·d·a, k,v 4·La·a², o 2·Lv·a·d, scores 4·Lv·La·a; v2a q,o 4·La·a², k,v 4·Lv·d·a, scores
    /// 4·La·Lv·a; FFNs 4·Lv·d·fv + 4·La·a·fa. Outside the blocks: proj_in/out and the caption projections.
    static func ditFLOPs(_ c: LTX2TransformerConfig, videoTokens: Int, audioTokens: Int, textRows: Int) -> Double {
        let (lv, la, t) = (Double(videoTokens), Double(audioTokens), Double(textRows))
        let (d, a) = (Double(c.innerDim), Double(c.audioInnerDim))
        let (fv, fa) = (4 * d, 4 * a)
        let video = 8 * lv * d * d + 4 * lv * lv * d + 4 * lv * d * d + 4 * t * d * d + 4 * lv * t * d
        let audio = 8 * la * a * a + 4 * la * la * a + 4 * la * a * a + 4 * t * a * a + 4 * la * t * a
        let a2v = 2 * lv * d * a + 4 * la * a * a + 2 * lv * a * d + 4 * lv * la * a
        let v2a = 4 * la * a * a + 4 * lv * d * a + 4 * la * lv * a
        let ffn = 4 * lv * d * fv + 4 * la * a * fa
        let perBlock = video + audio + a2v + v2a + ffn
        let caption = Double(c.captionChannels)
        let outside =
            2 * lv * Double(c.inChannels) * d + 2 * la * Double(c.audioInChannels) * a
            + 2 * t * (caption * d + d * d) + 2 * t * (caption * a + a * a)
            + 2 * lv * d * Double(c.outChannels) + 2 * la * a * Double(c.audioOutChannels)
        return Double(c.numLayers) * perBlock + outside
    }
}

/// One output line, written at once (not held in a stdio buffer: the rows of a long benchmark appear as
/// they are measured, also when the output goes to a file).
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
