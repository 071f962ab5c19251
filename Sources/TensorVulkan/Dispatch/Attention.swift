// AttentionOps: softmax, RoPE and tiled online-softmax attention (shaders softmax, rope, attention).
import Foundation
import Tensor

extension VulkanBackend {
    public func softmax(checked x: Tensor) throws -> Tensor {
        let dense = try dense(x, "softmax")
        let out = try newTensor(x.shape, op: "softmax")
        let n = x.shape[x.rank - 1]
        let rows = n == 0 ? 0 : x.count / n
        guard rows > 0 else { return out }
        // Three strided passes over the row by 256 threads, plus two 8-step tree reductions.
        try checkLoopTrips(3 * ((n + 255) / 256) + 16, "softmax", "a row of \(n)")
        let source = try buffer(dense, "softmax")
        let destination = try buffer(out, "softmax")
        try context.record { recorder in
            try recorder.dispatch(
                "softmax", buffers: [source, destination], push: ["rows": .uint(rows), "n": .uint(n)],
                groups: grid(rows, local: 1))
        }
        return out
    }

    public func rope(checked x: Tensor, cos: Tensor, sin: Tensor, pairing: RoPEPairing) throws -> Tensor {
        let (l, h, d) = (x.shape[x.rank - 3], x.shape[x.rank - 2], x.shape[x.rank - 1])
        let dense = try self.dense(x, "rope")
        let c = try self.dense(cos, "rope")
        let s = try self.dense(sin, "rope")
        let out = try newTensor(x.shape, op: "rope")
        let pairs = x.count / 2
        guard pairs > 0 else { return out }
        let buffers = try [dense, out, c, s].map { try buffer($0, "rope") }
        try context.record { recorder in
            try recorder.dispatch(
                "rope", constants: [pairing == .halves ? 1 : 0], buffers: buffers,
                push: ["pairs_total": .uint(pairs), "L": .uint(l), "H": .uint(h), "half_d": .uint(d / 2)],
                groups: grid(pairs))
        }
        return out
    }

    public func attention(checked q: Tensor, k: Tensor, v: Tensor, scale: Float, shape: AttentionShape) throws
        -> Tensor
    {
        let batched = shape.batched
        let q4 = batched ? q : try q.unsqueezed(0)
        let k4 = batched ? k : try k.unsqueezed(0)
        let v4 = batched ? v : try v.unsqueezed(0)
        let (b, lq, heads, d) = (shape.batch, shape.queries, shape.heads, shape.headDim)
        let (lk, kvHeads, dv) = (shape.keys, shape.kvHeads, shape.valueDim)
        // The direct shader holds a query row and an output row per invocation (up to 512: the Wan VAE's
        // single 384-wide head); the tiled one splits rows over 4 invocations and stops at 256.
        guard d <= Self.maxDirectHeadDim, dv <= Self.maxDirectHeadDim else {
            throw TensorError.invalidArgument(
                "attention: head dims D \(d), Dv \(dv) above \(Self.maxDirectHeadDim) are not supported on Vulkan")
        }
        let out = try newTensor(shape.output, op: "attention")
        guard out.count > 0 else { return out }
        let inputs = try [dense(q4, "attention"), dense(k4, "attention"), dense(v4, "attention")]
        let scaleBits = (scale * Float(M_LOG2E)).bitPattern
        if kernelStyle == .direct || d % 4 != 0 || dv % 4 != 0 || d > 256 || dv > 256 {
            try directAttention(
                inputs, out: out, sizes: (b, lq, lk, heads, kvHeads, d, dv), scaleBits: scaleBits)
            return out
        }
        let buffers = try (inputs + [out]).map { try buffer($0, "attention") }
        // Keys per shared-memory tile: as many as fit (up to 32) beside the 32 rows × 4 partial dot
        // products per key, leaving room for the compiler's own use.
        let shared = Int(context.limits.maxComputeSharedMemorySize) - 1024
        let tile = max(1, min(32, shared / ((d + dv + 128) * 4)))
        let groups = (x: (lq + 31) / 32, y: heads, z: b)
        try context.record { recorder in
            try recorder.dispatch(
                "attention", constants: [UInt32(d), UInt32(dv), UInt32(tile)], buffers: buffers,
                push: [
                    "Lq": .uint(lq), "Lk": .uint(lk), "H": .uint(heads), "HKV": .uint(kvHeads),
                    "scale_log2e": .floatBits(scaleBits),
                ], groups: groups)
        }
        return out
    }

