// `omniedit forward --component ltx2-dit|ltx2-connectors` reproduces the diffusers goldens from the
// command line, and `omniedit inspect` names the LTX-2 family and variant of both checkpoint layouts.
import Foundation
import Models
import OFXTestSupport
import XCTest

final class LTX2ToolTests: XCTestCase {
    static let fixtures = OmniEditBundleTests.root + "/Tests/ModelsTests/Fixtures/ltx2"

    private func run(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(arguments)
    }

    private func worst(_ a: [Float], _ e: [Float]) -> Float {
        guard a.count == e.count else { return .infinity }
        return (zip(a, e).map { abs($0 - $1) }.max() ?? .infinity) / max(1, e.map(abs).max() ?? 0)
    }

    func testForwardRunsTheTransformerAndTheConnectors() throws {
        let golden = try SafetensorsFile(path: "\(Self.fixtures)/transformer_tiny_io.safetensors")
        var inputs = SafetensorsWriter()
        for name in golden.names where name.hasPrefix("inputs/") {
            try inputs.add(name, shape: try golden.entry(name).shape, values: try golden.floats(name))
        }
        try inputs.add("grid", shape: [3], values: [3, 2, 5])
        try inputs.add("fps", shape: [1], values: [25])
        let tmp = NSTemporaryDirectory() + "omniedit-ltx2-\(getpid())"
        try inputs.write(to: URL(fileURLWithPath: tmp + "-in.safetensors"))
        defer {
            for s in ["-in", "-dit", "-conn"] { try? FileManager.default.removeItem(atPath: tmp + s + ".safetensors") }
        }
        let (status, out) = try run([
            "forward", "--component", "ltx2-dit", "--model", "\(Self.fixtures)/transformer_tiny_single.safetensors",
            "--inputs", tmp + "-in.safetensors", "--output", tmp + "-dit.safetensors",
        ])
        XCTAssertEqual(status, 0, out)
        let result = try SafetensorsFile(path: tmp + "-dit.safetensors")
        XCTAssertLessThanOrEqual(worst(try result.floats("video"), try golden.floats("outputs/video_split")), 1e-4)
        XCTAssertLessThanOrEqual(worst(try result.floats("audio"), try golden.floats("outputs/audio_split")), 1e-4)

        let conn = "\(Self.fixtures)/connectors_tiny_io.safetensors"
        let (s2, o2) = try run([
            "forward", "--component", "ltx2-connectors", "--model", "\(Self.fixtures)/connectors_tiny", "--inputs",
            conn,
            "--output", tmp + "-conn.safetensors",
        ])
        XCTAssertEqual(s2, 0, o2)
        let rows = try SafetensorsFile(path: tmp + "-conn.safetensors")
        let expected = try SafetensorsFile(path: conn)
        XCTAssertLessThanOrEqual(worst(try rows.floats("video"), try expected.floats("outputs/video")), 1e-4)
        XCTAssertLessThanOrEqual(worst(try rows.floats("audio"), try expected.floats("outputs/audio")), 1e-4)
    }

