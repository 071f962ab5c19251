// ElementwiseOps: unary functions, broadcast binary ops, scalars, clamp and the fused DiT forms
// (shaders unary, binary, ternary).
import Tensor

extension UnaryOp {
    /// The `OP` specialization constant of unary.comp.
    var shaderCode: UInt32 {
        switch self {
        case .silu: 0
        case .geluTanh: 1
        case .geluErf: 2
        case .relu: 3
        case .sigmoid: 4
        case .tanh: 5
        case .exp: 6
        case .log: 7
        case .neg: 8
        case .abs: 9
        case .sqrt: 10
        case .rsqrt: 11
        case .square: 12
        case .sin: 13
        case .cos: 14
        }
    }
}

extension BinaryOp {
    /// The `OP` specialization constant of binary.comp (unary.comp adds 16 for the scalar forms).
    var shaderCode: UInt32 {
        switch self {
        case .add: 0
        case .sub: 1
        case .mul: 2
        case .div: 3
        case .maximum: 4
        case .minimum: 5
        }
    }
}

extension VulkanBackend {
    public func unary(_ op: UnaryOp, _ x: Tensor) throws -> Tensor {
        try pointwise(x, code: op.shaderCode, s: 0, s2: 0, name: op.rawValue)
    }

    public func scalar(_ op: BinaryOp, _ x: Tensor, _ s: Float) throws -> Tensor {
        try pointwise(x, code: 16 + op.shaderCode, s: s, s2: 0, name: "scalar \(op.rawValue)")
    }

    public func clamp(checked x: Tensor, min lo: Float, max hi: Float) throws -> Tensor {
        try pointwise(x, code: 22, s: lo, s2: hi, name: "clamp")
    }

    private func pointwise(_ x: Tensor, code: UInt32, s: Float, s2: Float, name: String) throws -> Tensor {
        let dense = try dense(x, name)
        let out = try newTensor(x.shape, op: name)
        let count = out.count
        guard count > 0 else { return out }
        let source = try buffer(dense, name)
        let destination = try buffer(out, name)
        try context.record { recorder in
            try recorder.dispatch(
                "unary", constants: [code], buffers: [source, destination],
                push: ["count": .uint(count), "s": .float(s), "s2": .float(s2)], groups: grid(count))
        }
        return out
    }

    public func binary(checked op: BinaryOp, _ a: Tensor, _ b: Tensor, shape: [Int]) throws -> Tensor {
        try broadcastKernel("binary", code: op.shaderCode, [a, b], shape: shape, name: "binary \(op.rawValue)")
    }

    public func modulate(checked x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor {
        try broadcastKernel("ternary", code: 0, [x, scale, shift], shape: x.shape, name: "modulate")
    }

    public func gatedAdd(checked x: Tensor, _ y: Tensor, gate: Tensor) throws -> Tensor {
        try broadcastKernel("ternary", code: 1, [x, y, gate], shape: x.shape, name: "gatedAdd")
    }

    /// Runs a strided shader whose operands are broadcast views of `shape` (strides 0 on repeated
    /// axes), so broadcasting copies nothing. Half-precision operands are widened first.
    private func broadcastKernel(_ shader: String, code: UInt32, _ operands: [Tensor], shape: [Int], name: String)
        throws -> Tensor
    {
        let views = try operands.map { operand -> Tensor in
            let wide = operand.dtype == .f32 ? operand : try gather(operand, op: name)
            _ = try buffer(wide, name)
            return try wide.expanded(to: shape)
        }
        let out = try newTensor(shape, op: name)
        let count = out.count
        guard count > 0 else { return out }
        let rankShape = shape.isEmpty ? [1] : shape
        let strides = views.flatMap { shape.isEmpty ? [0] : $0.strides }
        let table = try meta([rankShape.count] + rankShape + strides, name)
        let buffers = try views.map { try buffer($0, name) } + [try buffer(out, name), table]
        // binary.comp names its operands a, b; ternary.comp x, u, w.
        let names = shader == "binary" ? ["a_offset", "b_offset"] : ["x_offset", "u_offset", "w_offset"]
        guard names.count == views.count else {
            throw TensorError.backendFailure("\(name): \(views.count) operands for \(shader)")
        }
        let push = PushValues([("count", .uint(count))] + zip(names, views).map { ($0, .uint($1.offset)) })
        try context.record { recorder in
            try recorder.dispatch(shader, constants: [code], buffers: buffers, push: push, groups: grid(count))
        }
        return out
    }
}
