/// Padding before and after one axis.
public struct AxisPadding: Sendable, Hashable {
    public var before: Int
    public var after: Int

    public init(_ before: Int, _ after: Int) {
        self.before = before
        self.after = after
    }

    /// The same amount on both sides.
    public static func symmetric(_ n: Int) -> AxisPadding { AxisPadding(n, n) }
}

/// Stride, zero padding, dilation and groups of an N-d convolution (N = 1, 2, 3 spatial axes).
///
/// Output size of spatial axis i with kernel kᵢ:
/// `outᵢ = ⌊(inᵢ + before + after − dilationᵢ·(kᵢ−1) − 1) / strideᵢ⌋ + 1`.
public struct ConvGeometry: Sendable, Hashable {
    public var stride: [Int]
    public var padding: [AxisPadding]
    public var dilation: [Int]
    /// Channel groups: input and output channels split into `groups` independent convolutions.
    public var groups: Int

    /// Throws unless all arrays have `spatialRank` entries, strides/dilations ≥ 1, paddings ≥ 0.
    public init(
        spatialRank: Int, stride: [Int]? = nil, padding: [AxisPadding]? = nil, dilation: [Int]? = nil,
        groups: Int = 1
    ) throws {
        guard (1...3).contains(spatialRank) else {
            throw TensorError.invalidArgument("conv: \(spatialRank) spatial axes (1, 2 or 3 supported)")
        }
        self.stride = stride ?? Array(repeating: 1, count: spatialRank)
        self.padding = padding ?? Array(repeating: AxisPadding(0, 0), count: spatialRank)
        self.dilation = dilation ?? Array(repeating: 1, count: spatialRank)
        self.groups = groups
        guard self.stride.count == spatialRank, self.padding.count == spatialRank,
            self.dilation.count == spatialRank
        else {
            throw TensorError.invalidArgument(
                "conv: stride \(self.stride), padding \(self.padding.count) axes, dilation \(self.dilation) for \(spatialRank) spatial axes"
            )
        }
        guard self.stride.allSatisfy({ $0 >= 1 }), self.dilation.allSatisfy({ $0 >= 1 }),
            self.padding.allSatisfy({ $0.before >= 0 && $0.after >= 0 && $0.before <= 1 << 32 && $0.after <= 1 << 32 }),
            self.stride.allSatisfy({ $0 <= 1 << 32 }), self.dilation.allSatisfy({ $0 <= 1 << 32 }), groups >= 1
        else {
            throw TensorError.invalidArgument("conv: stride/dilation must be ≥ 1, padding ≥ 0, groups ≥ 1")
        }
    }

    public var spatialRank: Int { stride.count }

    /// Wan `CausalConv3d`: time padded `dilation·(kT−1)` frames in front and none behind (the past
    /// only), space padded symmetrically by `spatialPadding` = (h, w). Pass `cachedFrames` when the
    /// caller has already prepended that many frames of the previous chunk: they replace zeros.
    public static func causal3d(
        kernel: [Int], stride: [Int] = [1, 1, 1], spatialPadding: (Int, Int), cachedFrames: Int = 0
    ) throws -> ConvGeometry {
        guard kernel.count == 3 else { throw TensorError.invalidArgument("causal3d: kernel \(kernel) is not 3-D") }
        let front = max(0, kernel[0] - 1 - cachedFrames)
        return try ConvGeometry(
            spatialRank: 3, stride: stride,
            padding: [AxisPadding(front, 0), .symmetric(spatialPadding.0), .symmetric(spatialPadding.1)])
    }

    /// Output spatial sizes for `input` spatial sizes and `kernel` sizes; throws when one is < 1.
    public func outputSize(input: [Int], kernel: [Int]) throws -> [Int] {
        try (0..<spatialRank).map { i in
            let span = dilation[i] * (kernel[i] - 1) + 1
            let padded = input[i] + padding[i].before + padding[i].after
            guard kernel[i] >= 1, padded >= span else {
                throw TensorError.shapeMismatch(
                    "conv: spatial axis \(i) of size \(input[i]) (padded \(padded)) is smaller than the kernel span \(span)"
                )
            }
            return (padded - span) / stride[i] + 1
        }
    }
}

