// OFXHost — the image effect suite (ofx-abi.md §4.2): property and parameter sets of effects, clip
// definition and lookup, images (fetched, tracked, released), abort and image memory.
import COpenFX
import Foundation
import UserMessages

private var rt: HostRuntime { HostRuntime.shared }

private func effect(_ h: OfxImageEffectHandle?, _ call: String) -> EffectObject? {
    rt.lookup(UnsafeRawPointer(h), as: EffectObject.self, call, "image effect")
}

private func clip(_ h: OfxImageClipHandle?, _ call: String) -> ClipObject? {
    rt.lookup(UnsafeRawPointer(h), as: ClipObject.self, call, "clip")
}

private func handle(_ object: AnyObject) -> OpaquePointer { OpaquePointer(rt.registry.handle(for: object)) }

/// Image memory from imageMemoryAlloc: a block and a lock count.
final class ImageMemoryObject {
    let pointer: UnsafeMutableRawPointer
    var locks = 0
    init(bytes: Int) { pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 16) }
    deinit { pointer.deallocate() }
}

/// The image of `clip` at `time`: the output image of the current render, or an input frame converted
/// to the clip's depth and components. nil when there is no frame there.
func fetchImage(_ c: ClipObject, time: Double) throws -> ImageObject? {
    guard let owner = c.effect else { return nil }
    if c.name == kOfxImageEffectOutputClipName { return owner.currentOutput }
    guard let frames = c.frames, c.props.int(kOfxImageClipPropConnected) == 1 else { return nil }
    guard let frame = try frames(Int(time.rounded(.down))) else { return nil }
    let image = ImageObject(
        label: "clip \(c.name) image", bounds: OfxRectI(x1: 0, y1: 0, x2: Int32(frame.width), y2: Int32(frame.height)),
        depth: PixelDepth(rawValue: c.props.string(kOfxImageEffectPropPixelDepth) ?? "") ?? .float,
        componentsName: c.props.string(kOfxImageEffectPropComponents) ?? kOfxImageComponentRGBA,
        premultiplication: c.props.string(kOfxImageEffectPropPreMultiplication) ?? kOfxImageUnPreMultiplied,
        layout: rt.imageLayout, time: time)
    image.fill(from: frame)
    return image
}

