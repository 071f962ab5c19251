// Images fetched from the host (clipGetImage / clipReleaseImage) and the progress and abort calls of a
// render: the only code that touches the host's pixels and progress bar.
import COpenFX
import Media
import UserMessages

/// An image the host lent us; `release()` exactly once.
struct FetchedImage {
    let props: OfxPropertySetHandle
    let image: HostImage
    let suites: HostSuites

    func release() { _ = suites.imageEffect.pointee.clipReleaseImage(props) }
}

extension EffectInstance {
    /// The image of clip `name` at `time`; throws a user-facing error when the host gives none.
    func fetchImage(_ name: String, at time: Double) throws -> FetchedImage {
        let s = try suites
        var clip: OfxImageClipHandle? = nil
        try check(s.imageEffect.pointee.clipGetHandle(handle, CStrings.get(name), &clip, nil), "clipGetHandle \(name)")
        var props: OfxPropertySetHandle? = nil
        let status = s.imageEffect.pointee.clipGetImage(clip, time, nil, &props)
        guard status == kOfxStatOK, let props else {
            throw PluginError.failed("the host gave no \(name) image at frame \(Int(time)) (status \(status)).")
        }
        do {
            return FetchedImage(props: props, image: try hostImage(PropertySet(props, s.property)), suites: s)
        } catch {
            _ = s.imageEffect.pointee.clipReleaseImage(props)
            throw error
        }
    }

    /// The source frame `frame` as planar floats, fetched, converted and released.
    func sourcePlanar(_ frame: Int) throws -> PlanarImage {
        let fetched = try fetchImage(kOfxImageEffectSimpleSourceClipName, at: Double(frame))
        defer { fetched.release() }
        return try PixelConversion().read(fetched.image, window: fetched.image.bounds)
    }

    /// The host's abort flag (checked between model calls).
    var abortRequested: Bool { ((try? suites)?.imageEffect.pointee.abort(handle) ?? 0) != 0 }

    /// Runs `body` inside the host's progress bar (V2, else V1, else none); `body` gets the update call.
    func withProgress<T>(_ label: String, _ body: (_ update: @escaping (Double) -> Void) throws -> T) rethrows -> T {
        let s = try? suites
        let me = UnsafeMutableRawPointer(handle)
        if let v2 = s?.progressV2 {
            _ = v2.pointee.progressStart(me, CStrings.get(label), CStrings.get(definition.identifier))
            defer { _ = v2.pointee.progressEnd(me) }
            return try body { _ = v2.pointee.progressUpdate(me, $0) }
        }
        if let v1 = s?.progressV1 {
            _ = v1.pointee.progressStart(me, CStrings.get(label))
            defer { _ = v1.pointee.progressEnd(me) }
            return try body { _ = v1.pointee.progressUpdate(me, $0) }
        }
        return try body { _ in }
    }
}

/// The pixels an image property set describes.
func hostImage(_ p: PropertySet) throws -> HostImage {
    guard let data = try p.pointer(kOfxImagePropData) else { throw PluginError.failed("the host image has no pixel data") }
    let b = try p.ints(kOfxImagePropBounds, count: 4)
    let depth: PixelDepth
    switch try p.string(kOfxImageEffectPropPixelDepth) {
    case kOfxBitDepthByte: depth = .byte
    case kOfxBitDepthShort: depth = .short
    case kOfxBitDepthHalf: depth = .half
    case kOfxBitDepthFloat: depth = .float
    case let other: throw PluginError.failed("unsupported pixel depth '\(other)'")
    }
    let components: PixelComponents
    switch try p.string(kOfxImageEffectPropComponents) {
    case kOfxImageComponentRGBA: components = .rgba
    case kOfxImageComponentRGB: components = .rgb
    case kOfxImageComponentAlpha: components = .alpha
    case let other: throw PluginError.failed("unsupported pixel components '\(other)'")
    }
    let premultiplication: Premultiplication
    switch (try? p.string(kOfxImageEffectPropPreMultiplication)) ?? kOfxImageOpaque {
    case kOfxImagePreMultiplied: premultiplication = .premultiplied
    case kOfxImageUnPreMultiplied: premultiplication = .unpremultiplied
    default: premultiplication = .opaque
    }
    do {
        return try HostImage(
            data: data, bounds: PixelRect(x1: Int(b[0]), y1: Int(b[1]), x2: Int(b[2]), y2: Int(b[3])),
            rowBytes: Int(try p.int(kOfxImagePropRowBytes)), depth: depth, components: components,
            premultiplication: premultiplication)
    } catch {
        throw PluginError.failed("the host image is malformed: \(UserMessage.text(error))")
    }
}
