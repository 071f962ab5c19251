// Pipeline — a job's source frames as the host gives them: fetched on demand, checked (RGB, not empty, one
// size for the whole clip) and resized to the model's size. Shared by LipSync and AV Edit.
import Media

/// Fetches source frame `index` (planar RGB in [−1, 1], alpha optional) from the host or a file.
public typealias FrameFetch = (Int) throws -> PlanarImage

/// The checked source frames of one job.
final class SourceFrames {
    private let fetch: FrameFetch
    /// The effect's name, for messages.
    private let effect: String
    private var size: (height: Int, width: Int)?

    init(effect: String, fetch: @escaping FrameFetch) {
        self.effect = effect
        self.fetch = fetch
    }

    /// Frame `index` as the host gives it; refused when it is not colour, empty, or of another size than
    /// the frames before it.
    func frame(_ index: Int) throws -> PlanarImage {
        let image = try fetch(index)
        guard image.channels == 3 else {
            throw PipelineError.invalidInput("frame \(index) has \(image.channels) colour channel(s); \(effect) needs RGB or RGBA")
        }
        guard image.height > 0, image.width > 0 else { throw PipelineError.invalidInput("frame \(index) is empty") }
        if let size {
            guard size == (image.height, image.width) else {
                throw PipelineError.invalidInput(
                    "frame \(index) is \(image.width)×\(image.height) but earlier frames are \(size.width)×\(size.height): the frame size must not change within the clip")
            }
        } else {
            size = (image.height, image.width)
        }
        return image
    }

    /// Frame `index` at the model's size, `[3, height, width]`.
    func atModelSize(_ index: Int, height: Int, width: Int) throws -> [Float] {
        let image = try frame(index)
        return PlanarResize.resize(image.values, channels: 3, height: image.height, width: image.width, to: height, width)
    }
}