    /// Largest head size of the direct shader (per-invocation arrays of this many floats).
    static let maxDirectHeadDim = 512
    /// Loop iterations one invocation may run: lavapipe stops a shader's loops after 65,535 in total
    /// and returns whatever it had, so every dispatch stays well below that.
    static let loopBudget = 48_000
    /// Bytes of partial results (accumulators of every key chunk) kept at once.
    static let partialBudget = 64 << 20

    /// Attention through attention_direct (key chunks bounded by `loopBudget`) and attention_combine,
    /// in blocks of query rows whose partial results fit `partialBudget`.
    private func directAttention(
        _ inputs: [Tensor], out: Tensor, sizes: (b: Int, lq: Int, lk: Int, heads: Int, kvHeads: Int, d: Int, dv: Int),
        scaleBits: UInt32
    ) throws {
        let (b, lq, lk, heads, kvHeads, d, dv) = sizes
        // Per key: the dot product (D), the accumulation (Dv), the block's rescale (Dv / 8), loop overhead.
        let perKey = d + dv + (dv + 7) / 8 + 3
        let chunk = min(((lk + 7) / 8) * 8, max(8, (Self.loopBudget - 2 * d - 2 * dv) / perKey / 8 * 8))
        let chunks = (lk + chunk - 1) / chunk
        guard 2 * chunks <= Self.loopBudget else {
            throw TensorError.invalidArgument(
                "attention: \(lk) keys need \(chunks) key chunks of \(chunk), more than one combine pass can merge on this device")
        }
        let perRow = b * heads * chunks * (dv + 2) * 4
        let rowsPerBlock = max(1, min(lq, Self.partialBudget / max(perRow, 1)))
        let acc = try newTensor([b * rowsPerBlock * heads * chunks * dv], op: "attention")
        let maxSum = try newTensor([b * rowsPerBlock * heads * chunks * 2], op: "attention")
        let qb = try buffer(inputs[0], "attention"), kb = try buffer(inputs[1], "attention")
        let vb = try buffer(inputs[2], "attention")
        let ab = try buffer(acc, "attention"), mb = try buffer(maxSum, "attention"), ob = try buffer(out, "attention")
        try context.record { recorder in
            var q0 = 0
            while q0 < lq {
                let rows = min(rowsPerBlock, lq - q0)
                try recorder.dispatch(
                    "attention_direct", constants: [UInt32(d), UInt32(dv)], buffers: [qb, kb, vb, ab, mb],
                    push: [
                        "Lq": .uint(lq), "Lk": .uint(lk), "H": .uint(heads), "HKV": .uint(kvHeads),
                        "scale_log2e": .floatBits(scaleBits), "chunk": .uint(chunk), "chunks": .uint(chunks),
                        "q_begin": .uint(q0), "rows": .uint(rows),
                    ], groups: (x: (rows + 7) / 8, y: heads, z: b * chunks))
                try recorder.dispatch(
                    "attention_combine", constants: [UInt32(dv)], buffers: [ab, mb, ob],
                    push: [
                        "Lq": .uint(lq), "H": .uint(heads), "B": .uint(b), "chunks": .uint(chunks), "q_begin": .uint(q0),
                        "rows": .uint(rows),
                    ], groups: grid(b * rows * heads * dv, local: 64))
                q0 += rows
            }
        }
    }
}
