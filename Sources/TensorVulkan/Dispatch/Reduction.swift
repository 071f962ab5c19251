// ReductionOps: one axis reduced by the `reduce` shader.
import Tensor

extension ReduceOp {
    /// The `OP` specialization constant of reduce.comp.
    var shaderCode: UInt32 {
        switch self {
        case .sum: 0
        case .mean: 1
        case .max: 2
        case .min: 3
        case .l2Norm: 4
        }
    }
}

extension VulkanBackend {
    public func reduce(checked op: ReduceOp, _ x: Tensor, axis a: Int, keepDim: Bool) throws -> Tensor {
        let n = x.shape[a]
        var shape = x.shape
        if keepDim { shape[a] = 1 } else { shape.remove(at: a) }
        let dense = try dense(x, "reduce")
        let out = try newTensor(shape, op: "reduce")
        let count = out.count
        guard count > 0 else { return out }
        try checkLoopTrips(n, "reduce", "an axis of \(n)")
        let inner = x.shape[(a + 1)...].reduce(1, *)
        let source = try buffer(dense, "reduce")
        let destination = try buffer(out, "reduce")
        let push: PushValues = ["count": .uint(count), "n": .uint(n), "inner": .uint(inner)]
        try context.record { recorder in
            try recorder.dispatch(
                "reduce", constants: [op.shaderCode], buffers: [source, destination], push: push, groups: grid(count))
        }
        return out
    }
}