    func testInspectNamesTheLTX2FamilyAndVariant() throws {
        let (status, out) = try run(["inspect", "\(Self.fixtures)/transformer_tiny_single.safetensors"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("family: LTX-2"), out)
        XCTAssertTrue(out.contains("variant: LTX-2 custom") && out.contains("split RoPE"), out)
        XCTAssertTrue(out.contains("transformer: every weight present"), out)
        let (s2, connectors) = try run(["inspect", "\(Self.fixtures)/connectors_tiny"])
        XCTAssertEqual(s2, 0, connectors)
        XCTAssertTrue(connectors.contains("family: LTX-2 (text connectors)"), connectors)
        XCTAssertTrue(connectors.contains("connectors: every weight present"), connectors)
    }
}

extension LTX2ToolTests {
    func testForwardRunsTheAudioVAEAndTheVocoder() throws {
        let tmp = NSTemporaryDirectory() + "omniedit-ltx2-audio-\(getpid())"
        defer {
            for s in ["-enc", "-dec", "-voc"] { try? FileManager.default.removeItem(atPath: tmp + s + ".safetensors") }
        }
        let vae = "\(Self.fixtures)/audio_vae_tiny"
        let io = "\(Self.fixtures)/audio_vae_tiny_io.safetensors"
        let golden = try SafetensorsFile(path: io)
        for (component, output, name, expected) in [
            ("ltx2-audio-decode", "-dec", "mel", "outputs/decoded"),
            ("ltx2-audio-encode", "-enc", "mean", "outputs/mean_21"),
        ] {
            var inputs = SafetensorsWriter()
            let source = component.hasSuffix("decode") ? "inputs/latent" : "inputs/mel_21"
            try inputs.add(
                component.hasSuffix("decode") ? "latent" : "mel", shape: try golden.entry(source).shape,
                values: try golden.floats(source))
            try inputs.write(to: URL(fileURLWithPath: tmp + output + "-in.safetensors"))
            defer { try? FileManager.default.removeItem(atPath: tmp + output + "-in.safetensors") }
            let (status, out) = try run([
                "forward", "--component", component, "--model", vae, "--inputs", tmp + output + "-in.safetensors",
                "--output", tmp + output + ".safetensors",
            ])
            XCTAssertEqual(status, 0, out)
            let result = try SafetensorsFile(path: tmp + output + ".safetensors").floats(name)
            XCTAssertLessThanOrEqual(worst(result, try golden.floats(expected)), 1e-4, component)
        }
        let voc = "\(Self.fixtures)/vocoder_tiny_io.safetensors"
        let (status, out) = try run([
            "forward", "--component", "ltx2-vocoder", "--model", "\(Self.fixtures)/vocoder_tiny", "--inputs", voc,
            "--output", tmp + "-voc.safetensors",
        ])
        XCTAssertEqual(status, 0, out)
        let wave = try SafetensorsFile(path: tmp + "-voc.safetensors").floats("waveform")
        XCTAssertLessThanOrEqual(worst(wave, try SafetensorsFile(path: voc).floats("outputs/waveform")), 1e-4)
        let (s2, inspect) = try run(["inspect", vae])
        XCTAssertEqual(s2, 0, inspect)
        XCTAssertTrue(
            inspect.contains("family: LTX-2 (audio VAE)") && inspect.contains("audio VAE: every weight present"),
            inspect)
    }
}

extension LTX2ToolTests {
    /// `omniedit bench-ltx2` runs its three parts end to end (tiny widths, our side only: CI has no
    /// torch); the real-size figures are the benchmark's business, not a test's.
    func testTheLTX2BenchmarkRunsItsThreeParts() throws {
        let (status, out) = try run(["bench-ltx2", "--tiny", "--no-peer", "--layers", "1"])
        XCTAssertEqual(status, 0, out)
        for row in ["| ours (CPU backend) |", "== dit", "== vae", "== vocoder", "48-block forward", "s per output frame",
                    "s per s of audio", "limit: our pass's convolutions"] {
            XCTAssertTrue(out.contains(row), "missing '\(row)' in:\n\(out)")
        }
        let (bad, message) = try run(["bench-ltx2", "--tiny", "--no-peer", "--parts", "unet"])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(message.contains("--parts takes dit, vae, vocoder"), message)
        let (missing, why) = try run(["bench-ltx2", "--tiny", "--parts", "vocoder", "--peer-script", "/nonexistent.py"])
        XCTAssertNotEqual(missing, 0)
        XCTAssertTrue(why.contains("peer script /nonexistent.py not found"), why)
    }
}

extension LTX2ToolTests {
    /// `omniedit bench-attention` runs (our side only: CI has no torch; small sizes: the real-size
    /// figures are the benchmark's business), prints one row per kernel asked for, and says so
    /// clearly when a kernel name or the peer script is wrong.
    func testTheAttentionBenchmarkRuns() throws {
        let (status, out) = try run(["bench-attention", "--no-peer", "--tokens", "70,100", "--heads", "2", "--repeats", "1"])
        XCTAssertEqual(status, 0, out)
        for row in ["| 70 | 2 × 128 | ours (", "| 100 | 2 × 128 | ours (", "load average before:"] {
            XCTAssertTrue(out.contains(row), "missing '\(row)' in:\n\(out)")
        }
        let (portable, rows) = try run([
            "bench-attention", "--no-peer", "--tokens", "40", "--heads", "1", "--repeats", "1", "--kernels", "blas-tiles",
        ])
        XCTAssertEqual(portable, 0, rows)
        XCTAssertTrue(rows.contains("| 40 | 1 × 128 | ours (blas-tiles) |"), rows)
        let (bad, message) = try run(["bench-attention", "--no-peer", "--kernels", "fastest"])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(message.contains("'fastest' is not one of"), message)
        let (missing, why) = try run(["bench-attention", "--tokens", "40", "--peer-script", "/nonexistent.py"])
        XCTAssertNotEqual(missing, 0)
        XCTAssertTrue(why.contains("peer script /nonexistent.py not found"), why)
    }
}

extension LTX2ToolTests {
    /// `omniedit bench-vae` (the Wan2.1 VAE at its real widths) decodes a small tile with our side only
    /// (CI has no torch), prints its row and the limit line, and names a missing peer script.
    func testTheWanVAEBenchmarkRuns() throws {
        let (status, out) = try run(["bench-vae", "--tile", "4", "--latent-frames", "2", "--no-peer"])
        XCTAssertEqual(status, 0, out)
        for row in ["| Wan2.1 VAE tile decode, 4×4 cells × 2 latent frames |", "| ours (CPU backend) |",
                    "decode latent frame 1 → 4 frames of 32×32", "limit: our pass's convolutions"] {
            XCTAssertTrue(out.contains(row), "missing '\(row)' in:\n\(out)")
        }
        let (missing, why) = try run(["bench-vae", "--tile", "4", "--peer-script", "/nonexistent.py"])
        XCTAssertNotEqual(missing, 0)
        XCTAssertTrue(why.contains("peer script /nonexistent.py not found"), why)
    }
}
