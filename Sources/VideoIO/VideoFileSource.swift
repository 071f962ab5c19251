// Reading video files: libavformat demuxes, libavcodec decodes, FrameConversion (libswscale)
// turns each picture into RGBA floats. Frames are numbered in presentation order from 0.
import CFFmpeg
import Foundation
import UserMessages

/// A video file opened for random access. Frame n is the picture whose timestamp is n frame
/// periods after the stream's start (constant frame rate), or the n-th decoded picture when the
/// stream has no timestamps. Sequential reads decode forward; an earlier frame, or one more than
/// `seekDistance` ahead, seeks to the keyframe at or before it and decodes forward from there.
final class VideoFileSource: FrameSource {
    let width: Int
    let height: Int
    let firstFrame = 0
    let frameCount: Int
    let frameRate: Double
    let pixelAspect: Double
    let sourceBitDepth: Int

    private let path: String
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet = av_packet_alloc()
    private var picture = av_frame_alloc()
    private let streamIndex: Int32
    private let colorspace: Int32
    /// Index of the frame the decoder delivers next.
    private var nextIndex = 0
    private var draining = false
    private var lastFrame: (number: Int, image: RGBAImage)?
    /// Timestamp → frame number: the stream's start, time base and (container) frame rate.
    private let streamStart: Int64
    private let timeBase: Double
    private let indexRate: Double
    /// True once a picture without a timestamp was seen: frames are then counted from the start.
    private var countingOnly = false
    /// False right after a seek, until a decoded picture tells where the decoder is.
    private var positionKnown = true
    /// Pictures decoded so far (tests use it to see that jumps seek rather than decode through).
    private(set) var decodedPictures = 0
    /// Forward jumps longer than this seek instead of decoding every picture in between.
    static let seekDistance = 48

