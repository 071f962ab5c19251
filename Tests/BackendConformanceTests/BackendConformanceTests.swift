// Runs the conformance table (ConformanceTable.swift) on every backend and proves the table covers
// every op of the `Backend` protocol.
import Foundation
import Tensor
import TensorCPU
import TensorTestSupport
import TensorVulkan
import XCTest

final class BackendConformanceTests: XCTestCase {
    /// Protocol requirements that are not ops (storage plumbing), so they need no `Op` case.
    private static let plumbing: Set<String> = ["makeStorage", "downloadBytes", "synchronize"]

    /// Every backend to check: the CPU backend and the Vulkan backend once per kernel style (forced,
    /// so lavapipe also runs the tiled shaders a GPU would get). Vulkan is absent without a device.
    private func backends() throws -> (backends: [(name: String, backend: any Backend)], vulkanMissing: String?) {
        var list: [(String, any Backend)] = [("cpu", try CPUBackend())]
        do {
            let shared = try VulkanBackend(policy: .anyDevice)
            for style in KernelStyle.allCases {
                list.append(("vulkan \(style.rawValue)", VulkanBackend(context: shared.context, kernelStyle: style)))
            }
            return (list, nil)
        } catch {
            return (list, "\(error)")
        }
    }

    func testEveryOpOfTheBackendProtocolHasARow() throws {
        let covered = Set(ConformanceTable.cases.map(\.op))
        for op in Op.allCases where !covered.contains(op) {
            XCTFail("Op.\(op.rawValue) has no row in ConformanceTable")
        }
        // Every requirement of the op-family protocols is an `Op` (or listed plumbing), so a new
        // requirement cannot skip both the `Op` enum and the table.
        let names = Set(Op.allCases.map(\.rawValue)).union(Self.plumbing)
        let requirements = try Self.protocolRequirements()
        XCTAssertGreaterThan(requirements.count, 20, "parsed too few requirements from Sources/Tensor/Ops")
        for name in requirements where !names.contains(name) {
            XCTFail("Backend requirement \(name) has no Op case (add it to Op and a row to ConformanceTable)")
        }
    }

    func testEveryRowMatchesTheReferenceOnEveryBackend() throws {
        let (backends, vulkanMissing) = try backends()
        for row in ConformanceTable.cases {
            let inputs = row.inputs()
            let rounded = inputs.map {
                HostTensor($0.host.shape, HalfConversion.roundTrip($0.host.values, through: $0.dtype))
            }
            let expected: HostTensor
            do {
                expected = try row.reference(rounded)
            } catch {
                XCTFail("\(row.label): reference failed: \(error)")
                continue
            }
            for (name, backend) in backends {
                do {
                    let uploaded = try inputs.map { try backend.upload($0.host.values, shape: $0.host.shape, dtype: $0.dtype) }
                    let y = try row.run(backend, uploaded)
                    guard y.shape == expected.shape else {
                        XCTFail("\(row.label) on \(name): shape \(y.shape), expected \(expected.shape)")
                        continue
                    }
                    let values = try backend.download(y)
                    if let problem = Closeness.check(values, expected.values, atol: row.atol, rtol: row.rtol) {
                        XCTFail("\(row.label) on \(name): \(problem)")
                    }
                } catch {
                    XCTFail("\(row.label) on \(name): \(error)")
                }
            }
        }
        if let vulkanMissing { throw XCTSkip("CPU rows passed; no Vulkan device, Vulkan rows not run: \(vulkanMissing)") }
    }

