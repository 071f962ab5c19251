// Writing video files. Pictures are encoded and written as they arrive, to a temporary file in
// the same folder (memory stays flat however long the render). `finish` closes it and, when an
// audio file is given, remuxes the video packets with the encoded audio into a second temporary
// file (the audio stream must be declared before a container's header, and is known only then).
// The finished file appears atomically by rename.
import CFFmpeg
import Foundation
import UserMessages

final class VideoFileSink: FrameSink {
    private let path: String
    private let temporaryPath: String
    private let width: Int
    private let height: Int
    private var output: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var scaler: OpaquePointer?
    private let videoStream: UnsafeMutablePointer<AVStream>
    private var packet = av_packet_alloc()
    private var firstNumber: Int?
    private var lastNumber: Int?
    private var finished = false

    init(path: String, width: Int, height: Int, frameRate: Double, pixelAspect: Double) throws {
        self.path = path
        self.width = width
        self.height = height
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw VideoIOError("\(path): output folder \(folder) does not exist", status: .cannotCreate)
        }
        temporaryPath =
            url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial.\(url.pathExtension)").path
        try FF.check(avformat_alloc_output_context2(&output, nil, nil, path), "choosing a container", path)
        let oformat = output!.pointee.oformat!.pointee
        let codec: UnsafePointer<AVCodec>?
        if ["mp4", "m4v", "mov", "mkv"].contains(url.pathExtension.lowercased()) {
            codec = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_MPEG4)
        } else {
            codec = avcodec_find_encoder(oformat.video_codec)
        }
        guard let codec else { throw VideoIOError("\(path): this libavcodec has no video encoder for the container") }
        let isX264 = String(cString: codec.pointee.name) == "libx264"
        let odd = width % 2 != 0 || height % 2 != 0
        if odd && !isX264 {
            throw VideoIOError(
                "\(path): \(String(cString: codec.pointee.name)) needs an even picture size, not \(width)x\(height)")
        }
        encoder = avcodec_alloc_context3(codec)
        let timeBase = av_inv_q(FF.rational(frameRate))
        let e = encoder!
        e.pointee.width = Int32(width)
        e.pointee.height = Int32(height)
        e.pointee.time_base = timeBase
        e.pointee.framerate = FF.rational(frameRate)
        e.pointee.pix_fmt = odd ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P
        e.pointee.sample_aspect_ratio = av_d2q(pixelAspect, 10_000)
        e.pointee.colorspace = AVCOL_SPC_BT709
        e.pointee.color_primaries = AVCOL_PRI_BT709
        e.pointee.color_trc = AVCOL_TRC_BT709
        e.pointee.color_range = AVCOL_RANGE_MPEG
        e.pointee.thread_count = 0
        // A keyframe every second keeps seeking (here and in editors) short.
        e.pointee.gop_size = Int32(max(1, frameRate.rounded()))
        if oformat.flags & AVFMT_GLOBALHEADER != 0 { e.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        if isX264 {
            av_dict_set(&options, "crf", "16", 0)
            av_dict_set(&options, "preset", "medium", 0)
        } else {
            e.pointee.flags |= AV_CODEC_FLAG_QSCALE
            e.pointee.global_quality = 2 * FF_QP2LAMBDA
        }
        try FF.check(
            avcodec_open2(e, codec, &options), "opening the \(String(cString: codec.pointee.name)) encoder", path)
        guard let stream = avformat_new_stream(output, nil) else {
            throw VideoIOError("\(path): cannot add a video stream")
        }
        videoStream = stream
        try FF.check(avcodec_parameters_from_context(stream.pointee.codecpar, e), "setting stream parameters", path)
        stream.pointee.time_base = timeBase
        stream.pointee.sample_aspect_ratio = e.pointee.sample_aspect_ratio
        stream.pointee.avg_frame_rate = e.pointee.framerate
        scaler = sws_getContext(
            Int32(width), Int32(height), AV_PIX_FMT_RGBA, Int32(width), Int32(height), e.pointee.pix_fmt,
            Int32(SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT), nil, nil, nil)
        guard let scaler else { throw VideoIOError("\(path): libswscale cannot convert RGBA to YUV") }
        let bt709 = sws_getCoefficients(SWS_CS_ITU709)
        _ = sws_setColorspaceDetails(scaler, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16)
        try RunOutputs.shared.creating {
            RunOutputs.shared.track(temporaryPath)
            try FF.check(avio_open(&output!.pointee.pb, temporaryPath, AVIO_FLAG_WRITE), "creating the file", path)
        }
        try FF.check(avformat_write_header(output, nil), "writing the header", path)
    }

    deinit {
        av_packet_free(&packet)
        sws_freeContext(scaler)
        avcodec_free_context(&encoder)
        if let output, output.pointee.pb != nil { avio_closep(&output.pointee.pb) }
        avformat_free_context(output)
        if !finished { try? FileManager.default.removeItem(atPath: temporaryPath) }
        RunOutputs.shared.untrack(temporaryPath)
    }

    func write(_ image: RGBAImage, frame number: Int) throws {
        guard !finished else { throw VideoIOError("\(path): already finished") }
        guard image.width == width, image.height == height else {
            throw VideoIOError(
                "\(path): frame \(number) is \(image.width)x\(image.height) but the video is \(width)x\(height)")
        }
        if let last = lastNumber, number <= last {
            throw VideoIOError("\(path): frame \(number) comes after frame \(last); video frames must increase")
        }
        var rgba = try FrameConversion.makeFrame(image, format: AV_PIX_FMT_RGBA, path: path)
        defer { av_frame_free(&rgba) }
        var yuv = av_frame_alloc()
        defer { av_frame_free(&yuv) }
        yuv!.pointee.width = Int32(width)
        yuv!.pointee.height = Int32(height)
        yuv!.pointee.format = encoder!.pointee.pix_fmt.rawValue
        try FF.check(av_frame_get_buffer(yuv, 0), "allocating a frame", path)
        withUnsafePointer(to: rgba!.pointee.data) { srcData in
            withUnsafePointer(to: rgba!.pointee.linesize) { srcStride in
                withUnsafeMutablePointer(to: &yuv!.pointee.data) { dstData in
                    withUnsafePointer(to: yuv!.pointee.linesize) { dstStride in
                        _ = sws_scale(
                            scaler,
                            UnsafeRawPointer(srcData).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                            UnsafeRawPointer(srcStride).assumingMemoryBound(to: Int32.self), 0, Int32(height),
                            UnsafeMutableRawPointer(dstData).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                            UnsafeRawPointer(dstStride).assumingMemoryBound(to: Int32.self))
                    }
                }
            }
        }
        let first = firstNumber ?? number
        firstNumber = first
        lastNumber = number
        yuv!.pointee.pts = Int64(number - first)
        try FF.check(avcodec_send_frame(encoder, yuv), "encoding frame \(number)", path)
        try writePackets()
    }

    func abandon() {
        guard !finished else { return }
        try? FileManager.default.removeItem(atPath: temporaryPath)
        RunOutputs.shared.untrack(temporaryPath)
    }

    func finish(audioFile: String?) throws {
        guard !finished else { throw VideoIOError("\(path): already finished") }
        guard lastNumber != nil else { throw VideoIOError("\(path): no frames were written") }
        try FF.check(avcodec_send_frame(encoder, nil), "flushing the encoder", path)
        try writePackets()
        try FF.check(av_write_trailer(output), "writing the trailer", path)
        avio_closep(&output!.pointee.pb)
        // Muxing and the rename hold RunOutputs' lock: a signal meanwhile waits, then removes both files.
        try RunOutputs.shared.creating {
            var finalSource = temporaryPath
            if let audioFile {
                let muxed = temporaryPath + ".audio." + URL(fileURLWithPath: path).pathExtension
                RunOutputs.shared.track(muxed)
                defer { RunOutputs.shared.untrack(muxed) }
                do {
                    try AudioTrack.mux(video: temporaryPath, audio: audioFile, into: muxed, formatOf: path)
                } catch {
                    try? FileManager.default.removeItem(atPath: muxed)
                    throw error
                }
                try? FileManager.default.removeItem(atPath: temporaryPath)
                finalSource = muxed
            }
            guard rename(finalSource, path) == 0 else {
                let code = errno
                try? FileManager.default.removeItem(atPath: finalSource)
                throw VideoIOError(
                    "\(path): cannot move the finished file into place (\(String(cString: strerror(code))))",
                    status: .cannotCreate)
            }
            RunOutputs.shared.untrack(temporaryPath)
            finished = true
        }
    }

    /// Writes every packet the encoder has ready to the (temporary) file.
    private func writePackets() throws {
        while true {
            let status = avcodec_receive_packet(encoder, packet)
            if status == FF.again || status == FF.eof { return }
            try FF.check(status, "encoding", path)
            av_packet_rescale_ts(packet, encoder!.pointee.time_base, videoStream.pointee.time_base)
            packet!.pointee.stream_index = videoStream.pointee.index
            // av_interleaved_write_frame takes the packet's data and leaves it blank.
            try FF.check(av_interleaved_write_frame(output, packet), "writing a packet", path)
        }
    }
}
