// The CPU backend's kernel choice as a user meets it, through `omniedit cpu-info` in fresh processes
// (OpenBLAS's core is fixed once per process): the library runs the core chosen for this CPU, a
// forced AVX2-only path runs the AVX2 core, and both give the same numbers; bf16 precision stays
// within its stated error and falls back to f32 where the CPU lacks AVX512_BF16.
import Foundation
import Models
import OFXTestSupport
import XCTest

final class CPUKernelChoiceTests: XCTestCase {
    private func cpuInfo(_ environment: [String: String], gemm: String) throws -> [String: Any] {
        let (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            ["cpu-info", "--json", "--gemm-output", gemm], environment: environment)
        XCTAssertEqual(status, 0, out)
        let line = out.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], out)
    }

    private func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func testForcedPathsRunTheirCoreAndAgree() throws {
        let dir = NSTemporaryDirectory() + "omniedit-cpu-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Removing OPENBLAS_CORETYPE from the child's environment: the choice must be ours.
        let native = try cpuInfo(["OPENBLAS_CORETYPE": ""], gemm: dir + "/native.f32")
        XCTAssertEqual(native["runsChosenCore"] as? Bool, true, "\(native)")
        let level = native["level"] as? String ?? ""
        guard ["avx2", "avx512", "avx512_bf16"].contains(level) else {
            throw XCTSkip("this CPU (\(level)) has no AVX2 path to compare")
        }
        let forced = try cpuInfo(["OPENBLAS_CORETYPE": "", "OMNIEDIT_MAX_CPU_ISA": "avx2"], gemm: dir + "/avx2.f32")
        XCTAssertEqual(forced["level"] as? String, "avx2")
        XCTAssertTrue(["Haswell", "Zen"].contains(forced["chosenCore"] as? String ?? ""), "\(forced)")
        XCTAssertEqual(forced["runsChosenCore"] as? Bool, true, "\(forced)")
        let a = try floats(dir + "/native.f32")
        let b = try floats(dir + "/avx2.f32")
        XCTAssertEqual(a.count, 257 * 300)
        XCTAssertEqual(a.count, b.count)
        // Different kernels sum in different orders: agreement to f32 rounding over 1536 terms.
        let scale = a.map(abs).max() ?? 1
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst / scale, 1e-5)
        XCTAssertGreaterThan(scale, 0.1)
    }

    /// bf16 linear layers (`OMNIEDIT_CPU_PRECISION=bf16`) on the HuMo DiT golden (PyTorch, f32):
    /// within 2e-2 of the largest velocity; a CPU without AVX512_BF16 (forced here) runs f32 instead.
    func testBF16PrecisionOnTheDiTGoldenAndItsFallback() throws {
        let dir = NSTemporaryDirectory() + "omniedit-bf16-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let f32 = try cpuInfo(["OPENBLAS_CORETYPE": ""], gemm: dir + "/f32.f32")
        let bf16 = try cpuInfo(["OPENBLAS_CORETYPE": "", "OMNIEDIT_CPU_PRECISION": "bf16"], gemm: dir + "/bf16.f32")
        guard bf16["bf16Kernel"] as? Bool == true else { throw XCTSkip("this CPU has no AVX512_BF16") }
        let fallback = try cpuInfo(
            ["OPENBLAS_CORETYPE": "", "OMNIEDIT_CPU_PRECISION": "bf16", "OMNIEDIT_MAX_CPU_ISA": "avx512"],
            gemm: dir + "/fallback.f32")
        XCTAssertEqual(f32["precision"] as? String, "f32")
        XCTAssertEqual(fallback["bf16Kernel"] as? Bool, false)
        let exact = try floats(dir + "/f32.f32")
        let scale = exact.map(abs).max() ?? 1
        let fallbackWorst = zip(try floats(dir + "/fallback.f32"), exact).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(fallbackWorst / scale, 1e-5, "the fallback runs f32")
        let bf16Worst = zip(try floats(dir + "/bf16.f32"), exact).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(bf16Worst / scale, 2e-2)
        XCTAssertGreaterThan(bf16Worst / scale, 1e-5, "bf16 rounding should be visible")

        let golden = OmniEditToolTests.fixtures + "/humo_dit_tiny_1p7b.safetensors"
        let output = dir + "/velocity.safetensors"
        let (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            [
                "forward", "--component", "dit", "--model", golden, "--drop-prefix", "weights/", "--inputs", golden,
                "--output", output, "--backend", "cpu",
            ], environment: ["OMNIEDIT_CPU_PRECISION": "bf16"])
        XCTAssertEqual(status, 0, out)
        let v = try SafetensorsFile(path: output).floats("velocity")
        let expected = try SafetensorsFile(path: golden).floats("outputs/velocity")
        XCTAssertEqual(v.count, expected.count)
        let vScale = max(1, expected.map(abs).max() ?? 0)
        let worst = zip(v, expected).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst / vScale, 2e-2, "bf16 DiT vs the PyTorch f32 golden")
    }

    func testAnUnknownISACapIsAClearError() throws {
        let (status, out) = try BuiltTool(environment: "OMNIEDIT_TOOL", name: "omniedit").run(
            ["cpu-info"], environment: ["OMNIEDIT_MAX_CPU_ISA": "avx9"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(out.contains("OMNIEDIT_MAX_CPU_ISA=avx9"), out)
    }
}
