// The `omniedit` developer tool as a script runs it: `forward` reproduces the HuMo goldens through
// the command line on both backends, and `inspect` names the family, variant and unused keys.
import Foundation
import Models
import OFXHost
import OFXTestSupport
import XCTest

final class OmniEditToolTests: XCTestCase {
    static let fixtures = OmniEditBundleTests.root + "/Tests/ModelsTests/Fixtures"

    private func run(_ arguments: [String]) throws -> (Int32, String) {
        try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(arguments)
    }

    func testForwardReproducesTheHuMoGoldensOnBothBackends() throws {
        for (golden, backend, tolerance) in [
            ("humo_dit_tiny_1p7b", "cpu", Float(1e-4)), ("humo_dit_tiny_17b", "cpu", 1e-4),
            ("humo_dit_tiny_1p7b", "vulkan", 1e-3),
        ] {
            let file = "\(Self.fixtures)/\(golden).safetensors"
            let output = NSTemporaryDirectory() + "omniedit-forward-\(getpid())-\(golden)-\(backend).safetensors"
            let (status, out) = try run([
                "forward", "--component", "dit", "--model", file, "--drop-prefix", "weights/", "--inputs", file,
                "--output", output, "--backend", backend,
            ])
            if backend == "vulkan" && status != 0 && out.lowercased().contains("no vulkan") {
                throw XCTSkip("no Vulkan device: \(out)")
            }
            XCTAssertEqual(status, 0, "\(golden) \(backend): \(out)")
            let v = try SafetensorsFile(path: output).floats("velocity")
            let expected = try SafetensorsFile(path: file).floats("outputs/velocity")
            XCTAssertEqual(v.count, expected.count)
            let scale = max(1, expected.map(abs).max() ?? 0)
            let worst = zip(v, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(golden) on \(backend)")
            try? FileManager.default.removeItem(atPath: output)
        }
    }

    func testForwardExplainsABadModel() throws {
        let (status, out) = try run([
            "forward", "--component", "dit", "--model", "\(Self.fixtures)/whisper_frontend.safetensors", "--inputs",
            "\(Self.fixtures)/humo_dit_tiny_1p7b.safetensors", "--output", NSTemporaryDirectory() + "never.safetensors",
        ])
        XCTAssertNotEqual(status, 0, out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "never.safetensors"))
        XCTAssertFalse(out.isEmpty)
    }

    func testDataErrorsAreNotUsageErrorsAndNeverAFoundationDump() throws {
        let dir = NSTemporaryDirectory() + "omniedit-exit-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"dim": "wide", "num_heads": 2, "num_layers": 1, "ffn_dim": 8}"#.write(
            toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let file = "\(Self.fixtures)/humo_dit_tiny_1p7b.safetensors"
        let forward = ["forward", "--component", "dit", "--model", file, "--drop-prefix", "weights/", "--inputs", file]
        let cases: [([String], Int32, String)] = [
            (forward + ["--output", dir + "/o.safetensors", "--config", dir + "/bad.json"], 65, "bad.json: field 'dim' must be a whole number"),
            (forward + ["--output", dir + "/o.safetensors", "--config", dir + "/none.json"], 66, "none.json: no such file or folder"),
            (forward + ["--output", file], 73, "refusing to write over an input"),
            (forward + ["--output", dir + "/o.safetensors", "--bogus"], 64, "Unknown option '--bogus'"),
            (["inspect", dir + "/missing.safetensors"], 66, "missing.safetensors: no such file or folder"),
        ]
        for (args, expected, text) in cases {
            let (status, out) = try run(args)
            XCTAssertEqual(status, expected, "\(args.suffix(2)): \(out)")
            XCTAssertTrue(out.contains(text), "expected '\(text)' in: \(out)")
            XCTAssertFalse(out.contains("Error Domain") || out.contains("DecodingError"), out)
            XCTAssertEqual(out.contains("Usage:"), expected == 64, "only a usage error prints the usage: \(out)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.safetensors"))
    }

    func testInspectNamesFamilyVariantAndUnusedKeys() throws {
        let (status, out) = try run(["inspect", "--list", "100", "--drop-prefix", "weights/", "\(Self.fixtures)/humo_dit_tiny_17b.safetensors"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("family: HuMo"), out)
        XCTAssertTrue(out.contains("36 channels"), out)
        XCTAssertTrue(out.contains("missing keys: none"), out)
        XCTAssertTrue(out.contains("outputs/velocity"), "goldens' outputs are listed as unused keys: \(out)")
        let (s2, diffusers) = try run(["inspect", "\(Self.fixtures)/wan_dit_diffusers_tiny"])
        XCTAssertEqual(s2, 0, diffusers)
        XCTAssertTrue(diffusers.contains("files: 5"), diffusers)
        XCTAssertTrue(diffusers.contains("family: Wan2.1"), diffusers)
    }

    /// Asking for help is not an error: `--help`, `help <command>` and `<command> --help` print usage
    /// and exit 0 for every subcommand; an unknown option is a usage error (64).
    func testHelpExitsZeroForEverySubcommandAndAnUnknownOptionIs64() throws {
        XCTAssertEqual(try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").helpProblems(known: "lipsync"), [])
    }
}
