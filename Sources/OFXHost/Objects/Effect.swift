// OFXHost — effects (descriptors and instances) and their clips.
import COpenFX
import Foundation

/// Where a clip's frames come from: a frame number → the whole frame (nil = no frame there).
public typealias FrameProvider = @Sendable (Int) throws -> FrameBuffer?

/// A clip of a descriptor or instance.
public final class ClipObject: @unchecked Sendable {
    public let name: String
    public let props: PropertyStore
    /// Input frames (instances only); the output clip has none.
    var frames: FrameProvider?
    /// The effect the clip belongs to.
    weak var effect: EffectObject?
    /// The frame size in pixels, which is the clip's region of definition.
    var size: (width: Int, height: Int) = (0, 0)

    init(name: String, props: PropertyStore) {
        self.name = name
        self.props = props
    }
}

/// An effect descriptor (from Describe / DescribeInContext) or an effect instance.
public final class EffectObject: @unchecked Sendable {
    public let props: PropertyStore
    public let paramSet: ParamSetObject
    private let lock = NSLock()
    private var clipList: [ClipObject] = []
    /// Images the plugin fetched and has not released yet, with the action that fetched them.
    var outstandingImages: [ImageObject] = []
    /// The output image of the Render action in progress.
    var currentOutput: ImageObject?
    /// The plugin that owns this effect.
    var plugin: LoadedPlugin?

    init(label: String, open: Bool) {
        props = PropertyStore(label, open: open)
        paramSet = ParamSetObject(props: PropertyStore("\(label) parameter set", open: true))
    }

    public var clips: [ClipObject] { lock.withLock { clipList } }
    public func clip(_ name: String) -> ClipObject? { lock.withLock { clipList.first { $0.name == name } } }
    func add(_ clip: ClipObject) -> Bool {
        lock.withLock {
            if clipList.contains(where: { $0.name == clip.name }) { return false }
            clipList.append(clip)
            return true
        }
    }
    func track(_ image: ImageObject) { lock.withLock { outstandingImages.append(image) } }
    func untrack(_ image: ImageObject) -> Bool {
        lock.withLock {
            guard let i = outstandingImages.firstIndex(where: { $0 === image }) else { return false }
            outstandingImages.remove(at: i)
            return true
        }
    }
    func takeOutstanding() -> [ImageObject] {
        lock.withLock {
            defer { outstandingImages = [] }
            return outstandingImages
        }
    }
}
