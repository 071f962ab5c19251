import CFFmpeg
import Foundation
import XCTest

@testable import VideoIO

/// PNG files in every layout libavcodec's PNG decoder reports (grey, grey+alpha, RGB, RGBA,
/// palette; 8 and 16 bit), made with libavcodec's PNG encoder from known samples, must decode to
/// exactly those samples.
final class PNGLayoutTests: XCTestCase {
    /// Encodes a width x 1 PNG whose single row holds `row` (bytes as the pixel format stores
    /// them); `palette` (ARGB words) for PAL8.
    private func png(_ format: AVPixelFormat, width: Int, row: [UInt8], palette: [UInt32] = []) throws -> Data {
        let codec = try XCTUnwrap(avcodec_find_encoder(AV_CODEC_ID_PNG))
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        context!.pointee.width = Int32(width)
        context!.pointee.height = 1
        context!.pointee.pix_fmt = format
        context!.pointee.time_base = AVRational(num: 1, den: 25)
        XCTAssertEqual(avcodec_open2(context, codec, nil), 0)
        var frame = av_frame_alloc()
        defer { av_frame_free(&frame) }
        frame!.pointee.width = Int32(width)
        frame!.pointee.height = 1
        frame!.pointee.format = format.rawValue
        XCTAssertEqual(av_frame_get_buffer(frame, 0), 0)
        for (i, b) in row.enumerated() { frame!.pointee.data.0![i] = b }
        if !palette.isEmpty {
            let entries = UnsafeMutableRawPointer(frame!.pointee.data.1!)
            for (i, argb) in palette.enumerated() { entries.storeBytes(of: argb, toByteOffset: i * 4, as: UInt32.self) }
        }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        XCTAssertEqual(avcodec_send_frame(context, frame), 0)
        XCTAssertEqual(avcodec_receive_packet(context, packet), 0)
        return Data(bytes: packet!.pointee.data, count: Int(packet!.pointee.size))
    }

    private func decode(_ data: Data) throws -> (RGBAImage, Int) {
        let (image, depth) = try PNGCodec.decode(data, path: "test.png")
        return (image, depth)
    }

    func testEightBitLayoutsDecodeExactly() throws {
        let (grey, greyDepth) = try decode(png(AV_PIX_FMT_GRAY8, width: 2, row: [0, 200]))
        XCTAssertEqual(greyDepth, 8)
        let level = Float(200) / 255
        XCTAssertEqual(grey.pixels, [0, 0, 0, 1, level, level, level, 1])
        let (ya, _) = try decode(png(AV_PIX_FMT_YA8, width: 1, row: [51, 102]))
        XCTAssertEqual(ya.pixels, [Float(51) / 255, Float(51) / 255, Float(51) / 255, Float(102) / 255])
        let (rgb, _) = try decode(png(AV_PIX_FMT_RGB24, width: 1, row: [1, 2, 3]))
        XCTAssertEqual(rgb.pixels, [Float(1) / 255, Float(2) / 255, Float(3) / 255, 1])
        let (palette, _) = try decode(
            png(AV_PIX_FMT_PAL8, width: 2, row: [1, 0], palette: [0xFF10_2030, 0x8040_5060]))
        XCTAssertEqual(
            palette.pixels,
            [0x40, 0x50, 0x60, 0x80, 0x10, 0x20, 0x30, 0xFF].map { Float($0) / 255 })
    }

    func testSixteenBitLayoutsDecodeExactly() throws {
        let (grey, depth) = try decode(png(AV_PIX_FMT_GRAY16BE, width: 1, row: [0x12, 0x34]))
        XCTAssertEqual(depth, 16)
        let g = Float(0x1234) / 65535
        XCTAssertEqual(grey.pixels, [g, g, g, 1])
        let (ya, _) = try decode(png(AV_PIX_FMT_YA16BE, width: 1, row: [0xFF, 0xFF, 0x00, 0x01]))
        XCTAssertEqual(ya.pixels, [1, 1, 1, Float(1) / 65535])
        let (rgb, _) = try decode(png(AV_PIX_FMT_RGB48BE, width: 1, row: [0, 1, 0x80, 0, 0xFF, 0xFE]))
        XCTAssertEqual(rgb.pixels, [Float(1) / 65535, Float(0x8000) / 65535, Float(0xFFFE) / 65535, 1])
    }
}
