import Foundation
import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

/// The CPU backend against PyTorch on the ops whose semantics are easy to misread. Goldens:
/// Fixtures/torch_ops.json from tools/fixtures/make_tensor_ops.py (torch 2.13.0+cpu); each case's
/// parameters are spelled here exactly as in the script.
final class TorchGoldenTests: CPUTestCase {
    private var cases: [String: [String: HostTensor]] = [:]

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let url = Bundle.module.url(forResource: "torch_ops", withExtension: "json", subdirectory: "Fixtures")
        else { throw TensorError.invalidArgument("Fixtures/torch_ops.json missing from the test bundle") }
        let root = try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any]
        let raw = root?["cases"] as? [String: [String: [String: Any]]] ?? [:]
        cases = raw.mapValues { entries in
            entries.compactMapValues { t in
                guard let shape = t["shape"] as? [Int], let data = t["data"] as? [Double] else { return nil }
                return HostTensor(shape, data.map { Float($0) })
            }
        }
    }

    private func golden(_ group: String, _ name: String) throws -> HostTensor {
        guard let t = cases[group]?[name] else {
            throw TensorError.invalidArgument("torch_ops.json lacks \(group)/\(name)")
        }
        return t
    }

    func testInterpolationModesMatchTorch() throws {
        let x = try upload(try golden("interp1d", "x"))
        let modes: [(String, ResizeMode)] = [
            ("nearest", .nearest), ("nearest_exact", .nearestExact), ("linear_ac", .linear(alignCorners: true)),
            ("linear", .linear(alignCorners: false)),
        ]
        for (name, mode) in modes {
            for size in [11, 3] {
                try assertClose(
                    try backend.resize(x, axis: 2, size: size, mode: mode), try golden("interp1d", "\(name)_\(size)"),
                    atol: 1e-6, rtol: 1e-6, "\(name) → \(size)")
            }
        }
        let x2 = try upload(try golden("interp2d", "x"))
        try assertClose(
            try backend.interpolate(x2, size: [10, 14], mode: .nearestExact),
            try golden("interp2d", "nearest_exact_2x"),
            atol: 0, rtol: 0, "nearest-exact 2x")
        try assertClose(
            try backend.interpolate(x2, size: [3, 11], mode: .linear(alignCorners: false)),
            try golden("interp2d", "bilinear_3_11"), atol: 1e-6, rtol: 1e-5, "bilinear")
    }

    func testPadModesMatchTorch() throws {
        let x = try upload(try golden("pad", "x"))
        let padding = [AxisPadding(0, 0), AxisPadding(0, 0), AxisPadding(1, 2), AxisPadding(3, 1)]
        for (name, mode) in [("constant", PadMode.constant(-2.5)), ("reflect", .reflect), ("replicate", .replicate)] {
            try assertClose(
                try backend.pad(x, padding: padding, mode: mode), try golden("pad", name), atol: 0, rtol: 0, name)
        }
    }

    func testNormsMatchTorch() throws {
        let n = { (name: String) in try self.upload(try self.golden("norms", name)) }
        try assertClose(
            try backend.groupNorm(try n("xn"), groups: 3, weight: try n("gw"), bias: try n("gb"), eps: 1e-5),
            try golden("norms", "group_norm"), atol: 1e-5, rtol: 1e-5, "group_norm")
        try assertClose(
            try backend.layerNorm(try n("xl"), weight: try n("lw"), bias: try n("lb"), eps: 1e-6),
            try golden("norms", "layer_norm"), atol: 1e-5, rtol: 1e-5, "layer_norm")
        try assertClose(
            try backend.layerNorm(try n("xl"), weight: nil, bias: nil, eps: 1e-6),
            try golden("norms", "layer_norm_plain"), atol: 1e-5, rtol: 1e-5, "layer_norm plain")
        try assertClose(
            try backend.rmsNorm(try n("xl"), weight: try n("lw"), eps: 1e-6), try golden("norms", "rms_norm"),
            atol: 1e-5, rtol: 1e-5, "rms_norm")
        try assertClose(
            try backend.channelRMSNorm(try n("vae"), gamma: try n("gamma"), eps: 1e-12),
            try golden("norms", "channel_rms_norm"), atol: 1e-5, rtol: 1e-5, "channel_rms_norm")
    }

    func testActivationsAndSoftmaxMatchTorch() throws {
        let x = try upload(try golden("activations", "x"))
        for (name, op) in [("gelu_tanh", UnaryOp.geluTanh), ("gelu_erf", .geluErf), ("silu", .silu)] {
            try assertClose(try backend.unary(op, x), try golden("activations", name), atol: 2e-6, rtol: 1e-5, name)
        }
        let logits = try backend.scalar(.mul, try x.reshaped([7, 23]), 3)
        try assertClose(
            try backend.softmax(logits), try golden("activations", "softmax"), atol: 1e-7, rtol: 1e-5, "softmax")
    }

    func testConvolutionsMatchTorch() throws {
        let c = { (name: String) in try self.upload(try self.golden("conv", name)) }
        try assertClose(
            try backend.conv1d(
                try c("c1x"), weight: try c("c1w"), bias: try c("c1b"), stride: 2, padding: .symmetric(1)),
            try golden("conv", "conv1d_s2p1"), atol: 1e-5, rtol: 1e-5, "conv1d stride 2")
        try assertClose(
            try backend.conv1d(
                try c("c1x"), weight: try c("c1w"), bias: try c("c1b"), padding: .symmetric(2), dilation: 2),
            try golden("conv", "conv1d_d2p2"), atol: 1e-5, rtol: 1e-5, "conv1d dilation 2")
        try assertClose(
            try backend.conv2d(
                try c("c2x"), weight: try c("c2w"), bias: try c("c2b"), stride: [2, 2],
                padding: [AxisPadding(0, 1), AxisPadding(0, 1)]),
            try golden("conv", "conv2d_down"), atol: 1e-5, rtol: 1e-5, "Down2d")
        try assertClose(
            try backend.conv3d(
                try c("c3x"), weight: try c("c3w"), bias: try c("c3b"),
                geometry: try .causal3d(kernel: [3, 3, 3], spatialPadding: (1, 1))),
            try golden("conv", "conv3d_causal"), atol: 1e-5, rtol: 1e-5, "CausalConv3d")
        try assertClose(
            try backend.conv1d(try c("cgx"), weight: try c("cgw"), bias: nil, padding: .symmetric(1), groups: 3),
            try golden("conv", "conv1d_groups3"), atol: 1e-5, rtol: 1e-5, "groups")
    }

    func testGroupedQueryAttentionMatchesTorchSDPA() throws {
        let s = { (name: String) in try self.upload(try self.golden("sdpa", name)) }
        try assertClose(
            try backend.attention(q: try s("q"), k: try s("k"), v: try s("v"), scale: 0.3), try golden("sdpa", "out"),
            atol: 1e-5, rtol: 1e-5, "sdpa")
    }

    func testWan3DRoPEMatchesComplexPairRotation() throws {
        let table = try RoPETable.wan3D(frames: 2, height: 3, width: 4, headDim: 128)
        let (c, s) = try table.upload(on: backend)
        try assertClose(
            try backend.rope(try upload(try golden("rope_wan3d", "x")), cos: c, sin: s, pairing: .interleaved),
            try golden("rope_wan3d", "out"), atol: 1e-5, rtol: 1e-5, "wan 3-D rope")
    }
}
