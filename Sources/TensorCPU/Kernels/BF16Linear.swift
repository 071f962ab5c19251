import CCPUKernels
import Foundation
import Tensor

/// Which arithmetic `linear` uses on the CPU backend.
public enum CPUPrecision: String, CaseIterable, Sendable {
    /// Every product in f32 (OpenBLAS sgemm): the reference.
    case f32
    /// Linear layers with bf16 operands and f32 sums (AVX512_BF16 `vdpbf16ps`, ~2× the f32 rate);
    /// inputs are rounded to bf16 (nearest-even), a relative error of ~2⁻⁹ per operand.
    case bf16
    /// bf16 for linear layers whose weights are stored in bf16 (they lose nothing; only the
    /// activations are rounded), f32 for the others.
    case auto

    /// `OMNIEDIT_CPU_PRECISION` (f32, bf16, auto) when set, else f32; an unknown value is an error.
    static func fromEnvironment() throws -> CPUPrecision {
        guard let name = ProcessInfo.processInfo.environment["OMNIEDIT_CPU_PRECISION"], !name.isEmpty else {
            return .f32
        }
        guard let p = CPUPrecision(rawValue: name.lowercased()) else {
            throw TensorError.invalidArgument(
                "OMNIEDIT_CPU_PRECISION=\(name) is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return p
    }
}

extension CPUBackend {
    /// Whether `linear` with this weight runs the bf16 kernel.
    func linearRunsBF16(weight: Tensor) -> Bool {
        guard bf16Kernel else { return false }
        switch precision {
        case .f32: return false
        case .bf16: return true
        case .auto: return weight.dtype == .bf16
        }
    }

    /// dst[rows, outF] (row stride outF) = x·Wᵀ, or += when `accumulate` (the bias already there),
    /// with bf16 operands and f32 sums. x: contiguous f32 rows of `inF`. The operands are rounded
    /// into the kernel's layouts (bounded scratch: rows·inF/2 + outF·inF/2 words), in parallel.
    func linearBF16(
        x: UnsafePointer<Float>, rows: Int, weight: Tensor, dst: UnsafeMutablePointer<Float>, accumulate: Bool
    ) throws {
        let outF = weight.shape[0]
        let inF = weight.shape[1]
        // The weight as rows with a unit column stride, f32 or bf16 (f16 and strided ones widened to f32).
        let ws = try storage(weight, "linear")
        let wRun: (pointer: UnsafeRawPointer, isBF16: Bool, ld: Int, keep: CPUStorage)
        if (weight.dtype == .bf16 || weight.dtype == .f32) && (weight.strides[1] == 1 || inF == 1)
            && weight.strides[0] >= inF
        {
            wRun = (UnsafeRawPointer(weight.cpuAddress(ws)), weight.dtype == .bf16, weight.strides[0], ws)
        } else {
            let run = try f32(weight, "linear")
            wRun = (UnsafeRawPointer(run.pointer), false, inF, run.storage)
        }
        let pairs = oe_bf16_pairs(inF)
        let paddedRows = oe_bf16_padded_rows(rows)
        let aScratch = try allocate(paddedRows * pairs * 4, zeroed: false)
        let bScratch = try allocate(oe_bf16_packed_b_words(outF, inF) * 4, zeroed: false)
        let a = aScratch.base.assumingMemoryBound(to: UInt32.self)
        let b = bScratch.base.assumingMemoryBound(to: UInt32.self)
        let panels = (outF + OE_BF16_COLS - 1) / OE_BF16_COLS
        parallelRanges(paddedRows, grain: 64, threads: threads) { r in
            oe_bf16_convert_a(x, inF, rows, inF, r.lowerBound, r.upperBound, a)
        }
        parallelRanges(panels, grain: 4, threads: threads) { p in
            oe_bf16_pack_b(wRun.pointer, wRun.isBF16 ? 1 : 0, wRun.ld, outF, inF, p.lowerBound, p.upperBound, b)
        }
        // Whole row tiles per piece; each piece walks every column panel with its rows.
        let tileRows = OE_BF16_ROWS
        let tiles = paddedRows / tileRows
        parallelRanges(tiles, grain: 2, threads: threads) { t in
            oe_bf16_gemm(
                a, b, rows, outF, inF, t.lowerBound * tileRows, t.upperBound * tileRows, dst, outF, accumulate ? 1 : 0)
        }
        _ = (wRun.keep, aScratch, bScratch)
    }
}
