// What every effect of the bundle shares: its static description (identity, parameters, clips) and
// the mapping of OpenFX actions onto it. Per-effect files only declare their constants, parameters
// and render; this file does the host calls.
import COpenFX
import Glibc
import Pipeline

/// The static description of one effect, as openfx-misc orders it: identity, capabilities, params.
struct EffectDefinition {
    let identifier: String
    let label: String
    let grouping = "OmniEdit"
    /// 1.0: a major bump means parameters were renamed or removed (saved projects break).
    let versionMajor: UInt32 = 1
    let versionMinor: UInt32 = 0
    let description: String
    /// Parameter groups and parameters, in UI order.
    let params: [ParamSpec]
    /// Audio-driven output changes every frame even with constant inputs.
    let frameVarying: Bool
    /// The model family the effect runs.
    let family: ModelFamily
    /// Window over the clip for a render at `time` (what GetFramesNeeded reports).
    let plan: (ParamReader, ClosedRange<Int>) throws -> WindowPlan?
    /// Checks what the user gave (files, ranges) before any heavy work; throws a user-facing message.
    let validate: (ParamReader) throws -> Void
    /// Renders the output frame at a time (after `validate`); throws a user-facing message.
    let render: (EffectInstance, RenderRequest) throws -> Void
}

/// What the host asked a Render action for.
struct RenderRequest {
    let time: Double
    let params: ParamReader
}

/// Per-instance state, kept in kOfxPropInstanceData.
final class EffectInstance {
    let definition: EffectDefinition
    let handle: OfxImageEffectHandle
    let context: String
    /// The last warning shown, so a note that holds for the whole clip is shown once, not per frame.
    var lastWarning: String?
    /// Window results reused within one sequence render (the host promises fixed inputs there).
    let sequenceMemo = WindowMemo()
    /// Whether a sequence render is in progress (between Begin and EndSequenceRender).
    var inSequence = false
    /// AV Edit: the frames rendered with the inputs named by `renderedKey`, and the inputs whose edited
    /// audio was last written (the audio is written once all of a clip's frames are rendered).
    var renderedFrames = Set<Int>()
    var renderedKey = ""
    var audioWrittenKey = ""
    init(definition: EffectDefinition, handle: OfxImageEffectHandle, context: String) {
        self.definition = definition
        self.handle = handle
        self.context = context
    }
}

/// Runs one action for `effect`; every error becomes a status (and a host message where the user
/// should see it). Unknown actions answer kOfxStatReplyDefault.
func dispatch(
    _ effect: EffectDefinition, _ action: UnsafePointer<CChar>?, _ handle: UnsafeRawPointer?,
    _ inArgs: OfxPropertySetHandle?, _ outArgs: OfxPropertySetHandle?
) -> OfxStatus {
    guard let action else { return OfxStatus(kOfxStatErrBadHandle) }
    let name = String(cString: action)
    do {
        switch name {
        case kOfxActionLoad:
            try PluginHost.load()
            return OfxStatus(kOfxStatOK)
        case kOfxActionUnload:
            PluginHost.unload()
            return OfxStatus(kOfxStatOK)
        case kOfxActionDescribe:
            try describe(effect, try effectHandle(handle))
            return OfxStatus(kOfxStatOK)
        case kOfxImageEffectActionDescribeInContext:
            try describeInContext(effect, try effectHandle(handle), inArgs)
            return OfxStatus(kOfxStatOK)
        case kOfxActionCreateInstance:
            try createInstance(effect, try effectHandle(handle))
            return OfxStatus(kOfxStatOK)
        case kOfxActionDestroyInstance:
            try destroyInstance(try effectHandle(handle))
            return OfxStatus(kOfxStatOK)
        case kOfxImageEffectActionGetClipPreferences:
            return try clipPreferences(try instance(handle), outArgs)
        case kOfxImageEffectActionGetFramesNeeded:
            return try framesNeeded(try instance(handle), inArgs, outArgs)
        case kOfxImageEffectActionRender:
            return render(try instance(handle), inArgs)
        case kOfxActionInstanceChanged:
            return try instanceChanged(try instance(handle), inArgs)
        case kOfxImageEffectActionIsIdentity:
            // Never an identity: an edit that happens to change nothing is still rendered.
            return OfxStatus(kOfxStatReplyDefault)
        case kOfxImageEffectActionBeginSequenceRender, kOfxImageEffectActionEndSequenceRender:
            let inst = try instance(handle)
            inst.sequenceMemo.clear()
            inst.inSequence = name == kOfxImageEffectActionBeginSequenceRender
            return OfxStatus(kOfxStatOK)
        case kOfxActionPurgeCaches:
            try instance(handle).sequenceMemo.clear()
            return OfxStatus(kOfxStatOK)
        case kOfxActionSyncPrivateData:
            _ = try instance(handle)
            return OfxStatus(kOfxStatOK)
        default:
            return OfxStatus(kOfxStatReplyDefault)
        }
    } catch let error as PluginError {
        return error.status
    } catch {
        return OfxStatus(kOfxStatFailed)
    }
}

