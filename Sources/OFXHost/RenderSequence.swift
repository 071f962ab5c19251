// OFXHost — the per-sequence and per-frame actions of a render.
import COpenFX
import Foundation
import UserMessages

extension RenderSession {
    /// The depth the output is rendered in: the requested one if the plugin supports it, else the
    /// deepest the plugin supports.
    var chosenDepth: PixelDepth {
        let supported = descriptor.props.strings(kOfxImageEffectPropSupportedPixelDepths).compactMap(PixelDepth.init(rawValue:))
        if let d = request.depth, supported.contains(d) { return d }
        return [PixelDepth.float, .short, .byte].first(where: supported.contains) ?? .float
    }

    /// GetClipPreferences with every default preset (ofx-abi.md §3.1); applies the plugin's answer.
    func clipPreferences() throws {
        let out = PropertyStore("clip preferences", open: false)
        let depth = request.depth.flatMap { d in chosenDepth == d ? d : nil } ?? chosenDepth
        for clip in instance.clips {
            let supported = clip.props.strings(kOfxImageEffectPropSupportedComponents)
            let comps = supported.contains(kOfxImageComponentRGBA) ? kOfxImageComponentRGBA : (supported.first ?? kOfxImageComponentRGBA)
            out.set(kOfxImageClipPropComponentsPrefix + clip.name, .string([comps]))
            out.set(kOfxImageClipPropDepthPrefix + clip.name, .string([depth.rawValue]))
            out.set(kOfxImageClipPropPARPrefix + clip.name, .double([input?.pixelAspect ?? 1]))
        }
        out.set(kOfxImageEffectPropFrameRate, .double([input?.frameRate ?? 24]))
        out.set(kOfxImageClipPropFieldOrder, .string([kOfxImageFieldNone]))
        out.set(kOfxImageEffectPropPreMultiplication, .string([kOfxImageUnPreMultiplied]))
        out.set(kOfxImageClipPropContinuousSamples, .int([0]))
        out.set(kOfxImageEffectFrameVarying, .int([0]))
        let st = plugin.action(kOfxImageEffectActionGetClipPreferences, instance, nil, out)
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else {
            throw HostError("\(plugin.identifier): GetClipPreferences failed with status \(statusName(st))")
        }
        for clip in instance.clips {
            let comps = out.string(kOfxImageClipPropComponentsPrefix + clip.name) ?? kOfxImageComponentRGBA
            let supported = clip.props.strings(kOfxImageEffectPropSupportedComponents)
            if !supported.isEmpty && !supported.contains(comps) {
                diagnostics.problem("GetClipPreferences chose components \(comps) for clip \(clip.name), which it does not support")
            }
            let d = out.string(kOfxImageClipPropDepthPrefix + clip.name) ?? depth.rawValue
            if PixelDepth(rawValue: d) == nil { diagnostics.problem("GetClipPreferences chose depth \(d), which this host does not have") }
            clip.props.set(kOfxImageEffectPropComponents, .string([comps]), readOnly: true)
            clip.props.set(kOfxImageEffectPropPixelDepth, .string([PixelDepth(rawValue: d)?.rawValue ?? depth.rawValue]), readOnly: true)
            if clip.name == kOfxImageEffectOutputClipName {
                clip.props.set(kOfxImageEffectPropPreMultiplication, .string([out.string(kOfxImageEffectPropPreMultiplication) ?? kOfxImageUnPreMultiplied]), readOnly: true)
            }
        }
    }

    private func frameArgs(_ time: Double) -> PropertyStore {
        let a = PropertyStore("action arguments", open: false)
        a.set(kOfxPropTime, .double([time]), readOnly: true)
        a.set(kOfxImageEffectPropRenderScale, .double([1, 1]), readOnly: true)
        return a
    }

    private func sequenceArgs(_ range: ClosedRange<Int>) -> PropertyStore {
        let a = PropertyStore("sequence arguments", open: false)
        a.set(kOfxImageEffectPropFrameRange, .double([Double(range.lowerBound), Double(range.upperBound)]), readOnly: true)
        a.set(kOfxImageEffectPropFrameStep, .double([1]), readOnly: true)
        a.set(kOfxPropIsInteractive, .int([0]), readOnly: true)
        a.set(kOfxImageEffectPropRenderScale, .double([1, 1]), readOnly: true)
        a.set(kOfxImageEffectPropSequentialRenderStatus, .int([1]), readOnly: true)
        a.set(kOfxImageEffectPropInteractiveRenderStatus, .int([0]), readOnly: true)
        return a
    }

