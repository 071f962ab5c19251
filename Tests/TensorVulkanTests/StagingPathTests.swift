import Tensor
import XCTest

@testable import TensorVulkan

/// The discrete-GPU memory path (device buffers never mapped: every upload, download and shape
/// table goes through a host-visible staging buffer and a copy on the queue), proven on a device
/// whose memory happens to be host-visible by refusing to map it.
final class StagingPathTests: VulkanTestCase {
    func testUnmappedDeviceMemoryGivesTheSameResults() throws {
        _ = try vulkan()
        let backend = VulkanBackend(context: try VulkanContext.open(policy: .anyDevice, mapsDeviceMemory: false))
        var random = SeededRandom(30)
        let values = random.floats(3 * 7 * 10)
        let x = try backend.upload(values, shape: [3, 7, 10], dtype: .f32)
        XCTAssertEqual(try backend.download(x), values)
        let half = try backend.upload(values, shape: [3, 7, 10], dtype: .bf16)
        XCTAssertEqual(try backend.downloadBytes(half), HalfConversion.encode(values, as: .bf16))
        // A contiguous view at an odd element offset of half storage: a copy from a 2-byte offset.
        let tail = try half.narrowed(axis: 0, start: 1, length: 2).reshaped([140])
        XCTAssertEqual(try backend.downloadBytes(tail), HalfConversion.encode(Array(values[70...]), as: .bf16))
        let w = random.floats(5 * 10)
        let y = try backend.linear(x, weight: try backend.upload(w, shape: [5, 10], dtype: .f16), bias: nil)
        let expected = Reference.linear(
            values, HalfConversion.roundTrip(w, through: .f16), nil, rows: 21, inF: 10, outF: 5)
        assertClose(try backend.download(y), expected, atol: 1e-5, rtol: 1e-5, "linear")
        let filled = try backend.fill(shape: [9], value: 1.5, dtype: .f16)
        XCTAssertEqual(try backend.download(filled), Array(repeating: 1.5, count: 9))
        let transposed = try backend.contiguous(try x.transposed(1, 2))
        XCTAssertEqual(try backend.download(transposed)[1], values[10])
    }
}

/// Tensors of one device context are refused by a backend on another (a VkBuffer of another VkDevice
/// would be undefined behaviour), while backends sharing a context share tensors.
final class ContextOwnershipTests: VulkanTestCase {
    func testTensorsOfAnotherContextAreForeignButSharedContextsShare() throws {
        let shared = try vulkan()
        let other = VulkanBackend(context: try VulkanContext.open(policy: .anyDevice))
        let x = try other.upload([1, 2, 3], shape: [3], dtype: .f32)
        XCTAssertThrowsError(try shared.unary(.neg, x)) { error in
            guard case TensorError.foreignStorage = error else { return XCTFail("\(error)") }
        }
        let sibling = VulkanBackend(context: other.context, kernelStyle: .tiled)
        XCTAssertEqual(try sibling.download(try sibling.unary(.neg, x)), [-1, -2, -3])
    }
}
