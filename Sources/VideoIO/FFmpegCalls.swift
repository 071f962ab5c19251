// Thin wrappers over the FFmpeg calls VideoIO makes: one place that turns a negative return code
// into a VideoIOError naming the file and the step that failed.
import CFFmpeg

enum FF {
    /// FFmpeg's text for a negative error code.
    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = CFFmpeg_strerror(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Throws when `code` < 0, with `what` (the step) and `path` in the message; else returns it.
    @discardableResult
    static func check(_ code: Int32, _ what: String, _ path: String) throws -> Int32 {
        if code < 0 { throw VideoIOError("\(path): \(what) failed: \(describe(code))") }
        return code
    }

    static let eof = CFFmpeg_AVERROR_EOF()
    static let again = CFFmpeg_AVERROR_EAGAIN()
    static let noPTS = CFFmpeg_NOPTS_VALUE()

    /// Rational → Double; 0 when the denominator is 0.
    static func double(_ r: AVRational) -> Double {
        r.den == 0 ? 0 : Double(r.num) / Double(r.den)
    }

    /// A close rational for `value` (e.g. 29.97 → 30000/1001), limited to 1 000 000 for num/den.
    static func rational(_ value: Double) -> AVRational {
        av_d2q(value, 1_000_000)
    }
}
