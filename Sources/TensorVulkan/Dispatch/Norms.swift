// NormOps: layer, RMS and group norm (row_norm shader) and the Wan VAE channel RMS norm.
import Tensor

extension VulkanBackend {
    public func layerNorm(checked x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor {
        let d = x.shape[x.rank - 1]
        return try rowNorm(
            x, center: true, rowLength: d, groups: 1, spatial: 1, weight: weight, bias: bias, eps: eps,
            op: "layerNorm")
    }

    public func rmsNorm(checked x: Tensor, weight: Tensor?, eps: Float) throws -> Tensor {
        let d = x.shape[x.rank - 1]
        return try rowNorm(
            x, center: false, rowLength: d, groups: 1, spatial: 1, weight: weight, bias: nil, eps: eps,
            op: "rmsNorm")
    }

    public func groupNorm(checked x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) throws -> Tensor {
        let c = x.shape[1]
        let spatial = x.shape.dropFirst(2).reduce(1, *)
        return try rowNorm(
            x, center: true, rowLength: c / groups * spatial, groups: groups, spatial: spatial, weight: weight,
            bias: bias, eps: eps, op: "groupNorm")
    }

    public func channelRMSNorm(checked x: Tensor, gamma: Tensor?, eps: Float) throws -> Tensor {
        let c = x.shape[1]
        let positions = x.shape.dropFirst(2).reduce(1, *)
        let dense = try dense(x, "channelRMSNorm")
        let out = try newTensor(x.shape, op: "channelRMSNorm")
        let count = x.shape[0] * positions
        guard count > 0, c > 0 else { return out }
        try checkLoopTrips(2 * c, "channelRMSNorm", "\(c) channels")
        let g = try gamma.map { try self.dense($0, "channelRMSNorm") }
        let source = try buffer(dense, "channelRMSNorm")
        let destination = try buffer(out, "channelRMSNorm")
        let gammaBuffer = try g.map { try buffer($0, "channelRMSNorm") } ?? source
        let push: PushValues = ["count": .uint(count), "C": .uint(c), "P": .uint(positions), "eps": .float(eps)]
        try context.record { recorder in
            try recorder.dispatch(
                "channel_rms_norm", constants: [gamma == nil ? 0 : 1], buffers: [source, destination, gammaBuffer],
                push: push, groups: grid(count))
        }
        return out
    }

    /// Records row_norm.comp over the rows of contiguous x (see the shader for the channel mapping).
    private func rowNorm(
        _ x: Tensor, center: Bool, rowLength: Int, groups: Int, spatial: Int, weight: Tensor?, bias: Tensor?,
        eps: Float, op: String
    ) throws -> Tensor {
        let dense = try dense(x, op)
        let out = try newTensor(x.shape, op: op)
        let rows = rowLength == 0 ? 0 : x.count / rowLength
        guard rows > 0 else { return out }
        // Up to three strided passes over the row by 256 threads, plus the tree reductions.
        try checkLoopTrips(3 * ((rowLength + 255) / 256) + 32, op, "a row of \(rowLength)")
        let source = try buffer(dense, op)
        let w = try weight.map { try buffer(self.dense($0, op), op) } ?? source
        let b = try bias.map { try buffer(self.dense($0, op), op) } ?? source
        let destination = try buffer(out, op)
        let push: PushValues = [
            "rows": .uint(rows), "n": .uint(rowLength), "groups": .uint(groups), "spatial": .uint(spatial),
            "eps": .float(eps),
        ]
        let constants: [UInt32] = [center ? 1 : 0, weight == nil ? 0 : 1, bias == nil ? 0 : 1]
        try context.record { recorder in
            try recorder.dispatch(
                "row_norm", constants: constants, buffers: [source, destination, w, b], push: push,
                groups: grid(rows, local: 1))
        }
        return out
    }
}
