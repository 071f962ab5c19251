import Foundation
import Tensor

/// Sizes of LTX-2's HiFi-GAN vocoder: diffusers `LTX2Vocoder` `config.json` (strict) or the single
/// file's metadata `vocoder` section (ltx-core names). Only LTX-2.0's leaky-ReLU vocoder is built; the
/// anti-aliased Snake variant (LTX-2.3's, with bandwidth extension) is refused by name.
///
/// Follows: diffusers `pipelines/ltx2/vocoder.py` `LTX2Vocoder.__init__`; ltx-core `model/audio_vae/vocoder.py`.
public struct LTX2VocoderConfig: Sendable, Hashable, Decodable {
    /// Stereo channels × mel bins (2 × 64).
    public var inChannels = 128
    public var hiddenChannels = 1024
    public var outChannels = 2
    public var upsampleKernels = [16, 15, 8, 4, 4]
    public var upsampleFactors = [6, 5, 2, 2, 2]
    public var resnetKernels = [3, 7, 11]
    public var resnetDilations = [[1, 3, 5], [1, 3, 5], [1, 3, 5]]
    /// Slope of the leaky ReLUs before each upsampler and inside the resblocks (the output one is 0.01).
    public var leakySlope: Float = 0.1
    /// "tanh", "clamp" or nil (no final activation).
    public var finalActivation: String? = "tanh"
    public var finalBias = true
    public var outputSampleRate = 24_000

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        var f = ConfigFields(try decoder.container(keyedBy: LTX2TransformerConfig.AnyKey.self))
        if f.container.contains(.init(stringValue: "upsample_initial_channel"))
            || f.container.contains(.init(stringValue: "resblock_kernel_sizes"))
        {
            try readLTXCore(&f)
            return
        }
        for key in ["_class_name", "_diffusers_version", "_name_or_path"] { _ = try f.value(key, as: String.self) }
        if let name: String = try f.value("_class_name"), name != "LTX2Vocoder" {
            throw LTX2Error.unsupported(
                name == "LTX2VocoderWithBWE"
                    ? "\(name): \(ltx23Message)" : "config.json is for \(name), not LTX2Vocoder")
        }
        inChannels = try f.value("in_channels") ?? inChannels
        hiddenChannels = try f.value("hidden_channels") ?? hiddenChannels
        outChannels = try f.value("out_channels") ?? outChannels
        upsampleKernels = try f.value("upsample_kernel_sizes") ?? upsampleKernels
        upsampleFactors = try f.value("upsample_factors") ?? upsampleFactors
        resnetKernels = try f.value("resnet_kernel_sizes") ?? resnetKernels
        resnetDilations = try f.value("resnet_dilations") ?? resnetDilations
        leakySlope = try f.value("leaky_relu_negative_slope") ?? leakySlope
        let k = LTX2TransformerConfig.AnyKey(stringValue: "final_act_fn")
        if f.container.contains(k) { finalActivation = try f.value("final_act_fn") }
        finalBias = try f.value("final_bias") ?? finalBias
        outputSampleRate = try f.value("output_sampling_rate") ?? outputSampleRate
        try f.require("act_fn", ["leaky_relu"], why: "only the leaky-ReLU vocoder (LTX-2.0) is implemented")
        try f.require("antialias", [false], why: "anti-aliased activations (LTX-2.3) are not implemented")
        _ = try f.value("antialias_ratio", as: Int.self)
        _ = try f.value("antialias_kernel_size", as: Int.self)
        if let unknown = f.unread.first {
            throw LTX2Error.invalidConfig(
                "vocoder config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it"
            )
        }
        try validate()
    }

    /// ltx-core's names (`Vocoder.__init__`); unknown keys ignored as ltx-core ignores them.
    private mutating func readLTXCore(_ f: inout ConfigFields) throws {
        hiddenChannels = try f.value("upsample_initial_channel") ?? hiddenChannels
        upsampleKernels = try f.value("upsample_kernel_sizes") ?? upsampleKernels
        upsampleFactors = try f.value("upsample_rates") ?? upsampleFactors
        resnetKernels = try f.value("resblock_kernel_sizes") ?? resnetKernels
        resnetDilations = try f.value("resblock_dilation_sizes") ?? resnetDilations
        outputSampleRate = try f.value("output_sampling_rate") ?? outputSampleRate
        finalBias = try f.value("use_bias_at_final") ?? finalBias
        let tanh: Bool = try f.value("use_tanh_at_final") ?? true
        let final: Bool = try f.value("apply_final_activation") ?? true
        finalActivation = final ? (tanh ? "tanh" : "clamp") : nil
        try f.require(
            "resblock", ["1"], why: "only HiFi-GAN resblocks (LTX-2.0) are implemented; AMP blocks are LTX-2.3's")
        try validate()
    }

    public func validate() throws {
        guard inChannels > 0, hiddenChannels > 0, outChannels > 0, inChannels <= 1 << 16, hiddenChannels <= 1 << 16,
            upsampleKernels.count == upsampleFactors.count, !upsampleFactors.isEmpty,
            zip(upsampleKernels, upsampleFactors).allSatisfy({ $0 >= $1 && $1 >= 1 && $0 <= 64 }),
            hiddenChannels >> upsampleFactors.count >= 1, resnetKernels.count == resnetDilations.count,
            resnetKernels.allSatisfy({ $0 >= 1 && $0 <= 64 }),
            resnetDilations.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (1...64).contains($0) } })
        else { throw LTX2Error.invalidConfig("vocoder sizes do not make a HiFi-GAN: \(self)") }
        if let a = finalActivation, a != "tanh", a != "clamp" {
            throw LTX2Error.invalidConfig("vocoder final_act_fn '\(a)' (tanh, clamp or null)")
        }
    }

    /// Output samples per mel frame (240: 100 mel frames/s → 24 kHz).
    public var upsampling: Int { upsampleFactors.reduce(1, *) }
}