/// Convolutions (cross-correlation, as torch): zero padding only; other padding via `pad` first.
/// The requirement labelled `checked:` is the backend kernel: call `conv(_:weight:bias:geometry:)`.
public protocol ConvolutionOps: AnyObject, Sendable {
    /// Kernel of `conv(_:weight:bias:geometry:)` with the output's spatial sizes `outputSize`.
    func conv(checked x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, outputSize: [Int]) throws
        -> Tensor
}

extension ConvolutionOps {
    /// N-d convolution, N = `geometry.spatialRank` ∈ {1, 2, 3}:
    /// `y[b, o, p] = bias[o] + Σ_{c, k} w[o, c, k] · x[b, g·Cin/G + c, p·stride + k·dilation − padBefore]`
    /// (g = o / (Cout/G), out-of-range x reads 0).
    ///
    /// - x: `[B, Cin, S₁…S_N]`
    /// - weight: `[Cout, Cin/groups, K₁…K_N]`, f32, f16 or bf16
    /// - bias: `[Cout]` or nil
    /// - Returns: `[B, Cout, O₁…O_N]` (see `ConvGeometry.outputSize`).
    ///
    /// Causal temporal padding (Wan `CausalConv3d`) is `ConvGeometry.causal3d`; a streaming cache is
    /// `concat([cachedFrames, x], axis: 2)` with the front padding reduced accordingly.
    public func conv(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) throws -> Tensor {
        let n = geometry.spatialRank
        guard x.rank == n + 2, weight.rank == n + 2 else {
            throw TensorError.shapeMismatch(
                "conv: x \(x.shape) must be [B, Cin, \(n) spatial axes] and weight \(weight.shape) [Cout, Cin/groups, \(n) kernel axes]"
            )
        }
        let (cin, cout, groups) = (x.shape[1], weight.shape[0], geometry.groups)
        guard cin % groups == 0, cout % groups == 0, weight.shape[1] == cin / groups else {
            throw TensorError.shapeMismatch(
                "conv: x \(x.shape) with \(groups) groups needs weight [Cout (divisible by \(groups)), \(cin / groups), …], got \(weight.shape)"
            )
        }
        try ShapeCheck.vector(bias, count: cout, "bias", "conv")
        let outputSize = try geometry.outputSize(input: Array(x.shape[2...]), kernel: Array(weight.shape[2...]))
        return try conv(checked: x, weight: weight, bias: bias, geometry: geometry, outputSize: outputSize)
    }

    /// 1-d convolution: x `[B, Cin, L]`, weight `[Cout, Cin/groups, K]` → `[B, Cout, Lout]`.
    public func conv1d(
        _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: AxisPadding = AxisPadding(0, 0),
        dilation: Int = 1, groups: Int = 1
    ) throws -> Tensor {
        try conv(
            x, weight: weight, bias: bias,
            geometry: ConvGeometry(
                spatialRank: 1, stride: [stride], padding: [padding], dilation: [dilation], groups: groups))
    }

    /// 2-d convolution: x `[B, Cin, H, W]`, weight `[Cout, Cin/groups, Kh, Kw]` → `[B, Cout, Ho, Wo]`.
    public func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int] = [1, 1],
        padding: [AxisPadding] = [AxisPadding(0, 0), AxisPadding(0, 0)], groups: Int = 1
    ) throws -> Tensor {
        try conv(
            x, weight: weight, bias: bias,
            geometry: ConvGeometry(spatialRank: 2, stride: stride, padding: padding, groups: groups))
    }

    /// 3-d convolution: x `[B, Cin, T, H, W]`, weight `[Cout, Cin/groups, Kt, Kh, Kw]` → `[B, Cout, To, Ho, Wo]`.
    public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) throws -> Tensor {
        guard geometry.spatialRank == 3 else {
            throw TensorError.invalidArgument("conv3d: geometry has \(geometry.spatialRank) spatial axes")
        }
        return try conv(x, weight: weight, bias: bias, geometry: geometry)
    }
}
