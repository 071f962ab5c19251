// AVFrame ↔ RGBAImage. PNG-style layouts (packed RGB(A)/grey(+alpha)/palette, 8 or 16 bit) are
// converted by hand so 8- and 16-bit values come back exactly; everything else (YUV video,
// 10-bit, bit-packed grey) goes through libswscale to RGBA or RGBA64.
import CFFmpeg
import Foundation

enum FrameConversion {
    /// RGBA floats in 0...1 (row 0 = top) and the source bit depth (8, or 16 for anything deeper).
    static func rgba(from frame: UnsafeMutablePointer<AVFrame>, path: String, colorspace: Int32? = nil)
        throws -> (image: RGBAImage, bitDepth: Int)
    {
        let f = frame.pointee
        let width = Int(f.width)
        let height = Int(f.height)
        guard width > 0, height > 0 else { throw VideoIOError("\(path): decoded picture has no pixels") }
        let format = AVPixelFormat(rawValue: f.format)
        // (channels in file, bytes per sample) for the hand-converted layouts.
        let layout: (Int, Int)?
        switch format {
        case AV_PIX_FMT_RGBA: layout = (4, 1)
        case AV_PIX_FMT_RGB24: layout = (3, 1)
        case AV_PIX_FMT_GRAY8: layout = (1, 1)
        case AV_PIX_FMT_YA8: layout = (2, 1)
        case AV_PIX_FMT_RGBA64BE: layout = (4, 2)
        case AV_PIX_FMT_RGB48BE: layout = (3, 2)
        case AV_PIX_FMT_GRAY16BE: layout = (1, 2)
        case AV_PIX_FMT_YA16BE: layout = (2, 2)
        case AV_PIX_FMT_PAL8: layout = (0, 1)
        default: layout = nil
        }
        guard let (channels, bytes) = layout else {
            return try scaled(frame, path: path, colorspace: colorspace)
        }
        var pixels = [Float](repeating: 1, count: width * height * 4)
        let plane = f.data.0!
        let stride = Int(f.linesize.0)
        if channels == 0 {
            // Palette entries are 32-bit native-endian 0xAARRGGBB (libavutil's PAL8 convention).
            let palette = UnsafeRawPointer(f.data.1!)
            for y in 0..<height {
                for x in 0..<width {
                    let entry = palette.loadUnaligned(fromByteOffset: Int(plane[y * stride + x]) * 4, as: UInt32.self)
                    let o = (y * width + x) * 4
                    pixels[o] = Float((entry >> 16) & 0xFF) / 255
                    pixels[o + 1] = Float((entry >> 8) & 0xFF) / 255
                    pixels[o + 2] = Float(entry & 0xFF) / 255
                    pixels[o + 3] = Float(entry >> 24) / 255
                }
            }
            return (RGBAImage(width: width, height: height, pixels: pixels), 8)
        }
        // Division (not multiplication by a reciprocal) so that q / 255 is the float nearest the
        // exact value, which is what every other component computes for a stored level.
        let levels: Float = bytes == 1 ? 255 : 65535
        for y in 0..<height {
            let row = plane + y * stride
            for x in 0..<width {
                var v: (Float, Float, Float, Float) = (0, 0, 0, 1)
                func sample(_ c: Int) -> Float {
                    let p = row + (x * channels + c) * bytes
                    return bytes == 1 ? Float(p[0]) / levels : Float(UInt16(p[0]) << 8 | UInt16(p[1])) / levels
                }
                switch channels {
                case 1:
                    let g = sample(0)
                    v = (g, g, g, 1)
                case 2:
                    let g = sample(0)
                    v = (g, g, g, sample(1))
                case 3: v = (sample(0), sample(1), sample(2), 1)
                default: v = (sample(0), sample(1), sample(2), sample(3))
                }
                let o = (y * width + x) * 4
                pixels[o] = v.0
                pixels[o + 1] = v.1
                pixels[o + 2] = v.2
                pixels[o + 3] = v.3
            }
        }
        return (RGBAImage(width: width, height: height, pixels: pixels), bytes * 8)
    }