/// LTX-2's vocoder: mel `[channels, T, mels]` (stereo 2 × 64) → waveform `[outChannels, T·240]`.
///
/// `conv_in` (k 7) → per stage: leaky ReLU(0.1), transposed conv (×s, padding (k − s)/2), the mean of
/// the stage's resblocks (each: per dilation d, `x += conv₂(lrelu(conv₁,d(lrelu(x))))` with "same"
/// padding) → leaky ReLU(0.01) → `conv_out` (k 7) → tanh.
///
/// Follows: diffusers `LTX2Vocoder.forward` / `ResBlock`; ltx-core `Vocoder` (`ResBlock1`).
public struct LTX2Vocoder: Sendable {
    public let config: LTX2VocoderConfig
    public let convIn: (weight: Tensor, bias: Tensor)
    /// Transposed convs stored as their polyphase forward conv: weight `[Cout·s, Cin, ⌈K/s⌉]`, bias `[Cout·s]`.
    public let upsamplers: [(weight: Tensor, bias: Tensor)]
    /// Per resblock, per dilation: (conv₁, conv₂).
    public let resnets: [[(c1: (Tensor, Tensor), c2: (Tensor, Tensor))]]
    public let convOut: (weight: Tensor, bias: Tensor?)

    /// Reads every weight (diffusers names; `KeyRules.ltx2Vocoder` maps LTX-2's own).
    public init(config c: LTX2VocoderConfig, reader r: inout WeightReader, on backend: any Backend) throws {
        try c.validate()
        config = c
        convIn = (
            try r.take("conv_in.weight", shape: [c.hiddenChannels, c.inChannels, 7]),
            try r.take("conv_in.bias", shape: [c.hiddenChannels])
        )
        var ups: [(Tensor, Tensor)] = []
        var res: [[((Tensor, Tensor), (Tensor, Tensor))]] = []
        var ch = c.hiddenChannels
        for (i, k) in c.upsampleKernels.enumerated() {
            let w = try r.take("upsamplers.\(i).weight", shape: [ch, ch / 2, k])
            let b = try r.take("upsamplers.\(i).bias", shape: [ch / 2])
            ups.append(try Self.polyphase(transposed: w, bias: b, stride: c.upsampleFactors[i], on: backend))
            ch /= 2
            for (j, (kernel, dilations)) in zip(c.resnetKernels, c.resnetDilations).enumerated() {
                let p = "resnets.\(i * c.resnetKernels.count + j)"
                res.append(
                    try dilations.indices.map { n in
                        (
                            (
                                try r.take("\(p).convs1.\(n).weight", shape: [ch, ch, kernel]),
                                try r.take("\(p).convs1.\(n).bias", shape: [ch])
                            ),
                            (
                                try r.take("\(p).convs2.\(n).weight", shape: [ch, ch, kernel]),
                                try r.take("\(p).convs2.\(n).bias", shape: [ch])
                            )
                        )
                    })
            }
        }
        upsamplers = ups
        resnets = res.map { $0.map { (c1: $0.0, c2: $0.1) } }
        convOut = (
            try r.take("conv_out.weight", shape: [c.outChannels, ch, 7]),
            c.finalBias ? try r.take("conv_out.bias", shape: [c.outChannels]) : nil
        )
        try r.finish()
    }

