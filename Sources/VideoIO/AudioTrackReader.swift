// Reading the audio track of a video file (AV Edit edits a clip's own sound): decoded with libavcodec
// and converted to interleaved f32 at the stream's own rate, at most 2 channels (more are downmixed).
import CFFmpeg
import Foundation
import UserMessages

/// A decoded audio track: interleaved f32 samples.
public struct DecodedAudio: Sendable {
    public var sampleRate: Int
    public var channels: Int
    /// `frames × channels` values, interleaved.
    public var samples: [Float]
}

/// The first audio stream of `path` decoded whole, or nil when the file has no audio stream.
/// Throws `VideoIOError` when the file cannot be opened or the stream cannot be decoded; refuses
/// tracks longer than `maxSeconds` before holding them in memory.
public func readAudioTrack(_ path: String, maxSeconds: Double = 4 * 3600) throws -> DecodedAudio? {
    FFmpegLog.quiet()
    guard FileManager.default.fileExists(atPath: path) else { throw VideoIOError("\(path): file not found", status: .noInput) }
    var input: UnsafeMutablePointer<AVFormatContext>?
    try FF.check(avformat_open_input(&input, path, nil, nil), "opening", path)
    defer { avformat_close_input(&input) }
    try FF.check(avformat_find_stream_info(input, nil), "reading stream information", path)
    var codec: UnsafePointer<AVCodec>?
    let index = av_find_best_stream(input, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0)
    guard index >= 0, let codec else { return nil }
    var decoder = avcodec_alloc_context3(codec)
    defer { avcodec_free_context(&decoder) }
    try FF.check(
        avcodec_parameters_to_context(decoder, input!.pointee.streams[Int(index)]!.pointee.codecpar),
        "reading audio codec parameters", path)
    try FF.check(avcodec_open2(decoder, codec, nil), "opening the audio decoder", path)
    let rate = decoder!.pointee.sample_rate
    guard rate > 0, rate <= 768_000, decoder!.pointee.ch_layout.nb_channels > 0 else {
        throw VideoIOError("\(path): the audio stream states no usable sample rate or channel count")
    }
    let channels: Int32 = decoder!.pointee.ch_layout.nb_channels >= 2 ? 2 : 1
    var layout = AVChannelLayout()
    av_channel_layout_default(&layout, channels)
    defer { av_channel_layout_uninit(&layout) }
    let limit = Int(maxSeconds * Double(rate)) * Int(channels)

    var resampler: OpaquePointer?
    defer { swr_free(&resampler) }
    var samples: [Float] = []
    var packet = av_packet_alloc()
    defer { av_packet_free(&packet) }
    var frame = av_frame_alloc()
    defer { av_frame_free(&frame) }

    func convert(_ source: UnsafeMutablePointer<AVFrame>?) throws {
        if resampler == nil {
            guard let source else { return }
            try FF.check(
                swr_alloc_set_opts2(
                    &resampler, &layout, AV_SAMPLE_FMT_FLT, rate, &source.pointee.ch_layout,
                    AVSampleFormat(rawValue: source.pointee.format), source.pointee.sample_rate, 0, nil),
                "configuring the audio converter", path)
            try FF.check(swr_init(resampler), "configuring the audio converter", path)
        }
        let count = source?.pointee.nb_samples ?? 0
        let capacity = swr_get_out_samples(resampler, count)
        guard capacity > 0 else { return }
        var out = [Float](repeating: 0, count: Int(capacity) * Int(channels))
        let made = try out.withUnsafeMutableBytes { raw -> Int32 in
            var plane: UnsafeMutablePointer<UInt8>? = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let input = source.map {
                UnsafeMutableRawPointer($0.pointee.extended_data!).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
            }
            return try FF.check(swr_convert(resampler, &plane, capacity, input, count), "converting audio", path)
        }
        samples += out.prefix(Int(made) * Int(channels))
        guard samples.count <= limit else {
            throw VideoIOError("\(path): the audio track is longer than \(Int(maxSeconds)) s; refusing to hold it in memory")
        }
    }
    func receive() throws {
        while true {
            let status = avcodec_receive_frame(decoder, frame)
            if status == FF.again || status == FF.eof { return }
            try FF.check(status, "decoding audio", path)
            try convert(frame)
            av_frame_unref(frame)
        }
    }
    while true {
        let status = av_read_frame(input, packet)
        if status == FF.eof { break }
        try FF.check(status, "reading audio", path)
        if packet!.pointee.stream_index == index {
            try FF.check(avcodec_send_packet(decoder, packet), "decoding audio", path)
            try receive()
        }
        av_packet_unref(packet)
    }
    try FF.check(avcodec_send_packet(decoder, nil), "flushing the audio decoder", path)
    try receive()
    try convert(nil)
    guard !samples.isEmpty else { return nil }
    return DecodedAudio(sampleRate: Int(rate), channels: Int(channels), samples: samples)
}