    /// Renders `frames` (default: the input's range), handing each output frame to `sink` in order.
    /// Throws a HostError with the plugin's persistent message when a render fails or is aborted.
    public func render(frames wanted: ClosedRange<Int>? = nil, sink: (Int, FrameBuffer) throws -> Void) throws {
        let range = wanted ?? request.frames ?? input?.frames ?? 0...0
        if let input, !(input.frames.contains(range.lowerBound) && input.frames.contains(range.upperBound)) {
            throw HostError("frames \(range.lowerBound)-\(range.upperBound) are outside the input's \(input.frames.lowerBound)-\(input.frames.upperBound)", status: .dataError)
        }
        rt.timeBounds = (Double(range.lowerBound), Double(range.upperBound))
        try clipPreferences()
        let st = plugin.action(kOfxImageEffectActionBeginSequenceRender, instance, sequenceArgs(range))
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else {
            throw HostError("\(plugin.identifier): BeginSequenceRender failed with status \(statusName(st))\(persistentText)")
        }
        defer { _ = plugin.action(kOfxImageEffectActionEndSequenceRender, instance, sequenceArgs(range)) }
        for frame in range {
            if rt.abortRequested { throw HostError("render aborted at frame \(frame)", status: .interrupted) }
            rt.currentTime = Double(frame)
            try sink(frame, try renderFrame(frame))
            if rt.abortRequested { throw HostError("render aborted after frame \(frame)", status: .interrupted) }
        }
    }

    private var persistentText: String { diagnostics.persistentError.map { ": \($0.text)" } ?? "" }

    /// Checks images fetched during an action were released, and forgets them.
    private func checkReleased(_ action: String) {
        let leaked = instance.takeOutstanding()
        if !leaked.isEmpty {
            diagnostics.problem("\(action): the plugin did not release \(leaked.count) image(s) it fetched")
            for image in leaked {
                image.fetches = 0
                rt.registry.remove(image.props)
            }
        }
    }

    /// GetFramesNeeded for the first input clip, preset to (t, t): the ranges (min, max, …) the plugin
    /// needs to render `frame`. Malformed answers are reported as problems.
    public func framesNeeded(at frame: Int) throws -> [Double] {
        let time = Double(frame)
        let inputs = instance.clips.filter { $0.name != kOfxImageEffectOutputClipName }
        let out = PropertyStore("frames needed", open: false)
        for c in inputs { out.set(kOfxImageClipPropFrameRangePrefix + c.name, .double([time, time])) }
        let st = plugin.action(kOfxImageEffectActionGetFramesNeeded, instance, frameArgs(time), out)
        checkReleased("GetFramesNeeded")
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else {
            throw HostError("\(plugin.identifier): GetFramesNeeded failed at frame \(frame) with status \(statusName(st))")
        }
        var first: [Double] = []
        for c in inputs {
            let r = out.doubles(kOfxImageClipPropFrameRangePrefix + c.name)
            if r.count % 2 != 0 || Swift.stride(from: 0, to: r.count, by: 2).contains(where: { r[$0] > r[$0 + 1] }) {
                diagnostics.problem("GetFramesNeeded gave malformed ranges \(r) for clip \(c.name)")
            }
            if first.isEmpty { first = r }
        }
        return first
    }