    /// `ConvTranspose1d(stride s)` weight `[Cin, Cout, K]` and bias `[Cout]` → one forward conv with
    /// weight `[Cout·s, Cin, M]` (M = ⌈K/s⌉) and bias `[Cout·s]` whose output channel o·s + r is phase r
    /// of output channel o. With n + p = q·s + r, a transposed conv is
    /// `y[o, n] = Σ_c Σ_m W[c, o, r + m·s] · x[c, q − m]`: per phase a convolution over q with the taps
    /// r, r + s, … reversed (0 past K). Rearranged once, on the host, at load.
    static func polyphase(transposed w: Tensor, bias: Tensor, stride s: Int, on backend: any Backend) throws
        -> (weight: Tensor, bias: Tensor)
    {
        let (cin, cout, k) = (w.shape[0], w.shape[1], w.shape[2])
        let m = (k + s - 1) / s
        let v = try backend.download(w)
        var out = [Float](repeating: 0, count: cout * s * cin * m)
        for c in 0..<cin {
            for o in 0..<cout {
                for r in 0..<s {
                    for j in 0..<m where r + (m - 1 - j) * s < k {
                        out[((o * s + r) * cin + c) * m + j] = v[(c * cout + o) * k + r + (m - 1 - j) * s]
                    }
                }
            }
        }
        let b = try backend.download(bias)
        return (
            try backend.upload(out, shape: [cout * s, cin, m], dtype: .f32),
            try backend.upload(b.flatMap { Array(repeating: $0, count: s) }, shape: [cout * s], dtype: .f32)
        )
    }

    /// mel `[channels, T, mels]` with channels·mels = inChannels → waveform `[outChannels, T·upsampling]`.
    public func callAsFunction(_ mel: Tensor, on backend: any Backend) throws -> Tensor {
        let c = config
        guard mel.rank == 3, mel.shape[0] * mel.shape[2] == c.inChannels, mel.shape[1] >= 1 else {
            throw LTX2Error.invalidInput(
                "mel \(mel.shape), expected [channels, frames, mels] with channels·mels = \(c.inChannels)")
        }
        func leaky(_ x: Tensor, _ slope: Float) throws -> Tensor {
            try backend.binary(.maximum, x, try backend.scalar(.mul, x, slope))
        }
        func conv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, dilation: Int = 1) throws -> Tensor {
            let total = dilation * (w.shape[2] - 1)
            return try backend.conv1d(
                x, weight: w, bias: b, padding: AxisPadding(total / 2, total - total / 2), dilation: dilation)
        }
        // [C, T, M] → [1, C·M, T], features (c, m) c-major.
        var x = try backend.contiguous(try mel.permuted([0, 2, 1])).reshaped([1, c.inChannels, mel.shape[1]])
        x = try conv(x, convIn.weight, convIn.bias)
        for (i, (w, b)) in upsamplers.enumerated() {
            x = try upsample(
                try leaky(x, c.leakySlope), w, b, factor: c.upsampleFactors[i], kernel: c.upsampleKernels[i],
                on: backend)
            let n = c.resnetKernels.count
            var sum: Tensor?
            for j in 0..<n {
                var y = x
                for (pair, dilation) in zip(resnets[i * n + j], c.resnetDilations[j]) {
                    let t = try conv(try leaky(y, c.leakySlope), pair.c1.0, pair.c1.1, dilation: dilation)
                    y = try backend.add(y, try conv(try leaky(t, c.leakySlope), pair.c2.0, pair.c2.1))
                }
                sum = try sum.map { try backend.add($0, y) } ?? y
            }
            guard let sum else { throw LTX2Error.invalidConfig("vocoder stage \(i) has no resblocks") }
            x = try backend.scalar(.div, sum, Float(n))
        }
        x = try conv(try leaky(x, 0.01), convOut.weight, convOut.bias)
        switch c.finalActivation {
        case "tanh": x = try backend.unary(.tanh, x)
        case "clamp": x = try backend.clamp(x, min: -1, max: 1)
        default: break
        }
        return try x.squeezed(0)
    }

    /// `ConvTranspose1d(stride s, kernel k, padding p = (k − s)/2)` as its polyphase conv (`polyphase`):
    /// phases `[1, C'·s, Q]` over q = 0…Q−1 (x padded M − 1 before, Q − T after), interleaved to samples
    /// q·s + r = n + p, cut to n < (T−1)s + k − 2p. x `[1, C, T]` → `[1, C', (T−1)s + k − 2p]`, with the
    /// exact multiply-adds of the transposed conv (zero insertion would do s× as many).
    private func upsample(_ x: Tensor, _ w: Tensor, _ b: Tensor, factor s: Int, kernel k: Int, on backend: any Backend)
        throws -> Tensor
    {
        let (t, m, channels) = (x.shape[2], w.shape[2], w.shape[0] / s)
        let p = (k - s) / 2
        let length = (t - 1) * s + k - 2 * p
        let q = (length + p + s - 1) / s  // ≥ t because k − p ≥ s
        let phases = try backend.conv1d(x, weight: w, bias: b, padding: AxisPadding(m - 1, q - t))
        let samples = try backend.contiguous(try phases.reshaped([channels, s, q]).transposed(1, 2))
        return try backend.contiguous(
            try samples.reshaped([1, channels, q * s]).narrowed(axis: 2, start: p, length: length))
    }
}