    /// Any other layout: libswscale to RGBA (≤ 8-bit sources) or RGBA64 (deeper sources).
    /// `colorspace` (an SWS_CS_* value) picks the YUV matrix; nil = libswscale's default (BT.601).
    private static func scaled(_ frame: UnsafeMutablePointer<AVFrame>, path: String, colorspace: Int32?)
        throws -> (image: RGBAImage, bitDepth: Int)
    {
        let f = frame.pointee
        let width = Int(f.width)
        let height = Int(f.height)
        guard let descriptor = av_pix_fmt_desc_get(AVPixelFormat(rawValue: f.format)) else {
            throw VideoIOError("\(path): decoded picture has an unknown pixel format \(f.format)")
        }
        let depth = Int(descriptor.pointee.comp.0.depth)
        let deep = depth > 8
        let target = deep ? AV_PIX_FMT_RGBA64LE : AV_PIX_FMT_RGBA
        guard
            let sws = sws_getContext(
                f.width, f.height, AVPixelFormat(rawValue: f.format), f.width, f.height, target,
                Int32(SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT), nil, nil, nil)
        else {
            throw VideoIOError("\(path): libswscale cannot convert \(String(cString: descriptor.pointee.name)) to RGBA")
        }
        defer { sws_freeContext(sws) }
        let fullRange = f.color_range == AVCOL_RANGE_JPEG
        if let cs = colorspace {
            let coefficients = sws_getCoefficients(cs)
            _ = sws_setColorspaceDetails(sws, coefficients, fullRange ? 1 : 0, coefficients, 1, 0, 1 << 16, 1 << 16)
        }
        let bytesPerPixel = deep ? 8 : 4
        var buffer = [UInt8](repeating: 0, count: width * height * bytesPerPixel)
        buffer.withUnsafeMutableBufferPointer { out in
            var dst: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress, nil, nil, nil]
            var dstStride: [Int32] = [Int32(width * bytesPerPixel), 0, 0, 0]
            withUnsafePointer(to: f.data) { dataTuple in
                withUnsafePointer(to: f.linesize) { strideTuple in
                    dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                        strideTuple.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
                            _ = sws_scale(sws, src, srcStride, 0, f.height, &dst, &dstStride)
                        }
                    }
                }
            }
        }
        var pixels = [Float](repeating: 0, count: width * height * 4)
        if deep {
            buffer.withUnsafeBytes { raw in
                for i in 0..<(width * height * 4) {
                    pixels[i] =
                        Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) / 65535
                }
            }
        } else {
            for i in 0..<(width * height * 4) { pixels[i] = Float(buffer[i]) / 255 }
        }
        return (RGBAImage(width: width, height: height, pixels: pixels), deep ? 16 : 8)
    }

    /// A new AVFrame of `format` (RGBA or RGBA64BE) holding `image`, clamped to 0...1 and rounded.
    static func makeFrame(_ image: RGBAImage, format: AVPixelFormat, path: String) throws
        -> UnsafeMutablePointer<AVFrame>?
    {
        guard image.pixels.count == image.width * image.height * 4 else {
            throw VideoIOError(
                "\(path): image holds \(image.pixels.count) values, expected \(image.width)x\(image.height)x4")
        }
        var frame = av_frame_alloc()
        frame!.pointee.width = Int32(image.width)
        frame!.pointee.height = Int32(image.height)
        frame!.pointee.format = format.rawValue
        let status = av_frame_get_buffer(frame, 0)
        if status < 0 {
            av_frame_free(&frame)
            try FF.check(status, "allocating a frame", path)
        }
        let plane = frame!.pointee.data.0!
        let stride = Int(frame!.pointee.linesize.0)
        let sixteen = format == AV_PIX_FMT_RGBA64BE
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<image.height {
                let row = plane + y * stride
                for i in 0..<(image.width * 4) {
                    let raw = src[y * image.width * 4 + i]
                    let v = raw.isNaN ? 0 : min(max(raw, 0), 1)
                    if sixteen {
                        let q = UInt16((v * 65535).rounded())
                        row[i * 2] = UInt8(q >> 8)
                        row[i * 2 + 1] = UInt8(q & 0xFF)
                    } else {
                        row[i] = UInt8((v * 255).rounded())
                    }
                }
            }
        }
        return frame
    }
}