    init(path: String, frameRateOverride: Double?) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw VideoIOError("\(path): file not found", status: .noInput) }
        frameCount = try Self.countVideoPackets(path)
        try FF.check(avformat_open_input(&format, path, nil, nil), "opening (not a video file?)", path)
        try FF.check(avformat_find_stream_info(format, nil), "reading stream information", path)
        var codec: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        guard index >= 0, let codec else {
            avformat_close_input(&format)
            throw VideoIOError("\(path): has no decodable video stream")
        }
        streamIndex = index
        let stream = format!.pointee.streams[Int(index)]!
        decoder = avcodec_alloc_context3(codec)
        try FF.check(avcodec_parameters_to_context(decoder, stream.pointee.codecpar), "reading codec parameters", path)
        decoder!.pointee.thread_count = 0  // let libavcodec pick
        try FF.check(avcodec_open2(decoder, codec, nil), "opening the video decoder", path)
        let parameters = stream.pointee.codecpar.pointee
        width = Int(parameters.width)
        height = Int(parameters.height)
        guard width > 0, height > 0, frameCount > 0 else {
            throw VideoIOError("\(path): video stream has no pictures")
        }
        let rate =
            FF.double(stream.pointee.avg_frame_rate) > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        indexRate = FF.double(rate)
        frameRate = frameRateOverride ?? indexRate
        streamStart = stream.pointee.start_time == FF.noPTS ? 0 : stream.pointee.start_time
        timeBase = FF.double(stream.pointee.time_base)
        guard frameRate > 0 else { throw VideoIOError("\(path): the container does not state a frame rate") }
        let aspect = FF.double(av_guess_sample_aspect_ratio(format, stream, nil))
        pixelAspect = aspect > 0 ? aspect : 1
        let descriptor = av_pix_fmt_desc_get(AVPixelFormat(rawValue: parameters.format))
        sourceBitDepth = (descriptor.map { Int($0.pointee.comp.0.depth) } ?? 8) > 8 ? 16 : 8
        switch parameters.color_space {
        case AVCOL_SPC_BT709: colorspace = SWS_CS_ITU709
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: colorspace = SWS_CS_BT2020
        case AVCOL_SPC_FCC: colorspace = SWS_CS_FCC
        case AVCOL_SPC_SMPTE240M: colorspace = SWS_CS_SMPTE240M
        case AVCOL_SPC_BT470BG, AVCOL_SPC_SMPTE170M: colorspace = SWS_CS_ITU601
        // Untagged: the usual convention is BT.709 for HD and BT.601 for SD.
        default: colorspace = height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601
        }
    }

    deinit {
        av_packet_free(&packet)
        av_frame_free(&picture)
        avcodec_free_context(&decoder)
        avformat_close_input(&format)
    }

    func frame(_ number: Int) throws -> RGBAImage {
        guard number >= 0, number < frameCount else {
            throw VideoIOError("\(path): frame \(number) is outside 0...\(frameCount - 1)")
        }
        if let last = lastFrame, last.number == number { return last.image }
        if number < nextIndex || number > nextIndex + Self.seekDistance { try seek(to: number) }
        var restarted = false
        while true {
            guard try decodeNext() else {
                throw VideoIOError(
                    "\(path): frame \(number) cannot be decoded (the stream ends after \(nextIndex) frames)")
            }
            let index: Int
            if let stamped = timestampIndex(), !countingOnly {
                index = stamped
            } else {
                countingOnly = true
                guard positionKnown else {
                    // A seek without timestamps leaves the position unknown: count from the start.
                    try rewind()
                    continue
                }
                index = nextIndex
            }
            positionKnown = true
            nextIndex = index + 1
            if index == number { break }
            if index > number {
                // Landed past the target (irregular timestamps): decode from the start once.
                guard !restarted else {
                    throw VideoIOError("\(path): frame \(number) is missing from the stream (next is \(index))")
                }
                restarted = true
                countingOnly = true
                try rewind()
            }
        }
        let image = try FrameConversion.rgba(from: picture!, path: path, colorspace: colorspace).image
        av_frame_unref(picture)
        lastFrame = (number, image)
        return image
    }

    /// The frame number of the decoded picture from its timestamp, or nil without one.
    private func timestampIndex() -> Int? {
        let stamp = picture!.pointee.best_effort_timestamp
        guard stamp != FF.noPTS, timeBase > 0, indexRate > 0 else { return nil }
        return Int((Double(stamp - streamStart) * timeBase * indexRate).rounded())
    }

    /// Seeks to the keyframe at or before frame `number` (to the start when counting frames).
    private func seek(to number: Int) throws {
        guard !countingOnly, timeBase > 0, indexRate > 0 else { return try rewind() }
        let target = streamStart + Int64((Double(number) / indexRate / timeBase).rounded(.down))
        try FF.check(
            av_seek_frame(format, streamIndex, target, AVSEEK_FLAG_BACKWARD), "seeking to frame \(number)", path)
        avcodec_flush_buffers(decoder)
        draining = false
        positionKnown = false
        nextIndex = number
        lastFrame = nil
    }

    /// Decodes the next picture into `picture`; false at the end of the stream.
    private func decodeNext() throws -> Bool {
        av_frame_unref(picture)
        while true {
            let received = avcodec_receive_frame(decoder, picture)
            if received == 0 {
                decodedPictures += 1
                return true
            }
            if received == FF.eof { return false }
            if received != FF.again { try FF.check(received, "decoding video", path) }
            if draining { return false }
            let read = av_read_frame(format, packet)
            if read == FF.eof {
                draining = true
                try FF.check(avcodec_send_packet(decoder, nil), "flushing the video decoder", path)
                continue
            }
            try FF.check(read, "reading a packet", path)
            defer { av_packet_unref(packet) }
            if packet!.pointee.stream_index == streamIndex {
                let sent = avcodec_send_packet(decoder, packet)
                if sent < 0 && sent != FF.again { try FF.check(sent, "decoding video", path) }
            }
        }
    }

    private func rewind() throws {
        let stream = format!.pointee.streams[Int(streamIndex)]!
        let start = stream.pointee.start_time == FF.noPTS ? 0 : stream.pointee.start_time
        try FF.check(av_seek_frame(format, streamIndex, start, AVSEEK_FLAG_BACKWARD), "seeking to the start", path)
        avcodec_flush_buffers(decoder)
        draining = false
        nextIndex = 0
        positionKnown = true
        lastFrame = nil
    }

    /// The number of pictures: the container's count where it keeps an exact index (MP4/MOV
    /// sample tables), else the video stream's packets (one per picture) counted by demuxing
    /// without decoding (Matroska, AVI, …).
    private static func countVideoPackets(_ path: String) throws -> Int {
        var context: UnsafeMutablePointer<AVFormatContext>?
        try FF.check(avformat_open_input(&context, path, nil, nil), "opening (not a video file?)", path)
        defer { avformat_close_input(&context) }
        try FF.check(avformat_find_stream_info(context, nil), "reading stream information", path)
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0 else { throw VideoIOError("\(path): has no video stream") }
        let declared = context!.pointee.streams[Int(index)]!.pointee.nb_frames
        let formatName = String(cString: context!.pointee.iformat.pointee.name)
        if declared > 0 && formatName.contains("mp4") { return Int(declared) }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        var count = 0
        while av_read_frame(context, packet) >= 0 {
            if packet!.pointee.stream_index == index { count += 1 }
            av_packet_unref(packet)
        }
        return count
    }
}
