// OFXHost — one render as a real host runs it: load, describe, describe in context, create instance,
// parameter changes, clip preferences, begin sequence, per frame RoD / RoI / frames needed / identity /
// render, end sequence, purge, destroy, unload (ofx-abi.md §10, §12).
import COpenFX
import Foundation
import UserMessages

/// The input clip of a render.
public struct ClipInput: Sendable {
    public var width: Int
    public var height: Int
    public var frames: ClosedRange<Int>
    public var frameRate: Double
    public var pixelAspect: Double
    public var provider: FrameProvider
    public init(width: Int, height: Int, frames: ClosedRange<Int>, frameRate: Double, pixelAspect: Double, provider: @escaping FrameProvider) {
        self.width = width
        self.height = height
        self.frames = frames
        self.frameRate = frameRate
        self.pixelAspect = pixelAspect
        self.provider = provider
    }
}

/// What to render.
public struct RenderRequest: Sendable {
    public var context: String?
    public var depth: PixelDepth?
    public var frames: ClosedRange<Int>?
    /// Parameter values by name, as text (`--set name=value`), applied in order.
    public var parameters: [(name: String, value: String)] = []
    public var layout = ImageLayoutOptions()
    public init(context: String? = nil, depth: PixelDepth? = nil, frames: ClosedRange<Int>? = nil,
                parameters: [(name: String, value: String)] = [], layout: ImageLayoutOptions = ImageLayoutOptions()) {
        self.context = context
        self.depth = depth
        self.frames = frames
        self.parameters = parameters
        self.layout = layout
    }
}

/// A created instance of a plugin, ready to render frames.
public final class RenderSession {
    public let plugin: LoadedPlugin
    public let descriptor: EffectObject
    public let context: String
    public let instance: EffectObject
    public let diagnostics: Diagnostics
    let input: ClipInput?
    let request: RenderRequest
    private var created = false
    private var closed = false
    var rt: HostRuntime { HostRuntime.shared }

    /// Short names of contexts for the command line.
    public static func contextName(_ short: String) -> String? {
        switch short.lowercased() {
        case "filter": kOfxImageEffectContextFilter
        case "general": kOfxImageEffectContextGeneral
        case "generator": kOfxImageEffectContextGenerator
        default: short.hasPrefix("OfxImageEffectContext") ? short : nil
        }
    }

    /// Loads and instantiates `plugin` for `input`; throws a HostError naming the failing step.
    public init(plugin: LoadedPlugin, input: ClipInput?, request: RenderRequest, diagnostics: Diagnostics = Diagnostics()) throws {
        self.plugin = plugin
        self.input = input
        self.request = request
        self.diagnostics = diagnostics
        HostRuntime.shared.diagnostics = diagnostics
        HostRuntime.shared.imageLayout = request.layout
        HostRuntime.shared.abortRequested = false
        try plugin.load()
        do {
            let base = try plugin.describe()
            let supported = base.props.strings(kOfxImageEffectPropSupportedContexts)
            let hostContexts = HostRuntime.shared.hostProperties.strings(kOfxImageEffectPropSupportedContexts)
            let usable = supported.filter(hostContexts.contains)
            if let wanted = request.context {
                guard usable.contains(wanted) else {
                    throw HostError("\(plugin.identifier) does not support the \(wanted) context (it supports: \(supported.joined(separator: ", ")))", status: .dataError)
                }
                context = wanted
            } else {
                // Natron's preference order: General before Filter before Generator.
                guard let c = [kOfxImageEffectContextGeneral, kOfxImageEffectContextFilter, kOfxImageEffectContextGenerator]
                    .first(where: usable.contains)
                else { throw HostError("\(plugin.identifier) supports no context this host has (it lists: \(supported))", status: .dataError) }
                context = c
            }
            descriptor = try plugin.describe(in: context, base: base)
            instance = EffectObject(label: "\(plugin.identifier) instance", open: false)
            instance.plugin = plugin
            try setUpInstance()
        } catch {
            plugin.unload()
            throw error
        }
    }

    deinit { close() }

