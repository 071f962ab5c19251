// The audio track of a written video: any file libavformat reads (WAV, FLAC, …) is decoded,
// converted with libswresample and encoded as AAC (FFmpeg's native encoder) for MP4/MOV/MKV, or
// the container's own default audio codec otherwise (e.g. Opus for WebM), whole, from time 0.
// Cutting the audio to the rendered span is the caller's job (Media's audio reader does it).
import CFFmpeg
import Foundation
import UserMessages

enum AudioTrack {
    /// Encoded packets (timestamps in `timeBase`) and the output stream they belong to.
    struct Encoded {
        var packets: [UnsafeMutablePointer<AVPacket>?] = []
        var timeBase = AVRational(num: 1, den: 1)
        var stream: UnsafeMutablePointer<AVStream>?

        mutating func release() {
            for i in packets.indices { av_packet_free(&packets[i]) }
            packets = []
        }
    }

    /// The encoder for `output`: AAC where the container takes it, else the container's default.
    private static func chooseEncoder(for output: UnsafeMutablePointer<AVFormatContext>) -> UnsafePointer<AVCodec>? {
        let format = output.pointee.oformat!
        if avformat_query_codec(format, AV_CODEC_ID_AAC, FF_COMPLIANCE_NORMAL) == 1,
            let aac = avcodec_find_encoder(AV_CODEC_ID_AAC)
        {
            return aac
        }
        return avcodec_find_encoder(format.pointee.audio_codec)
    }

    /// A rate the encoder accepts: the input's if listed (or if the encoder lists none), else
    /// 48 kHz if listed, else the encoder's first.
    private static func chooseRate(_ codec: UnsafePointer<AVCodec>, input: Int32) -> Int32 {
        guard let list = codec.pointee.supported_samplerates else { return input }
        var rates: [Int32] = []
        var i = 0
        while list[i] != 0 {
            rates.append(list[i])
            i += 1
        }
        if rates.isEmpty || rates.contains(input) { return input }
        return rates.contains(48000) ? 48000 : rates[0]
    }