    /// Calls every backend must refuse, with the same error: the checks live above the backends, in
    /// Tensor's public ops.
    private static let badCalls: [(String, @Sendable (any Backend) throws -> Tensor)] = [
        ("matmul inner sizes", { b in try b.matmul(try b.zeros([2, 3]), try b.zeros([4, 5])) }),
        ("linear inputs", { b in try b.linear(try b.zeros([2, 3]), weight: try b.zeros([4, 5]), bias: nil) }),
        ("linear bias", { b in try b.linear(try b.zeros([2, 5]), weight: try b.zeros([4, 5]), bias: try b.zeros([3])) }),
        ("conv channels", { b in
            try b.conv1d(try b.zeros([1, 4, 9]), weight: try b.zeros([2, 3, 3]), bias: nil)
        }),
        ("conv kernel larger than input", { b in
            try b.conv1d(try b.zeros([1, 4, 2]), weight: try b.zeros([2, 4, 3]), bias: nil)
        }),
        ("attention heads", { b in
            try b.attention(q: try b.zeros([4, 3, 8]), k: try b.zeros([4, 2, 8]), v: try b.zeros([4, 2, 8]), scale: 1)
        }),
        ("attention without keys", { b in
            try b.attention(q: try b.zeros([4, 2, 8]), k: try b.zeros([0, 2, 8]), v: try b.zeros([0, 2, 8]), scale: 1)
        }),
        ("rope odd head dim", { b in
            try b.rope(try b.zeros([3, 1, 5]), cos: try b.zeros([3, 2]), sin: try b.zeros([3, 2]), pairing: .halves)
        }),
        ("rope table", { b in
            try b.rope(try b.zeros([3, 1, 4]), cos: try b.zeros([2, 2]), sin: try b.zeros([2, 2]), pairing: .halves)
        }),
        ("softmax of a scalar", { b in try b.softmax(try b.zeros([])) }),
        ("layerNorm weight", { b in try b.layerNorm(try b.zeros([2, 6]), weight: try b.zeros([5]), bias: nil, eps: 1e-6) }),
        ("rmsNorm eps", { b in try b.rmsNorm(try b.zeros([2, 6]), weight: nil, eps: -1) }),
        ("groupNorm groups", { b in
            try b.groupNorm(try b.zeros([1, 6, 4]), groups: 4, weight: nil, bias: nil, eps: 1e-6)
        }),
        ("channelRMSNorm gamma", { b in try b.channelRMSNorm(try b.zeros([1, 6, 4]), gamma: try b.zeros([4]), eps: 1e-12) }),
        ("binary broadcast", { b in try b.binary(.add, try b.zeros([2, 3]), try b.zeros([4])) }),
        ("modulate grows x", { b in
            try b.modulate(try b.zeros([1, 3]), scale: try b.zeros([2, 3]), shift: try b.zeros([3]))
        }),
        ("gatedAdd gate", { b in try b.gatedAdd(try b.zeros([2, 3]), try b.zeros([2, 3]), gate: try b.zeros([2])) }),
        ("clamp bounds", { b in try b.clamp(try b.zeros([3]), min: 1, max: 0) }),
        ("concat axes", { b in try b.concat([try b.zeros([2, 3]), try b.zeros([2, 4])], axis: 0) }),
        ("pad count", { b in try b.pad(try b.zeros([2, 3]), padding: [.symmetric(1)], mode: .constant(0)) }),
        ("pad reflect", { b in try b.pad(try b.zeros([2, 3]), padding: [.init(0, 0), .init(3, 0)], mode: .reflect) }),
        ("resize empty axis", { b in try b.resize(try b.zeros([2, 0]), axis: 1, size: 4, mode: .nearest) }),
        ("embedding index", { b in try b.embedding(try b.zeros([4, 3]), indices: [1, 4]) }),
        ("reduce max of nothing", { b in try b.reduce(.max, try b.zeros([2, 0]), axis: 1, keepDim: false) }),
        ("reduce axis", { b in try b.reduce(.sum, try b.zeros([2, 3]), axis: 2, keepDim: false) }),
    ]

    func testEveryBackendRefusesBadShapesWithTheSameError() throws {
        let (backends, vulkanMissing) = try backends()
        for (what, call) in Self.badCalls {
            var messages: [String] = []
            for (name, backend) in backends {
                do {
                    let y = try call(backend)
                    XCTFail("\(what) on \(name): accepted, gave \(y.shape)")
                } catch let error as TensorError {
                    messages.append("\(error)")
                } catch {
                    XCTFail("\(what) on \(name): \(error) is not a TensorError")
                }
            }
            XCTAssertEqual(Set(messages).count, 1, "\(what): backends disagree: \(messages)")
        }
        if let vulkanMissing { throw XCTSkip("CPU checked; no Vulkan device: \(vulkanMissing)") }
    }

    /// Names of the `func` requirements of every `protocol …Ops` in Sources/Tensor/Ops.
    private static func protocolRequirements() throws -> Set<String> {
        let ops = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Tensor/Ops")
        var names: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: ops.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: ops.appendingPathComponent(file), encoding: .utf8)
            var inProtocol = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("public protocol ") {
                    inProtocol = true
                } else if inProtocol, line.hasPrefix("}") {
                    inProtocol = false
                } else if inProtocol, let range = line.range(of: "func ") {
                    let rest = line[range.upperBound...]
                    names.insert(String(rest.prefix { $0.isLetter || $0.isNumber }))
                }
            }
        }
        return names
    }
}
