// PNG through libavcodec's PNG decoder/encoder (already linked for video), so VideoIO needs no
// libpng shim. 8- and 16-bit, grey / grey+alpha / RGB / RGBA / palette are converted by hand,
// exactly; any other layout the decoder reports goes through libswscale.
import CFFmpeg
import Foundation

enum PNGCodec {
    /// Decodes PNG bytes into RGBA floats in 0...1 (row 0 = top) and the stored bit depth (8 or 16).
    static func decode(_ data: Data, path: String) throws -> (image: RGBAImage, bitDepth: Int) {
        guard data.count >= 8, data.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        else { throw VideoIOError("\(path): not a PNG file (signature missing)") }
        guard let codec = avcodec_find_decoder(AV_CODEC_ID_PNG) else {
            throw VideoIOError("\(path): this libavcodec has no PNG decoder")
        }
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        try FF.check(avcodec_open2(context, codec, nil), "opening the PNG decoder", path)
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        try FF.check(av_new_packet(packet, Int32(data.count)), "allocating a packet", path)
        data.withUnsafeBytes {
            packet!.pointee.data.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: data.count)
        }
        var frame = av_frame_alloc()
        defer { av_frame_free(&frame) }
        try FF.check(avcodec_send_packet(context, packet), "decoding (truncated or damaged PNG?)", path)
        _ = avcodec_send_packet(context, nil)
        try FF.check(avcodec_receive_frame(context, frame), "decoding (truncated or damaged PNG?)", path)
        return try FrameConversion.rgba(from: frame!, path: path)
    }

    /// Encodes RGBA floats (clamped to 0...1, rounded) as an 8- or 16-bit RGBA PNG.
    static func encode(_ image: RGBAImage, bitDepth: Int, path: String) throws -> Data {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw VideoIOError("\(path): this libavcodec has no PNG encoder")
        }
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        let format = bitDepth == 16 ? AV_PIX_FMT_RGBA64BE : AV_PIX_FMT_RGBA
        context!.pointee.width = Int32(image.width)
        context!.pointee.height = Int32(image.height)
        context!.pointee.pix_fmt = format
        context!.pointee.time_base = AVRational(num: 1, den: 25)
        try FF.check(avcodec_open2(context, codec, nil), "opening the PNG encoder", path)
        var frame = try FrameConversion.makeFrame(image, format: format, path: path)
        defer { av_frame_free(&frame) }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        try FF.check(avcodec_send_frame(context, frame), "encoding PNG", path)
        try FF.check(avcodec_receive_packet(context, packet), "encoding PNG", path)
        return Data(bytes: packet!.pointee.data, count: Int(packet!.pointee.size))
    }
}
