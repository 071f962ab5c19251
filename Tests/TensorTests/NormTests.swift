import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class NormTests: CPUTestCase {
    func testLayerNormWithAndWithoutAffine() throws {
        // Wan: LayerNorm(dim) without affine (norm1/norm2) and with (norm3), scaled-down dim 48; odd 37.
        for d in [48, 37] {
            let x = HostTensor(
                HostTensor.random([5, d], seed: 300).shape,
                HostTensor.random([5, d], seed: 300).values.map { $0 * 2 + 1 })
            let w = HostTensor.random([d], seed: 301)
            let b = HostTensor.random([d], seed: 302)
            try assertClose(
                try backend.layerNorm(try upload(x), weight: nil, bias: nil, eps: 1e-6),
                Reference.layerNorm(x, nil, nil, eps: 1e-6), atol: 1e-5, rtol: 1e-4, "plain \(d)")
            try assertClose(
                try backend.layerNorm(try upload(x), weight: try upload(w), bias: try upload(b), eps: 1e-5),
                Reference.layerNorm(x, w, b, eps: 1e-5), atol: 1e-5, rtol: 1e-4, "affine \(d)")
        }
    }

    func testRMSNormAcrossHeads() throws {
        let x = HostTensor.random([7, 3, 48], seed: 310)
        let w = HostTensor.random([48], seed: 311)
        try assertClose(
            try backend.rmsNorm(try upload(x), weight: try upload(w), eps: 1e-6), Reference.rmsNorm(x, w, eps: 1e-6),
            atol: 1e-5, rtol: 1e-4)
        try assertClose(
            try backend.rmsNorm(try upload(x), weight: nil, eps: 1e-6), Reference.rmsNorm(x, nil, eps: 1e-6),
            atol: 1e-5, rtol: 1e-4)
    }

    func testGroupNormAndVAEChannelRMSNorm() throws {
        let x = HostTensor.random([2, 6, 3, 5], seed: 320)
        let w = HostTensor.random([6], seed: 321)
        let b = HostTensor.random([6], seed: 322)
        try assertClose(
            try backend.groupNorm(try upload(x), groups: 3, weight: try upload(w), bias: try upload(b), eps: 1e-5),
            Reference.groupNorm(x, groups: 3, w, b, eps: 1e-5), atol: 1e-5, rtol: 1e-4, "groupNorm")
        let v = HostTensor.random([1, 12, 3, 4, 5], seed: 323)
        let gamma = HostTensor.random([12], seed: 324)
        try assertClose(
            try backend.channelRMSNorm(try upload(v), gamma: try upload(gamma), eps: 1e-12),
            Reference.channelRMSNorm(v, gamma, eps: 1e-12), atol: 1e-5, rtol: 1e-4, "channelRMSNorm")
        XCTAssertThrowsError(try backend.groupNorm(try upload(x), groups: 4, weight: nil, bias: nil, eps: 1e-5))
        XCTAssertThrowsError(try backend.layerNorm(try upload(x), weight: try upload(w), bias: nil, eps: 1e-5))
    }
}
