import CCPUKernels
import Foundation
import Tensor

/// Which kernel `attention` runs on the CPU backend.
public enum CPUAttentionKernel: String, CaseIterable, Sendable {
    /// `CCPUKernels/attention_block.h` for AVX-512: scores, softmax and the value sum of one query
    /// block fused in registers and cache, no BLAS.
    case fusedAVX512 = "fused-avx512"
    /// The same kernel for AVX2 + FMA (half the lanes, half the registers).
    case fusedAVX2 = "fused-avx2"
    /// Any x86-64: OpenBLAS GEMMs per tile with the softmax in Swift SIMD (`AttentionTile`).
    case blasTiles = "blas-tiles"

    /// The lowest instruction-set level that runs this kernel.
    var needs: CPULevel {
        switch self {
        case .fusedAVX512: .avx512
        case .fusedAVX2: .avx2
        case .blasTiles: .baseline
        }
    }

    /// `asked`, if this CPU can run it, else an error; nil: the fastest it can run.
    static func choose(_ asked: CPUAttentionKernel?, features: CPUFeatures) throws -> CPUAttentionKernel {
        guard let asked else { return allCases.first { features.level >= $0.needs } ?? .blasTiles }
        guard features.level >= asked.needs else {
            throw TensorError.invalidArgument(
                "CPUBackend: the \(asked.rawValue) attention kernel needs \(asked.needs) (this CPU: \(features.summary))"
            )
        }
        return asked
    }
}

extension CPUBackend {
    /// Query rows per work item of the fused kernels (four 32-query strips on AVX-512) and keys per
    /// online softmax step (a multiple of their 12- and 6-key score tiles): with head dim 128 a thread's scratch is
    /// ~260 KiB and the key block's K and V rows ~250 KiB, all in a 1 MiB L2.
    static let fusedQueryBlock = 128
    static let fusedKeyBlock = 252

    /// `attention` on a fused kernel (`attentionKernel` is one of them): one work item per (batch item, head, query block), items
    /// spread over the Swift threads, each thread with its own scratch. Sizes as in `attention`.
    func fusedAttention(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, o: UnsafeMutablePointer<Float>,
        scale: Float, shape: AttentionShape
    ) {
        let (b, lq, heads, dk) = (shape.batch, shape.queries, shape.heads, shape.headDim)
        let (lk, hkv, dv) = (shape.keys, shape.kvHeads, shape.valueDim)
        let block = min(Self.fusedQueryBlock, lq)
        let keyBlock = min(Self.fusedKeyBlock, lk)
        let qBlocks = (lq + block - 1) / block
        let items = b * heads * qBlocks
        let kvGroup = heads / hkv
        let kernel = attentionKernel == .fusedAVX512 ? oe_attention_block_avx512 : oe_attention_block_avx2
        // Item order is batch, head, query block: consecutive items of one thread reuse one head's K and V.
        parallelRanges(items, grain: 1, threads: threads) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(
                capacity: oe_attention_scratch_floats(block, keyBlock, dk, dv))
            defer { scratch.deallocate() }
            for item in range {
                let qb = item % qBlocks
                let h = (item / qBlocks) % heads
                let bi = item / (qBlocks * heads)
                let q0 = qb * block
                let hk = h / kvGroup
                kernel(
                    q + ((bi * lq + q0) * heads + h) * dk, heads * dk, min(block, lq - q0),
                    k + (bi * lk * hkv + hk) * dk, hkv * dk, v + (bi * lk * hkv + hk) * dv, hkv * dv, lk, dk, dv,
                    scale, keyBlock, o + ((bi * lq + q0) * heads + h) * dv, heads * dv, scratch)
            }
        }
    }
}
