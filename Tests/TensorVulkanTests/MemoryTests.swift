import Tensor
import TensorVulkan
import XCTest

final class MemoryTests: VulkanTestCase {
    func testUploadDownloadRoundTripsEveryDType() throws {
        let backend = try vulkan()
        var random = SeededRandom(1)
        let values = random.floats(1001, -3, 3)
        for dtype in DType.allCases {
            let x = try backend.upload(values, shape: [7, 11, 13], dtype: dtype)
            XCTAssertEqual(try backend.download(x), HalfConversion.roundTrip(values, through: dtype), "\(dtype)")
            XCTAssertEqual(try backend.downloadBytes(x), HalfConversion.encode(values, as: dtype), "\(dtype) bytes")
        }
    }
}
