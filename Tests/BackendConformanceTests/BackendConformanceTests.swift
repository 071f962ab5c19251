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
