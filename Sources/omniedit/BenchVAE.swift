import ArgumentParser
import Foundation
import Models
import Tensor
import TensorCPU

/// `omniedit bench-vae`: the Wan2.1 VAE at its real size (dim 96, random weights generated in
/// memory) on the CPU backend: one spatial tile decoded (and optionally encoded) chunk by chunk,
/// with time, the causal cache size after every chunk and the peak resident memory of the pass.
///
/// What it shows: the caches stop growing after the first chunks (memory does not depend on the
/// clip length), and a tile's working set is what a tiled decode of any frame size needs on top of
/// the weights and the output. From the measured tile peak it prints the budget of a 480×832×97
/// decode with the standard tiling (32-cell tiles, 8-cell overlap).
///
/// The peer is `tools/bench/vae_torch.py`: the same tile decode (diffusers `AutoencoderKLWan`, real
/// config, random weights, frame-by-frame feature cache) in PyTorch CPU, its passes alternating with
/// ours in the same run (torch threads = our threads), printed as a ratio.
struct BenchVAE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-vae", abstract: "Wan2.1 VAE (real size, random weights): one tile, time and memory.")

    @Option(help: "Tile side in latent cells (8 pixels each); 32 is the standard tiling.")
    var tile = 32

    @Option(help: "Latent frames to decode (1 + 4·(n−1) video frames).")
    var latentFrames = 2

    @Flag(help: "Also encode the decoded tile (chunks of 4 frames).")
    var encode = false

    @Option(help: "Also decode a whole latent frame of H,W cells with this tiling (e.g. 60,104 for 480×832).")
    var frameCells: String?

    @Option(help: "Timed decode passes per side, alternating; the best of each side is reported.")
    var repeats = 1

    @Option(help: "Python with torch and diffusers for the peer (tools/fixtures/ltx2/requirements.txt).")
    var python = "python3"

    @Option(help: "The peer script.")
    var peerScript = "tools/bench/vae_torch.py"

    @Flag(help: "Run our side only.")
    var noPeer = false

    func run() throws {
        guard tile >= 1, latentFrames >= 1, repeats >= 1 else {
            throw ValidationError("--tile, --latent-frames and --repeats must be ≥ 1")
        }
        let backend = try CPUBackend()
        emit("device: \(backend.device)")
        // Started first: it builds its model while we build ours.
        let peer =
            noPeer
            ? nil
            : try BenchPeer(
                python: python, script: peerScript,
                arguments: ["--tile", "\(tile)", "--latent-frames", "\(latentFrames)", "--threads", "\(backend.threads)"])
        emit("peer: \(noPeer ? "none (--no-peer)" : "\(python) \(peerScript), torch threads \(backend.threads)")")
        let config = WanVAEConfig.wan21
        var rng = SplitMix64(seed: 96)
        var parameters = 0
        let vae = try WanVAE.build(config: config) { key, shape in
            let count = shape.reduce(1, *)
            parameters += count
            if key.hasSuffix(".gamma") {
                return try backend.upload(rng.normal(count, mean: 1, std: 0.2), shape: shape, dtype: .f32)
            }
            if key.hasSuffix(".bias") {
                return try backend.upload(rng.normal(count, mean: 0, std: 0.05), shape: shape, dtype: .f32)
            }
            let fanIn = count / shape[0]
            let std = (key == "decoder.head.2.weight" ? 0.6 : 1) / Float(fanIn).squareRoot()
            return try backend.upload(rng.normal(count, mean: 0, std: std), shape: shape, dtype: .f32)
        }
        let weightGiB = Double(parameters * 4) / Double(1 << 30)
        emit(String(format: "Wan2.1 VAE: %.2f M parameters, %.3f GiB f32", Double(parameters) / 1e6, weightGiB))
        emit(String(format: "resident after building: %.2f GiB", MemoryProbe.residentGiB()))

        // Decode one tile, chunk by chunk through the public stack API, to report the cache per chunk.
        let z = try backend.upload(
            rng.normal(16 * latentFrames * tile * tile, mean: 0, std: 1), shape: [1, 16, latentFrames, tile, tile],
            dtype: .f32)
        var decoded: Tensor?
        var chunkLines: [String]?
        var flops = 0.0
        func decodeTile() throws {
            let before = backend.convolutionFLOPs
            defer { flops = backend.convolutionFLOPs - before }
            let x = try vae.latentIn(try vae.denormalize(z, on: backend), on: backend)
            var cache = CausalCache(for: vae.decoder)
            var pieces: [Tensor] = []
            var lines: [String] = []
            for f in 0..<latentFrames {
                let t0 = Date()
                pieces.append(
                    try vae.decoder.forward(x.narrowed(axis: 2, start: f, length: 1), cache: &cache, on: backend))
                lines.append(
                    String(
                        format: "decode latent frame %d → %d frames of %d×%d: %.1f s, cache %.1f MiB", f,
                        pieces.last?.shape[2] ?? 0, 8 * tile, 8 * tile, Date().timeIntervalSince(t0),
                        Double(cache.byteCount) / Double(1 << 20)))
            }
            decoded = try backend.concat(pieces, axis: 2)
            if chunkLines == nil { chunkLines = lines }
        }
        let before = MemoryProbe.residentGiB()
        let (ours, theirs) = try BenchPeer.alternate(peer, repeats: repeats, decodeTile)
        guard let decoded else { throw ValidationError("no decode pass ran") }
        for line in chunkLines ?? [] { emit(line) }
        let frames = decoded.shape[2]
        let tilePeak = ours.peakGiB - before
        emit(
            String(
                format:
                    "decode: %.1f s for %d frames of %d×%d (%.2f s per frame, best of %d); peak working set %.2f GiB above the weights",
                ours.seconds, frames, 8 * tile, 8 * tile, ours.seconds / Double(frames), repeats, tilePeak))
        BenchPeer.report(
            "Wan2.1 VAE tile decode, \(tile)×\(tile) cells × \(latentFrames) latent frames", unit: "s per output frame",
            ours: ours, theirs: theirs, peer: peer, derived: { $0 / Double(frames) }, rate: nil, rateName: "")
        try emitConvolutionLimit(flops: flops, pass: ours)

        if let frameCells {
            let hw = frameCells.split(separator: ",").compactMap { Int($0) }
            guard hw.count == 2, hw.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--frame-cells needs H,W (latent cells), got '\(frameCells)'")
            }
            let tiling = try VAETiling(tile: tile, overlap: tile / 4)
            let latent = try backend.upload(
                rng.normal(16 * latentFrames * hw[0] * hw[1], mean: 0, std: 1),
                shape: [1, 16, latentFrames, hw[0], hw[1]], dtype: .f32)
            MemoryProbe.resetPeak()
            let fBefore = MemoryProbe.residentGiB()
            let t0 = Date()
            let video = try vae.decodeTiled(latent, tiling: tiling, on: backend)
            emit(
                String(
                    format:
                        "tiled decode of %d×%d pixels (%d tiles), %d frames: %.1f s; peak %.2f GiB above the weights",
                    8 * hw[0], 8 * hw[1], tiling.tileCount(cellsH: hw[0], cellsW: hw[1]), video.shape[2],
                    Date().timeIntervalSince(t0), MemoryProbe.peakGiB() - fBefore))
        }

        if encode {
            MemoryProbe.resetPeak()
            let eBefore = MemoryProbe.residentGiB()
            let t0 = Date()
            let mu = try vae.encodeMean(try backend.clamp(decoded, min: -1, max: 1), on: backend)
            emit(
                String(
                    format: "encode: %.1f s for %d frames of %d×%d → %@; peak working set %.2f GiB",
                    Date().timeIntervalSince(t0),
                    frames, 8 * tile, 8 * tile, "\(mu.shape)", MemoryProbe.peakGiB() - eBefore))
        }

        // A 480×832×97 clip (latent 25×60×104) tiled with this tile size (overlap a quarter of it):
        // tiles run one after another, each holding its working set and its decoded frames; the
        // blend buffers are on the host.
        let tiling = try VAETiling(tile: tile, overlap: tile / 4)
        let tiles = tiling.ranges(60).count * tiling.ranges(104).count
        let tileWidth = 8 * min(tile, 104)
        let tileHeight = 8 * min(tile, 60)
        let tileFloats = 3 * 97 * tileWidth * tileHeight
        // f32 frames three times: the per-chunk pieces, their concatenation and the host copy.
        let tileOutput = Double(tileFloats * 12) / Double(1 << 30)
        let blendFloats = (3 * 97 + 1) * 480 * 832
        let blend = Double(blendFloats * 4) / Double(1 << 30)
        let total = weightGiB + tilePeak + tileOutput + blend
        emit(
            String(
                format:
                    "budget, 480×832×97 decode in %d tiles of %d cells (overlap %d): weights %.2f + tile working set %.2f (measured above) + tile output %.2f + blend buffers %.2f = %.2f GiB",
                tiles, tile, tile / 4, weightGiB, tilePeak, tileOutput, blend, total))
    }
}

/// Resident memory from /proc/self/status: current (VmRSS) and peak (VmHWM), which `resetPeak`
/// sets back to the current value (Linux `clear_refs` 5).
enum MemoryProbe {
    static func field(_ name: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb * 1024 / Double(1 << 30)
        }
        return 0
    }

    static func residentGiB() -> Double { field("VmRSS") }
    static func peakGiB() -> Double { field("VmHWM") }
    static func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
}