func makeImageEffectSuite() -> OfxImageEffectSuiteV1 {
    OfxImageEffectSuiteV1(
        getPropertySet: { h, out in
            guard let e = effect(h, "getPropertySet") else { return OfxStatus(kOfxStatErrBadHandle) }
            out?.pointee = handle(e.props)
            return OfxStatus(kOfxStatOK)
        },
        getParamSet: { h, out in
            guard let e = effect(h, "getParamSet") else { return OfxStatus(kOfxStatErrBadHandle) }
            out?.pointee = handle(e.paramSet)
            return OfxStatus(kOfxStatOK)
        },
        clipDefine: { h, name, out in
            guard let e = effect(h, "clipDefine") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard let name else { return rt.problem("clipDefine with a NULL name", kOfxStatErrValue) }
            let n = String(cString: name)
            let c = ClipObject(name: n, props: PropertyStore("clip \(n) descriptor", open: true))
            c.props.set(kOfxPropType, .string([kOfxTypeClip]), readOnly: true)
            c.props.set(kOfxPropName, .string([n]), readOnly: true)
            c.props.set(kOfxPropLabel, .string([n]))
            c.props.set(kOfxImageEffectPropSupportedComponents, .string([]))
            c.props.set(kOfxImageEffectPropTemporalClipAccess, .int([0]))
            c.props.set(kOfxImageClipPropOptional, .int([0]))
            c.props.set(kOfxImageClipPropIsMask, .int([0]))
            c.props.set(kOfxImageClipPropFieldExtraction, .string([kOfxImageFieldDoubled]))
            c.props.set(kOfxImageEffectPropSupportsTiles, .int([1]))
            c.effect = e
            guard e.add(c) else { return rt.problem("clipDefine: clip \(n) defined twice", kOfxStatErrExists) }
            out?.pointee = handle(c.props)
            return OfxStatus(kOfxStatOK)
        },
        clipGetHandle: { h, name, out, props in
            guard let e = effect(h, "clipGetHandle") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard let name, let c = e.clip(String(cString: name)) else { return OfxStatus(kOfxStatErrUnknown) }
            out?.pointee = handle(c)
            props?.pointee = handle(c.props)
            return OfxStatus(kOfxStatOK)
        },
        clipGetPropertySet: { h, out in
            guard let c = clip(h, "clipGetPropertySet") else { return OfxStatus(kOfxStatErrBadHandle) }
            out?.pointee = handle(c.props)
            return OfxStatus(kOfxStatOK)
        },
        clipGetImage: { h, time, _, out in
            guard let c = clip(h, "clipGetImage") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard let out else { return rt.problem("clipGetImage with a NULL image pointer", kOfxStatErrValue) }
            do {
                guard let image = try fetchImage(c, time: time) else { return OfxStatus(kOfxStatFailed) }
                image.effect = c.effect
                image.fetches += 1
                c.effect?.track(image)
                out.pointee = handle(image.props)
                return OfxStatus(kOfxStatOK)
            } catch {
                rt.diagnostics.message(HostMessage(type: kOfxMessageError, id: "host", text: UserMessage.text(error), persistent: false))
                return OfxStatus(kOfxStatFailed)
            }
        },
        clipReleaseImage: { h in
            guard let store = rt.registry.lookup(UnsafeRawPointer(h), as: PropertyStore.self),
                let image = store.owner as? ImageObject
            else { return rt.problem("clipReleaseImage called with a handle that is not an image") }
            guard image.fetches > 0 else { return rt.problem("clipReleaseImage called more often than clipGetImage") }
            rt.releaseImage(image)
            return OfxStatus(kOfxStatOK)
        },
        clipGetRegionOfDefinition: { h, _, out in
            guard let c = clip(h, "clipGetRegionOfDefinition") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard let out else { return rt.problem("clipGetRegionOfDefinition with a NULL rect", kOfxStatErrValue) }
            out.pointee = OfxRectD(x1: 0, y1: 0, x2: Double(c.size.width), y2: Double(c.size.height))
            return OfxStatus(kOfxStatOK)
        },
        abort: { h in
            _ = effect(h, "abort")
            return rt.abortRequested ? 1 : 0
        },
        imageMemoryAlloc: { _, bytes, out in
            guard let out else { return rt.problem("imageMemoryAlloc with a NULL handle pointer", kOfxStatErrValue) }
            out.pointee = handle(ImageMemoryObject(bytes: bytes))
            return OfxStatus(kOfxStatOK)
        },
        imageMemoryFree: { h in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: ImageMemoryObject.self) else {
                return rt.problem("imageMemoryFree called with an invalid memory handle")
            }
            rt.registry.remove(m)
            return OfxStatus(kOfxStatOK)
        },
        imageMemoryLock: { h, out in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: ImageMemoryObject.self) else {
                return rt.problem("imageMemoryLock called with an invalid memory handle")
            }
            m.locks += 1
            out?.pointee = m.pointer
            return OfxStatus(kOfxStatOK)
        },
        imageMemoryUnlock: { h in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: ImageMemoryObject.self) else {
                return rt.problem("imageMemoryUnlock called with an invalid memory handle")
            }
            m.locks = max(0, m.locks - 1)
            return OfxStatus(kOfxStatOK)
        })
}

extension HostRuntime {
    /// Balances one clipGetImage. When every fetch is released the handle becomes invalid; the
    /// output image of a render in progress stays alive (the session owns it).
    func releaseImage(_ image: ImageObject) {
        _ = image.effect?.untrack(image)
        image.fetches -= 1
        if image.fetches == 0 { registry.remove(image.props) }
    }
}
