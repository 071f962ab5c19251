import Tensor
import TensorCPU
import TensorTestSupport
import XCTest

final class ElementwiseTests: CPUTestCase {
    func testEveryUnaryOpMatchesItsFormulaOnOddSizes() throws {
        let h = HostTensor.random([1031], seed: 11, scale: 3)
        let positive = HostTensor(h.shape, h.values.map { abs($0) + 0.01 })
        for op in UnaryOp.allCases {
            let input = [.log, .sqrt, .rsqrt].contains(op) ? positive : h
            let got = try backend.unary(op, try upload(input))
            try assertClose(got, Reference.unary(op, input), atol: 2e-6, rtol: 2e-6, "\(op)")
        }
    }

    func testExpHandlesExtremesLikeSoftmaxNeeds() throws {
        let x = try backend.upload([-.infinity, -200, -87, 0, 80, 88, 100], shape: [7], dtype: .f32)
        let y = try backend.download(try backend.unary(.exp, x))
        XCTAssertEqual(y[0], 0)
        XCTAssertEqual(y[1], 0)
        XCTAssertEqual(y[3], 1)
        XCTAssertEqual(y[2] / Float(Foundation.exp(-87.0)), 1, accuracy: 1e-6)
        XCTAssertEqual(y[4] / Float(Foundation.exp(80.0)), 1, accuracy: 1e-6)
        XCTAssertEqual(y[6], .infinity)
    }

    func testBinaryBroadcastsLikeNumpy() throws {
        let cases: [([Int], [Int])] = [
            ([7, 13], [7, 13]), ([7, 13], [13]), ([7, 13], [7, 1]), ([1, 13], [7, 1]),
            ([2, 3, 17], [3, 1]), ([5], []), ([3, 1, 9], [1, 4, 9]),
        ]
        for (i, (sa, sb)) in cases.enumerated() {
            let a = HostTensor.random(sa, seed: UInt64(20 + i))
            let b = HostTensor(sb, HostTensor.random(sb, seed: UInt64(40 + i)).values.map { $0 + 3 })
            for op in BinaryOp.allCases {
                let got = try backend.binary(op, try upload(a), try upload(b))
                try assertClose(got, try Reference.binary(op, a, b), atol: 1e-6, rtol: 1e-6, "\(op) \(sa) \(sb)")
            }
        }
        XCTAssertThrowsError(try backend.add(try upload(.random([3, 4], seed: 1)), try upload(.random([5], seed: 2))))
    }

    func testBinaryReadsStridedAndHalfInputs() throws {
        let a = HostTensor.random([6, 5], seed: 30)
        let b = HostTensor.random([5, 6], seed: 31)
        let bt = Reference.permute(b, [1, 0])
        let got = try backend.mul(try upload(a), try upload(b).transposed(0, 1))
        try assertClose(got, try Reference.binary(.mul, a, bt), "strided operand")
        let half = try backend.add(try upload(a, .bf16), try upload(bt))
        try assertClose(
            half,
            try Reference.binary(.add, HostTensor(a.shape, HalfConversion.roundTrip(a.values, through: .bf16)), bt),
            "bf16 operand")
    }

    func testScalarClampModulateAndGatedAdd() throws {
        let x = HostTensor.random([9, 24], seed: 50)
        let scale = HostTensor.random([1, 24], seed: 51)
        let shift = HostTensor.random([1, 24], seed: 52)
        let y = HostTensor.random([9, 24], seed: 53)
        let gate = HostTensor.random([24], seed: 54)
        for op in BinaryOp.allCases {
            try assertClose(
                try backend.scalar(op, try upload(x), 1.5), try Reference.binary(op, x, HostTensor([], [1.5])),
                "scalar \(op)")
        }
        try assertClose(
            try backend.clamp(try upload(x), min: -0.5, max: 0.25),
            HostTensor(x.shape, x.values.map { min(max($0, -0.5), 0.25) }), "clamp")
        let onePlus = try Reference.binary(.add, scale, HostTensor([], [1]))
        let expectedMod = try Reference.binary(.add, try Reference.binary(.mul, x, onePlus), shift)
        try assertClose(
            try backend.modulate(try upload(x), scale: try upload(scale), shift: try upload(shift)), expectedMod,
            "modulate")
        let expectedGate = try Reference.binary(.add, x, try Reference.binary(.mul, y, gate))
        try assertClose(
            try backend.gatedAdd(try upload(x), try upload(y), gate: try upload(gate)), expectedGate, "gatedAdd")
        XCTAssertThrowsError(try backend.clamp(try upload(x), min: 1, max: 0))
    }
}
