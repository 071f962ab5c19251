// Portable float map (PFM): "PF" (RGB) or "Pf" (grey), width height, scale (negative = little
// endian), then float32 rows stored BOTTOM-UP. Written by hand: the format is 3 header lines.
import Foundation

enum PFM {
    /// Decodes a PFM file's bytes into RGBA (row 0 = top); grey is copied to R, G, B; alpha = 1.
    static func decode(_ data: Data, path: String) throws -> RGBAImage {
        var fields: [String] = []
        var cursor = 0
        let bytes = [UInt8](data.prefix(256))
        // Three header fields (type, "w h", scale) = four tokens, each ended by one whitespace byte.
        while fields.count < 4 {
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            var token = ""
            while cursor < bytes.count, !isSpace(bytes[cursor]) {
                token.append(Character(UnicodeScalar(bytes[cursor])))
                cursor += 1
            }
            guard !token.isEmpty, cursor < bytes.count else {
                throw VideoIOError("\(path): not a PFM file (header is incomplete)")
            }
            fields.append(token)
            cursor += 1  // the single whitespace byte after the token
        }
        let channels: Int
        switch fields[0] {
        case "PF": channels = 3
        case "Pf": channels = 1
        default: throw VideoIOError("\(path): not a PFM file (starts with '\(fields[0].prefix(8))', expected PF or Pf)")
        }
        guard let width = Int(fields[1]), let height = Int(fields[2]), width > 0, height > 0,
            width <= 1 << 16, height <= 1 << 16
        else { throw VideoIOError("\(path): PFM size '\(fields[1]) \(fields[2])' is not a valid size") }
        guard let scale = Double(fields[3]), scale != 0, scale.isFinite else {
            throw VideoIOError("\(path): PFM scale '\(fields[3])' is not a non-zero number")
        }
        let littleEndian = scale < 0
        let count = width * height * channels
        guard data.count - cursor >= count * 4 else {
            throw VideoIOError(
                "\(path): PFM data is truncated (\(data.count - cursor) bytes for \(count * 4) expected)")
        }
        var pixels = [Float](repeating: 1, count: width * height * 4)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let base = raw.baseAddress!.advanced(by: cursor)
            for fileRow in 0..<height {
                let y = height - 1 - fileRow
                for x in 0..<width {
                    for c in 0..<channels {
                        let offset = ((fileRow * width + x) * channels + c) * 4
                        let bits = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                        let value = Float(
                            bitPattern: littleEndian ? UInt32(littleEndian: bits) : UInt32(bigEndian: bits))
                        if channels == 1 {
                            for k in 0..<3 { pixels[(y * width + x) * 4 + k] = value }
                        } else {
                            pixels[(y * width + x) * 4 + c] = value
                        }
                    }
                }
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes RGB (`channels` 3) or the R channel as grey (`channels` 1); alpha is not stored.
    static func encode(_ image: RGBAImage, channels: Int = 3, littleEndian: Bool = true) -> Data {
        var data = Data(
            "\(channels == 3 ? "PF" : "Pf")\n\(image.width) \(image.height)\n\(littleEndian ? "-1.0" : "1.0")\n".utf8)
        var body = [UInt32](repeating: 0, count: image.width * image.height * channels)
        for fileRow in 0..<image.height {
            let y = image.height - 1 - fileRow
            for x in 0..<image.width {
                for c in 0..<channels {
                    let bits = image.pixels[(y * image.width + x) * 4 + c].bitPattern
                    body[(fileRow * image.width + x) * channels + c] = littleEndian ? bits.littleEndian : bits.bigEndian
                }
            }
        }
        body.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