private func effectHandle(_ raw: UnsafeRawPointer?) throws -> OfxImageEffectHandle {
    guard let raw else { throw PluginError(status: OfxStatus(kOfxStatErrBadHandle), message: "null effect handle") }
    return OpaquePointer(raw)
}

private func effectProperties(_ h: OfxImageEffectHandle) throws -> PropertySet {
    let s = try PluginHost.suites()
    var props: OfxPropertySetHandle? = nil
    try check(s.imageEffect.pointee.getPropertySet(h, &props), "getPropertySet")
    guard let props else { throw PluginError(status: OfxStatus(kOfxStatErrBadHandle), message: "no property set") }
    return PropertySet(props, s.property)
}

private func instance(_ raw: UnsafeRawPointer?) throws -> EffectInstance {
    let props = try effectProperties(try effectHandle(raw))
    guard let data = try props.pointer(kOfxPropInstanceData) else {
        throw PluginError(status: OfxStatus(kOfxStatErrBadHandle), message: "instance has no data (was CreateInstance sent?)")
    }
    return Unmanaged<EffectInstance>.fromOpaque(data).takeUnretainedValue()
}

private func describe(_ e: EffectDefinition, _ h: OfxImageEffectHandle) throws {
    let p = try effectProperties(h)
    try p.set(kOfxPropLabel, e.label)
    try p.set(kOfxPropShortLabel, e.label)
    try p.set(kOfxPropLongLabel, "OmniEdit \(e.label)")
    try p.set(kOfxPropPluginDescription, e.description)
    try p.set(kOfxPropVersion, ints: [Int32(e.versionMajor), Int32(e.versionMinor)])
    try p.set(kOfxPropVersionLabel, "\(e.versionMajor).\(e.versionMinor)")
    try p.set(kOfxImageEffectPluginPropGrouping, e.grouping)
    try p.set(kOfxImageEffectPropSupportedContexts, strings: [kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral])
    try p.set(kOfxImageEffectPropSupportedPixelDepths, strings: [kOfxBitDepthFloat, kOfxBitDepthShort, kOfxBitDepthByte])
    try p.set(kOfxImageEffectPropTemporalClipAccess, int: 1)
    try p.set(kOfxImageEffectInstancePropSequentialRender, int: 2)
    // One render per instance at a time; the plugin parallelises inside a render.
    try p.set(kOfxImageEffectPluginRenderThreadSafety, kOfxImageEffectRenderInstanceSafe)
    try p.set(kOfxImageEffectPluginPropHostFrameThreading, int: 0)
    try p.set(kOfxImageEffectPropSupportsTiles, int: 0)
    // The model sees whole frames at full resolution; a proxy render would be a different edit.
    try p.set(kOfxImageEffectPropSupportsMultiResolution, int: 0)
    try p.set(kOfxImageEffectPropSupportsMultipleClipDepths, int: 0)
    try p.set(kOfxImageEffectPluginPropSingleInstance, int: 0)
}

private func describeInContext(_ e: EffectDefinition, _ h: OfxImageEffectHandle, _ inArgs: OfxPropertySetHandle?) throws {
    let s = try PluginHost.suites()
    for clip in [kOfxImageEffectSimpleSourceClipName, kOfxImageEffectOutputClipName] {
        var props: OfxPropertySetHandle? = nil
        try check(s.imageEffect.pointee.clipDefine(h, CStrings.get(clip), &props), "clipDefine \(clip)")
        guard let props else { throw PluginError.failed("host gave no property set for clip \(clip)") }
        let c = PropertySet(props, s.property)
        try c.set(kOfxImageEffectPropSupportedComponents, strings: [kOfxImageComponentRGBA, kOfxImageComponentRGB])
        try c.set(kOfxImageEffectPropSupportsTiles, int: 0)
        if clip == kOfxImageEffectSimpleSourceClipName {
            try c.set(kOfxImageEffectPropTemporalClipAccess, int: 1)
            try c.set(kOfxImageClipPropOptional, int: 0)
        }
    }
    var paramSet: OfxParamSetHandle? = nil
    try check(s.imageEffect.pointee.getParamSet(h, &paramSet), "getParamSet")
    guard let paramSet else { throw PluginError.failed("host gave no parameter set") }
    try s.define(e.params, page: "pageControls", pageLabel: e.label, on: paramSet)
}

private func createInstance(_ e: EffectDefinition, _ h: OfxImageEffectHandle) throws {
    let p = try effectProperties(h)
    let context = (try? p.string(kOfxImageEffectPropContext)) ?? kOfxImageEffectContextFilter
    let inst = EffectInstance(definition: e, handle: h, context: context)
    try p.set(kOfxPropInstanceData, pointer: Unmanaged.passRetained(inst).toOpaque())
}

private func destroyInstance(_ h: OfxImageEffectHandle) throws {
    let p = try effectProperties(h)
    if let data = try p.pointer(kOfxPropInstanceData) {
        try p.set(kOfxPropInstanceData, pointer: nil)
        Unmanaged<EffectInstance>.fromOpaque(data).release()
    }
}