    private func renderFrame(_ frame: Int) throws -> FrameBuffer {
        let time = Double(frame)
        let (w, h) = (input?.width ?? 0, input?.height ?? 0)

        // Region of definition, preset to the Source's.
        let rodOut = PropertyStore("RoD", open: false)
        rodOut.set(kOfxImageEffectPropRegionOfDefinition, .double([0, 0, Double(w), Double(h)]))
        var st = plugin.action(kOfxImageEffectActionGetRegionOfDefinition, instance, frameArgs(time), rodOut)
        checkReleased("GetRegionOfDefinition")
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else {
            throw HostError("\(plugin.identifier): GetRegionOfDefinition failed at frame \(frame) with status \(statusName(st))\(persistentText)")
        }
        let rod = rodOut.doubles(kOfxImageEffectPropRegionOfDefinition)
        let bounds = OfxRectI(x1: Int32(rod[0].rounded(.down)), y1: Int32(rod[1].rounded(.down)),
                              x2: Int32(rod[2].rounded(.up)), y2: Int32(rod[3].rounded(.up)))
        guard bounds.x2 > bounds.x1, bounds.y2 > bounds.y1, bounds.x2 - bounds.x1 <= 65536, bounds.y2 - bounds.y1 <= 65536 else {
            throw HostError("\(plugin.identifier): GetRegionOfDefinition gave an empty or absurd region \(rod)")
        }

        // Regions of interest, preset to the RoD for every input clip.
        let roiArgs = frameArgs(time)
        roiArgs.set(kOfxImageEffectPropRegionOfInterest, .double(rod), readOnly: true)
        let roiOut = PropertyStore("RoI", open: false)
        let inputs = instance.clips.filter { $0.name != kOfxImageEffectOutputClipName }
        for c in inputs { roiOut.set(kOfxImageClipPropRoIPrefix + c.name, .double(rod)) }
        st = plugin.action(kOfxImageEffectActionGetRegionsOfInterest, instance, roiArgs, roiOut)
        checkReleased("GetRegionsOfInterest")

        if descriptor.props.int(kOfxImageEffectPropTemporalClipAccess) == 1 { _ = try framesNeeded(at: frame) }

        let window = bounds
        let renderArgs = frameArgs(time)
        renderArgs.set(kOfxImageEffectPropFieldToRender, .string([kOfxImageFieldNone]), readOnly: true)
        renderArgs.set(kOfxImageEffectPropRenderWindow, .int([window.x1, window.y1, window.x2, window.y2]), readOnly: true)

        // Identity: the plugin may name a clip and time to pass through.
        let idOut = PropertyStore("is identity", open: false)
        idOut.set(kOfxPropName, .string([""]))
        idOut.set(kOfxPropTime, .double([time]))
        st = plugin.action(kOfxImageEffectActionIsIdentity, instance, renderArgs, idOut)
        checkReleased("IsIdentity")
        if st == kOfxStatOK {
            let name = idOut.string(kOfxPropName) ?? ""
            guard let clip = instance.clip(name), let provider = clip.frames else {
                throw HostError("\(plugin.identifier): IsIdentity named clip '\(name)', which has no frames")
            }
            let t = idOut.double(kOfxPropTime) ?? time
            guard let f = try provider(Int(t.rounded(.down))) else { throw HostError("no input frame at \(t) for identity") }
            return f
        }

        // Render into a guarded output image.
        let outClip = instance.clip(kOfxImageEffectOutputClipName)
        let output = ImageObject(
            label: "output image", bounds: bounds,
            depth: PixelDepth(rawValue: outClip?.props.string(kOfxImageEffectPropPixelDepth) ?? "") ?? chosenDepth,
            componentsName: outClip?.props.string(kOfxImageEffectPropComponents) ?? kOfxImageComponentRGBA,
            premultiplication: outClip?.props.string(kOfxImageEffectPropPreMultiplication) ?? kOfxImageUnPreMultiplied,
            layout: request.layout, time: time)
        renderArgs.set(kOfxImageEffectPropSequentialRenderStatus, .int([1]), readOnly: true)
        renderArgs.set(kOfxImageEffectPropInteractiveRenderStatus, .int([0]), readOnly: true)
        renderArgs.set(kOfxImageEffectPropRenderQualityDraft, .int([0]), readOnly: true)
        instance.currentOutput = output
        defer { instance.currentOutput = nil }
        st = plugin.action(kOfxImageEffectActionRender, instance, renderArgs)
        checkReleased("Render")
        if output.fetches > 0 { rt.registry.remove(output.props) }
        guard st == kOfxStatOK else {
            throw HostError("\(plugin.identifier): Render failed at frame \(frame) with status \(statusName(st))\(persistentText)")
        }
        for p in output.writesOutside(window: window) { diagnostics.problem("Render at frame \(frame): \(p)") }
        var result = FrameBuffer(width: w, height: h, pixels: [Float](repeating: 0, count: w * h * 4))
        output.copy(window: window, into: &result)
        return result
    }
}
