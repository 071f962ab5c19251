// Video files through libavformat/libavcodec/libswscale.
import CFFmpeg
import Foundation

final class VideoFileSource: FrameSource {
    let width = 0
    let height = 0
    let firstFrame = 0
    let frameCount = 0
    let frameRate = 0.0
    let pixelAspect = 1.0
    let sourceBitDepth = 8

    init(path: String, frameRateOverride: Double?) throws {
        throw VideoIOError("\(path): reading video files is not implemented yet (image sequences work)")
    }

    func frame(_ number: Int) throws -> RGBAImage { throw VideoIOError("video reading not implemented yet") }
}

final class VideoFileSink: FrameSink {
    init(path: String, width: Int, height: Int, frameRate: Double, pixelAspect: Double) throws {
        throw VideoIOError("\(path): writing video files is not implemented yet (image sequences work)")
    }
    func write(_ image: RGBAImage, frame number: Int) throws {}
    func finish(audioFile: String?) throws {}
}
