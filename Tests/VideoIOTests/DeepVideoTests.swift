import CFFmpeg
import Foundation
import XCTest

@testable import VideoIO

/// A 10-bit video (FFV1, lossless, in Matroska) written directly with libavformat/libavcodec:
/// VideoIO must report 16-bit depth and return the 10-bit levels through its RGBA64 path.
final class DeepVideoTests: XCTestCase {
    /// Writes `frames` pictures of uniform 10-bit Y/Cb/Cr levels (limited range, BT.709 tagged).
    private func writeTenBitClip(
        _ path: String, width: Int, height: Int, frames: Int, y: UInt16, cb: UInt16, cr: UInt16
    ) throws {
        var output: UnsafeMutablePointer<AVFormatContext>?
        XCTAssertEqual(avformat_alloc_output_context2(&output, nil, nil, path), 0)
        defer { avformat_free_context(output) }
        let codec = try XCTUnwrap(avcodec_find_encoder(AV_CODEC_ID_FFV1))
        var encoder = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&encoder) }
        let e = encoder!
        e.pointee.width = Int32(width)
        e.pointee.height = Int32(height)
        e.pointee.pix_fmt = AV_PIX_FMT_YUV420P10LE
        e.pointee.time_base = AVRational(num: 1, den: 50)
        e.pointee.colorspace = AVCOL_SPC_BT709
        e.pointee.color_range = AVCOL_RANGE_MPEG
        if output!.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            e.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        XCTAssertEqual(avcodec_open2(e, codec, nil), 0)
        let stream = try XCTUnwrap(avformat_new_stream(output, nil))
        XCTAssertEqual(avcodec_parameters_from_context(stream.pointee.codecpar, e), 0)
        stream.pointee.time_base = e.pointee.time_base
        XCTAssertEqual(avio_open(&output!.pointee.pb, path, AVIO_FLAG_WRITE), 0)
        XCTAssertEqual(avformat_write_header(output, nil), 0)
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        func drain() {
            while avcodec_receive_packet(e, packet) == 0 {
                av_packet_rescale_ts(packet, e.pointee.time_base, stream.pointee.time_base)
                packet!.pointee.stream_index = stream.pointee.index
                _ = av_interleaved_write_frame(output, packet)
            }
        }
        for f in 0..<frames {
            var frame = av_frame_alloc()
            defer { av_frame_free(&frame) }
            frame!.pointee.width = Int32(width)
            frame!.pointee.height = Int32(height)
            frame!.pointee.format = AV_PIX_FMT_YUV420P10LE.rawValue
            XCTAssertEqual(av_frame_get_buffer(frame, 0), 0)
            let planes = [frame!.pointee.data.0!, frame!.pointee.data.1!, frame!.pointee.data.2!]
            let strides = [
                Int(frame!.pointee.linesize.0), Int(frame!.pointee.linesize.1), Int(frame!.pointee.linesize.2),
            ]
            for (p, level) in [y, cb, cr].enumerated() {
                let (w, h) = p == 0 ? (width, height) : (width / 2, height / 2)
                for row in 0..<h {
                    let raw = UnsafeMutableRawPointer(planes[p] + row * strides[p])
                    for x in 0..<w { raw.storeBytes(of: level.littleEndian, toByteOffset: x * 2, as: UInt16.self) }
                }
            }
            frame!.pointee.pts = Int64(f)
            XCTAssertEqual(avcodec_send_frame(e, frame), 0)
            drain()
        }
        XCTAssertEqual(avcodec_send_frame(e, nil), 0)
        drain()
        XCTAssertEqual(av_write_trailer(output), 0)
        avio_closep(&output!.pointee.pb)
    }

    func testTenBitVideoIsReadAsSixteenBitWithItsLevels() throws {
        let folder = try makeScratchFolder(self)
        let path = folder + "/deep.mkv"
        // Grey: Cb = Cr = 512 (no colour); Y = 64 + 876·0.5 = 502 → R = G = B = 0.5 (limited range).
        try writeTenBitClip(path, width: 16, height: 8, frames: 3, y: 502, cb: 512, cr: 512)
        let source = try openFrameSource(path)
        XCTAssertEqual(source.sourceBitDepth, 16)
        XCTAssertEqual(source.frameCount, 3)
        XCTAssertEqual(source.frameRate, 50, accuracy: 1e-9)
        let image = try source.frame(2)
        for i in stride(from: 0, to: image.pixels.count, by: 4) {
            XCTAssertEqual(image.pixels[i], 0.5, accuracy: 2e-3)
            XCTAssertEqual(image.pixels[i + 1], 0.5, accuracy: 2e-3)
            XCTAssertEqual(image.pixels[i + 2], 0.5, accuracy: 2e-3)
            XCTAssertEqual(image.pixels[i + 3], 1)
        }
        // A 10-bit step (1/876 of the range) is visible: the 8-bit path could not show it.
        let brighter = folder + "/deep2.mkv"
        try writeTenBitClip(brighter, width: 16, height: 8, frames: 1, y: 503, cb: 512, cr: 512)
        let step = try openFrameSource(brighter).frame(0).pixels[0] - image.pixels[0]
        XCTAssertEqual(step, 1 / 876, accuracy: 4e-4)
    }
}
