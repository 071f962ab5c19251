import Foundation
import Tensor
import TensorVulkan
import XCTest

/// Device choice on fake device lists (no driver involved), and the real device of this machine.
final class DeviceSelectionTests: XCTestCase {
    let lavapipe = VulkanDeviceCandidate(name: "llvmpipe (LLVM 15.0.6, 256 bits)", kind: .softwareGPU)
    let integrated = VulkanDeviceCandidate(name: "Intel(R) UHD Graphics 770", kind: .integratedGPU)
    let discrete = VulkanDeviceCandidate(name: "NVIDIA H100 80GB HBM3", kind: .discreteGPU)

    func testDiscreteBeatsIntegratedBeatsSoftwareWhateverTheOrder() throws {
        XCTAssertEqual(try selectVulkanDevice([lavapipe, integrated, discrete], policy: .anyDevice), 2)
        XCTAssertEqual(try selectVulkanDevice([lavapipe, integrated], policy: .anyDevice), 1)
        XCTAssertEqual(try selectVulkanDevice([integrated, lavapipe], policy: .gpuOnly), 0)
    }

    func testAutoNeverPicksASoftwareImplementation() throws {
        XCTAssertThrowsError(try selectVulkanDevice([lavapipe], policy: .gpuOnly)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("llvmpipe"), message)
            XCTAssertTrue(message.contains("Auto"), message)
        }
    }

    func testExplicitVulkanChoiceMayUseLavapipe() throws {
        XCTAssertEqual(try selectVulkanDevice([lavapipe], policy: .anyDevice), 0)
    }

    func testDevicesWithoutComputeQueueAreSkipped() throws {
        let noCompute = VulkanDeviceCandidate(name: "Display only", kind: .discreteGPU, hasComputeQueue: false)
        XCTAssertEqual(try selectVulkanDevice([noCompute, integrated], policy: .gpuOnly), 1)
    }

    func testNameFilterNarrowsTheChoiceAndExplainsAMiss() throws {
        XCTAssertEqual(try selectVulkanDevice([discrete, integrated], policy: .gpuOnly, nameContains: "intel"), 1)
        XCTAssertThrowsError(try selectVulkanDevice([discrete, integrated], policy: .gpuOnly, nameContains: "radeon")) {
            XCTAssertTrue("\($0)".contains("radeon"), "\($0)")
        }
    }

    func testEmptyListIsAClearError() throws {
        XCTAssertThrowsError(try selectVulkanDevice([], policy: .anyDevice)) { error in
            XCTAssertTrue("\(error)".contains("devices found: none"), "\(error)")
        }
    }

    func testMissingDriverIsAThrownErrorNotACrash() throws {
        // Point the loader at a driver manifest that does not exist: no ICD, as on a machine
        // with libvulkan but no driver. Restored afterwards; the loader rescans at each instance.
        let variable = "VK_ICD_FILENAMES"
        let saved = ProcessInfo.processInfo.environment[variable]
        setenv(variable, "/nonexistent/omniedit-no-driver.json", 1)
        defer {
            if let saved { setenv(variable, saved, 1) } else { unsetenv(variable) }
        }
        XCTAssertThrowsError(try VulkanBackend(policy: .anyDevice)) { error in
            XCTAssertTrue("\(error)".contains("vkCreateInstance"), "\(error)")
        }
    }

    func testThisMachinesDeviceIsNamedAndAutoFollowsItsKind() throws {
        let candidates: [VulkanDeviceCandidate]
        do {
            candidates = try VulkanContext.candidates()
        } catch {
            throw XCTSkip("no Vulkan loader or driver on this machine: \(error)")
        }
        guard !candidates.isEmpty else { throw XCTSkip("Vulkan driver lists no device") }
        XCTAssertTrue(candidates.allSatisfy { !$0.name.isEmpty })
        let hasGPU = candidates.contains { $0.kind != .softwareGPU && $0.hasComputeQueue }
        if hasGPU {
            let backend = try VulkanBackend(policy: .gpuOnly)
            XCTAssertNotEqual(backend.device.kind, .softwareGPU)
        } else {
            XCTAssertThrowsError(try VulkanBackend(policy: .gpuOnly))
        }
        let any = try VulkanBackend(policy: .anyDevice)
        XCTAssertEqual(any.device.backend, "vulkan")
        XCTAssertTrue(candidates.map(\.name).contains(any.device.name))
    }
}

/// `BackendChoice` resolved on this machine's real devices.
final class BackendChoiceTests: XCTestCase {
    func testChoicesResolveByDeviceKind() throws {
        guard case .cpu(let reason) = try VulkanBackend.open(for: .cpu) else { return XCTFail("cpu gave Vulkan") }
        XCTAssertFalse(reason.isEmpty)
        let candidates = (try? VulkanContext.candidates()) ?? []
        let hasGPU = candidates.contains { $0.kind != .softwareGPU && $0.hasComputeQueue }
        switch try VulkanBackend.open(for: .auto) {
        case .vulkan(let backend):
            XCTAssertTrue(hasGPU)
            XCTAssertNotEqual(backend.device.kind, .softwareGPU)
        case .cpu(let reason):
            XCTAssertFalse(hasGPU, reason)
            XCTAssertTrue(reason.hasPrefix("Auto:"), reason)
        }
        guard !candidates.isEmpty else {
            XCTAssertThrowsError(try VulkanBackend.open(for: .vulkan))
            return
        }
        guard case .vulkan(let any) = try VulkanBackend.open(for: .vulkan) else { return XCTFail("vulkan gave CPU") }
        XCTAssertEqual(any.device.backend, "vulkan")
    }
}