    /// Decodes `audioPath`, adds an audio stream to `output` and returns its encoded packets.
    static func encode(_ audioPath: String, into output: UnsafeMutablePointer<AVFormatContext>, for videoPath: String)
        throws -> Encoded
    {
        let label = "\(videoPath): audio \(audioPath)"
        guard FileManager.default.fileExists(atPath: audioPath) else { throw VideoIOError("\(label): file not found", status: .noInput) }
        var input: UnsafeMutablePointer<AVFormatContext>?
        try FF.check(avformat_open_input(&input, audioPath, nil, nil), "opening (not an audio file?)", label)
        defer { avformat_close_input(&input) }
        try FF.check(avformat_find_stream_info(input, nil), "reading stream information", label)
        var decoderCodec: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(input, AVMEDIA_TYPE_AUDIO, -1, -1, &decoderCodec, 0)
        guard index >= 0, let decoderCodec else { throw VideoIOError("\(label): has no audio stream") }
        var decoder = avcodec_alloc_context3(decoderCodec)
        defer { avcodec_free_context(&decoder) }
        try FF.check(
            avcodec_parameters_to_context(decoder, input!.pointee.streams[Int(index)]!.pointee.codecpar),
            "reading codec parameters", label)
        try FF.check(avcodec_open2(decoder, decoderCodec, nil), "opening the audio decoder", label)
        guard decoder!.pointee.sample_rate > 0, decoder!.pointee.ch_layout.nb_channels > 0 else {
            throw VideoIOError("\(label): the audio stream states no sample rate or channels")
        }

        guard let codec = chooseEncoder(for: output) else {
            throw VideoIOError("\(label): this libavcodec has no audio encoder for the container")
        }
        var encoder = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&encoder) }
        let e = encoder!
        e.pointee.sample_rate = chooseRate(codec, input: decoder!.pointee.sample_rate)
        e.pointee.sample_fmt = codec.pointee.sample_fmts?.pointee ?? AV_SAMPLE_FMT_FLTP
        av_channel_layout_default(&e.pointee.ch_layout, decoder!.pointee.ch_layout.nb_channels >= 2 ? 2 : 1)
        e.pointee.bit_rate = 192_000
        e.pointee.time_base = AVRational(num: 1, den: e.pointee.sample_rate)
        if output.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            e.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        try FF.check(avcodec_open2(e, codec, nil), "opening the \(String(cString: codec.pointee.name)) encoder", label)
        guard let stream = avformat_new_stream(output, nil) else { throw VideoIOError("\(label): cannot add a stream") }
        try FF.check(avcodec_parameters_from_context(stream.pointee.codecpar, e), "setting stream parameters", label)
        stream.pointee.time_base = e.pointee.time_base

        // Configured from the first decoded frame: its layout can differ from the decoder's
        // (e.g. an unspecified mono layout becomes native mono), which libswresample refuses.
        var resampler: OpaquePointer?
        defer { swr_free(&resampler) }
        let channels = e.pointee.ch_layout.nb_channels
        let fifo = av_audio_fifo_alloc(e.pointee.sample_fmt, channels, 4096)
        defer { av_audio_fifo_free(fifo) }
        guard fifo != nil else { throw VideoIOError("\(label): out of memory") }
        let frameSize = e.pointee.frame_size > 0 ? e.pointee.frame_size : 1024

        var result = Encoded(timeBase: e.pointee.time_base, stream: stream)
        var written: Int64 = 0
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        var decoded = av_frame_alloc()
        defer { av_frame_free(&decoded) }
        var converted = av_frame_alloc()
        defer { av_frame_free(&converted) }

        func collect() throws {
            while true {
                var out = av_packet_alloc()
                let status = avcodec_receive_packet(e, out)
                if status == FF.again || status == FF.eof {
                    av_packet_free(&out)
                    return
                }
                if status < 0 {
                    av_packet_free(&out)
                    try FF.check(status, "encoding audio", label)
                }
                result.packets.append(out)
            }
        }
        // Encoders that need full frames get the last one padded with silence.
        let shortLastFrameOK =
            codec.pointee.capabilities & (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE) != 0
        /// Sends whole encoder frames from the FIFO (and, when `final`, the short remainder).
        func drainFIFO(final: Bool) throws {
            while av_audio_fifo_size(fifo) >= frameSize || (final && av_audio_fifo_size(fifo) > 0) {
                var chunk = av_frame_alloc()
                defer { av_frame_free(&chunk) }
                let available = min(frameSize, av_audio_fifo_size(fifo))
                chunk!.pointee.nb_samples = shortLastFrameOK ? available : frameSize
                chunk!.pointee.format = e.pointee.sample_fmt.rawValue
                chunk!.pointee.sample_rate = e.pointee.sample_rate
                try FF.check(av_channel_layout_copy(&chunk!.pointee.ch_layout, &e.pointee.ch_layout), "layout", label)
                try FF.check(av_frame_get_buffer(chunk, 0), "allocating audio", label)
                try FF.check(
                    av_samples_set_silence(
                        chunk!.pointee.extended_data, 0, chunk!.pointee.nb_samples, channels, e.pointee.sample_fmt),
                    "clearing audio", label)
                let planes = UnsafeMutableRawPointer(chunk!.pointee.extended_data!).assumingMemoryBound(
                    to: UnsafeMutableRawPointer?.self)
                _ = av_audio_fifo_read(fifo, planes, available)
                chunk!.pointee.pts = written
                written += Int64(chunk!.pointee.nb_samples)
                try FF.check(avcodec_send_frame(e, chunk), "encoding audio", label)
                try collect()
            }
        }
        /// Converts `source` (nil = flush the resampler) into the FIFO.
        func convert(_ source: UnsafeMutablePointer<AVFrame>?) throws {
            if resampler == nil {
                guard let source else { return }
                try FF.check(
                    swr_alloc_set_opts2(
                        &resampler, &e.pointee.ch_layout, e.pointee.sample_fmt, e.pointee.sample_rate,
                        &source.pointee.ch_layout, AVSampleFormat(rawValue: source.pointee.format),
                        source.pointee.sample_rate, 0, nil),
                    "configuring the resampler", label)
                try FF.check(swr_init(resampler), "configuring the resampler", label)
            }
            let inputCount = source?.pointee.nb_samples ?? 0
            let capacity = swr_get_out_samples(resampler, inputCount)
            guard capacity > 0 else { return }
            av_frame_unref(converted)
            converted!.pointee.format = e.pointee.sample_fmt.rawValue
            converted!.pointee.sample_rate = e.pointee.sample_rate
            converted!.pointee.nb_samples = capacity
            try FF.check(av_channel_layout_copy(&converted!.pointee.ch_layout, &e.pointee.ch_layout), "layout", label)
            try FF.check(av_frame_get_buffer(converted, 0), "allocating audio", label)
            let input = source.map {
                UnsafeMutableRawPointer($0.pointee.extended_data!).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
            }
            let made = try FF.check(
                swr_convert(resampler, converted!.pointee.extended_data, capacity, input, inputCount),
                "resampling audio", label)
            if made > 0 {
                let planes = UnsafeMutableRawPointer(converted!.pointee.extended_data!).assumingMemoryBound(
                    to: UnsafeMutableRawPointer?.self)
                guard av_audio_fifo_write(fifo, planes, made) == made else {
                    throw VideoIOError("\(label): out of memory buffering audio")
                }
            }
            try drainFIFO(final: false)
        }
        func receiveDecoded() throws {
            while true {
                let status = avcodec_receive_frame(decoder, decoded)
                if status == FF.again || status == FF.eof { return }
                try FF.check(status, "decoding audio", label)
                try convert(decoded)
                av_frame_unref(decoded)
            }
        }
        while true {
            let read = av_read_frame(input, packet)
            if read == FF.eof { break }
            try FF.check(read, "reading audio", label)
            if packet!.pointee.stream_index == index {
                try FF.check(avcodec_send_packet(decoder, packet), "decoding audio", label)
                try receiveDecoded()
            }
            av_packet_unref(packet)
        }
        try FF.check(avcodec_send_packet(decoder, nil), "flushing the audio decoder", label)
        try receiveDecoded()
        try convert(nil)
        try drainFIFO(final: true)
        try FF.check(avcodec_send_frame(e, nil), "flushing the audio encoder", label)
        try collect()
        guard written > 0 else { throw VideoIOError("\(label): holds no audio samples") }
        return result
    }

    /// Copies the video stream of `videoPath` (no re-encoding) and the encoded audio of
    /// `audioPath` into a new file `outputPath`, whose container is chosen from `finalPath`'s
    /// extension; packets are interleaved by time.
    static func mux(
        video videoPath: String, audio audioPath: String, into outputPath: String, formatOf finalPath: String
    )
        throws
    {
        var input: UnsafeMutablePointer<AVFormatContext>?
        try FF.check(avformat_open_input(&input, videoPath, nil, nil), "reopening the video", finalPath)
        defer { avformat_close_input(&input) }
        try FF.check(avformat_find_stream_info(input, nil), "reading stream information", finalPath)
        let videoIndex = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard videoIndex >= 0 else { throw VideoIOError("\(finalPath): the written video has no video stream") }
        let inStream = input!.pointee.streams[Int(videoIndex)]!

        var output: UnsafeMutablePointer<AVFormatContext>?
        try FF.check(avformat_alloc_output_context2(&output, nil, nil, finalPath), "choosing a container", finalPath)
        defer {
            if let output, output.pointee.pb != nil { avio_closep(&output.pointee.pb) }
            avformat_free_context(output)
        }
        guard let outVideo = avformat_new_stream(output, nil) else {
            throw VideoIOError("\(finalPath): cannot add a stream")
        }
        try FF.check(
            avcodec_parameters_copy(outVideo.pointee.codecpar, inStream.pointee.codecpar), "copying video", finalPath)
        outVideo.pointee.codecpar.pointee.codec_tag = 0
        outVideo.pointee.time_base = inStream.pointee.time_base
        outVideo.pointee.sample_aspect_ratio = inStream.pointee.sample_aspect_ratio
        outVideo.pointee.avg_frame_rate = inStream.pointee.avg_frame_rate
        outVideo.pointee.r_frame_rate = inStream.pointee.r_frame_rate
        var audio = try encode(audioPath, into: output!, for: finalPath)
        defer { audio.release() }
        try FF.check(avio_open(&output!.pointee.pb, outputPath, AVIO_FLAG_WRITE), "creating the file", finalPath)
        try FF.check(avformat_write_header(output, nil), "writing the header", finalPath)

        var video = av_packet_alloc()
        defer { av_packet_free(&video) }
        /// Reads the next video packet into `video`; false at the end of the file.
        func nextVideo() throws -> Bool {
            while true {
                let status = av_read_frame(input, video)
                if status == FF.eof { return false }
                try FF.check(status, "reading the video", finalPath)
                if video!.pointee.stream_index == videoIndex { return true }
                av_packet_unref(video)
            }
        }
        var haveVideo = try nextVideo()
        var a = 0
        while haveVideo || a < audio.packets.count {
            let takeVideo =
                haveVideo
                && (a == audio.packets.count
                    || av_compare_ts(
                        video!.pointee.dts, inStream.pointee.time_base, audio.packets[a]!.pointee.dts, audio.timeBase)
                        <= 0)
            if takeVideo {
                av_packet_rescale_ts(video, inStream.pointee.time_base, outVideo.pointee.time_base)
                video!.pointee.stream_index = outVideo.pointee.index
                video!.pointee.pos = -1
                try FF.check(av_interleaved_write_frame(output, video), "writing a packet", finalPath)
                haveVideo = try nextVideo()
            } else {
                let packet = audio.packets[a]!
                av_packet_rescale_ts(packet, audio.timeBase, audio.stream!.pointee.time_base)
                packet.pointee.stream_index = audio.stream!.pointee.index
                try FF.check(av_interleaved_write_frame(output, packet), "writing a packet", finalPath)
                a += 1
            }
        }
        try FF.check(av_write_trailer(output), "writing the trailer", finalPath)
    }
}