    private func setUpInstance() throws {
        let p = instance.props
        let (w, h) = (Double(input?.width ?? 1920), Double(input?.height ?? 1080))
        p.set(kOfxPropType, .string([kOfxTypeImageEffectInstance]), readOnly: true)
        p.set(kOfxImageEffectPropContext, .string([context]), readOnly: true)
        p.set(kOfxPropInstanceData, .pointer([0]))
        p.set(kOfxImageEffectPropProjectSize, .double([w, h]), readOnly: true)
        p.set(kOfxImageEffectPropProjectOffset, .double([0, 0]), readOnly: true)
        p.set(kOfxImageEffectPropProjectExtent, .double([w, h]), readOnly: true)
        p.set(kOfxImageEffectPropProjectPixelAspectRatio, .double([input?.pixelAspect ?? 1]), readOnly: true)
        p.set(kOfxImageEffectInstancePropEffectDuration, .double([Double(input?.frames.count ?? 1)]), readOnly: true)
        p.set(kOfxImageEffectPropFrameRate, .double([input?.frameRate ?? 24]), readOnly: true)
        p.set(kOfxImageEffectInstancePropSequentialRender, .int(descriptor.props.ints(kOfxImageEffectInstancePropSequentialRender)))
        p.set(kOfxImageEffectPropSupportsTiles, .int(descriptor.props.ints(kOfxImageEffectPropSupportsTiles)))
        p.set(kOfxPropIsInteractive, .int([0]), readOnly: true)
        p.set(kOfxPluginPropFilePath, .string([plugin.binary.bundlePath]), readOnly: true)
        for name in [kOfxPropLabel, kOfxImageEffectPluginPropGrouping] {
            if let v = descriptor.props[name] { p.set(name, v, readOnly: true) }
        }
        // Parameters start at their defaults.
        for d in descriptor.paramSet.params {
            let param = ParamObject(name: d.name, type: d.type, props: PropertyStore("parameter \(d.name)", open: false))
            for name in d.props.names { if let v = d.props[name] { param.props.set(name, v) } }
            param.value = d.defaultValue
            _ = instance.paramSet.add(param)
        }
        // Clips: the Source-like inputs get the input frames; Output gets the same range.
        for d in descriptor.clips {
            let clip = ClipObject(name: d.name, props: PropertyStore("clip \(d.name)", open: false))
            for name in d.props.names { if let v = d.props[name] { clip.props.set(name, v, readOnly: true) } }
            clip.effect = instance
            let isOutput = d.name == kOfxImageEffectOutputClipName
            let connected = isOutput || (input != nil && !(d.props.int(kOfxImageClipPropIsMask) == 1))
            if !isOutput && connected { clip.frames = input?.provider }
            clip.size = (input?.width ?? 0, input?.height ?? 0)
            let range: [Double] = input.map { [Double($0.frames.lowerBound), Double($0.frames.upperBound)] } ?? [0, 0]
            clip.props.set(kOfxImageClipPropConnected, .int([connected ? 1 : 0]), readOnly: true)
            clip.props.set(kOfxImageEffectPropFrameRange, .double(range), readOnly: true)
            clip.props.set(kOfxImageEffectPropUnmappedFrameRange, .double(range), readOnly: true)
            clip.props.set(kOfxImageEffectPropFrameRate, .double([input?.frameRate ?? 24]), readOnly: true)
            clip.props.set(kOfxImageEffectPropUnmappedFrameRate, .double([input?.frameRate ?? 24]), readOnly: true)
            clip.props.set(kOfxImagePropPixelAspectRatio, .double([input?.pixelAspect ?? 1]), readOnly: true)
            clip.props.set(kOfxImageClipPropFieldOrder, .string([kOfxImageFieldNone]), readOnly: true)
            clip.props.set(kOfxImageClipPropContinuousSamples, .int([0]), readOnly: true)
            clip.props.set(kOfxImageEffectPropPreMultiplication, .string([kOfxImageUnPreMultiplied]), readOnly: true)
            clip.props.set(kOfxImageClipPropUnmappedPixelDepth, .string([kOfxBitDepthFloat]), readOnly: true)
            clip.props.set(kOfxImageClipPropUnmappedComponents, .string([kOfxImageComponentRGBA]), readOnly: true)
            _ = instance.add(clip)
        }
        let st = plugin.action(kOfxActionCreateInstance, instance)
        guard st == kOfxStatOK else {
            throw HostError("\(plugin.identifier): CreateInstance failed with status \(statusName(st))\(persistentText)")
        }
        created = true
        for (name, text) in request.parameters { try setParameter(name, text) }
    }

    private var persistentText: String { diagnostics.persistentError.map { ": \($0.text)" } ?? "" }

    /// Sets a parameter as a user would: value, then Begin/InstanceChanged/End with reason user edited.
    public func setParameter(_ name: String, _ text: String) throws {
        guard let p = instance.paramSet.param(name) else {
            let names = instance.paramSet.params.filter { $0.valueKind.count > 0 }.map(\.name)
            throw HostError("\(plugin.identifier) has no parameter '\(name)' (it has: \(names.joined(separator: ", ")))", status: .dataError)
        }
        if p.type != kOfxParamTypePushButton {
            let v = try p.parse(text)
            try p.checkRange(v)
            p.value = v
        }
        let reason = PropertyStore("instance changed arguments", open: false)
        reason.set(kOfxPropChangeReason, .string([kOfxChangeUserEdited]), readOnly: true)
        _ = plugin.action(kOfxActionBeginInstanceChanged, instance, reason)
        let args = PropertyStore("instance changed arguments", open: false)
        args.set(kOfxPropType, .string([kOfxTypeParameter]), readOnly: true)
        args.set(kOfxPropName, .string([name]), readOnly: true)
        args.set(kOfxPropChangeReason, .string([kOfxChangeUserEdited]), readOnly: true)
        args.set(kOfxPropTime, .double([Double(input?.frames.lowerBound ?? 0)]), readOnly: true)
        args.set(kOfxImageEffectPropRenderScale, .double([1, 1]), readOnly: true)
        let st = plugin.action(kOfxActionInstanceChanged, instance, args)
        let end = PropertyStore("instance changed arguments", open: false)
        end.set(kOfxPropChangeReason, .string([kOfxChangeUserEdited]), readOnly: true)
        _ = plugin.action(kOfxActionEndInstanceChanged, instance, end)
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else {
            throw HostError("\(plugin.identifier): InstanceChanged(\(name)) failed with status \(statusName(st))\(persistentText)")
        }
    }

    /// Destroys the instance and unloads the plugin (idempotent).
    public func close() {
        guard !closed else { return }
        closed = true
        if created {
            _ = plugin.action(kOfxActionPurgeCaches, instance)
            _ = plugin.action(kOfxActionDestroyInstance, instance)
            for clip in instance.clips { rt.registry.remove(clip); rt.registry.remove(clip.props) }
            for p in instance.paramSet.params { rt.registry.remove(p); rt.registry.remove(p.props) }
            rt.registry.remove(instance.paramSet)
            rt.registry.remove(instance.props)
            rt.registry.remove(instance)
        }
        plugin.unload()
    }
}
