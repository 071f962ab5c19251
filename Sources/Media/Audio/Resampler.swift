// Sample-rate conversion with libswresample (FFmpeg's resampler; see README for why), mono
// float in, mono float out, time-aligned: output sample j is the signal at time j / outputRate.
import CSwResample

/// Converts mono float audio between sample rates with libswresample's windowed-sinc filter.
///
/// Quality settings (libswresample options): `filter_size` 64 taps per phase, `phase_shift` 12
/// (4096 phases), `cutoff` 0.97 of the lower Nyquist, Kaiser window β 9 (the defaults except the
/// longer filter): a 1 kHz tone keeps its amplitude within 0.01 dB for 44.1k/48k → 16k.
public struct Resampler: Sendable {
    /// Input samples per second.
    public let inputRate: Int
    /// Output samples per second.
    public let outputRate: Int

    /// Describes a conversion; throws when a rate is not positive or above 1 MHz.
    public init(from inputRate: Int, to outputRate: Int) throws {
        for rate in [inputRate, outputRate] where !(1...1_000_000).contains(rate) {
            throw MediaError("sample rate \(rate) is outside 1...1000000 Hz")
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
    }

    /// Output length for `count` input samples: ⌈count · outputRate / inputRate⌉.
    public func outputCount(for count: Int) -> Int {
        (count * outputRate + inputRate - 1) / inputRate
    }

    /// Resamples `input` (mono) and returns exactly `outputCount(for: input.count)` samples,
    /// y[j] ≈ x(j / outputRate) with x band-limited to min(inputRate, outputRate) / 2.
    public func resample(_ input: [Float]) throws -> [Float] {
        if inputRate == outputRate { return input }
        var context: OpaquePointer?
        var monoOut = AVChannelLayout()
        var monoIn = AVChannelLayout()
        av_channel_layout_default(&monoOut, 1)
        av_channel_layout_default(&monoIn, 1)
        guard
            swr_alloc_set_opts2(
                &context, &monoOut, AV_SAMPLE_FMT_FLT, Int32(outputRate), &monoIn, AV_SAMPLE_FMT_FLT, Int32(inputRate),
                0, nil) >= 0,
            context != nil
        else { throw MediaError("libswresample cannot convert \(inputRate) Hz to \(outputRate) Hz") }
        defer { swr_free(&context) }
        let raw = UnsafeMutableRawPointer(context)
        _ = av_opt_set_int(raw, "filter_size", 64, 0)
        _ = av_opt_set_int(raw, "phase_shift", 12, 0)
        guard swr_init(context) >= 0 else {
            throw MediaError("libswresample cannot convert \(inputRate) Hz to \(outputRate) Hz")
        }
        let wanted = outputCount(for: input.count)
        // Room for everything the filter may hand back, including what it holds until the flush.
        var output = [Float](repeating: 0, count: wanted + 4096)
        var made = 0
        try output.withUnsafeMutableBufferPointer { out in
            try input.withUnsafeBufferPointer { inp in
                var inPlane: UnsafePointer<UInt8>? = UnsafeRawPointer(inp.baseAddress).map {
                    $0.assumingMemoryBound(to: UInt8.self)
                }
                var outPlane: UnsafeMutablePointer<UInt8>? = UnsafeMutableRawPointer(out.baseAddress!)
                    .assumingMemoryBound(to: UInt8.self)
                let first = swr_convert(context, &outPlane, Int32(out.count), &inPlane, Int32(input.count))
                guard first >= 0 else { throw MediaError("libswresample failed converting \(input.count) samples") }
                made = Int(first)
                var flushPlane: UnsafeMutablePointer<UInt8>? =
                    UnsafeMutableRawPointer(out.baseAddress! + made).assumingMemoryBound(to: UInt8.self)
                let rest = swr_convert(context, &flushPlane, Int32(out.count - made), nil, 0)
                guard rest >= 0 else { throw MediaError("libswresample failed flushing its filter") }
                made += Int(rest)
            }
        }
        // The flush may stop a sample short of ⌈n·r⌉ (the last output lies past the last input);
        // zero is what a band-limited signal that ends there gives.
        if made < wanted { return Array(output[0..<made]) + [Float](repeating: 0, count: wanted - made) }
        return Array(output[0..<wanted])
    }
}
