// Instance actions: clip preferences, frames needed, parameter changes and render. Render never
// pretends: when it cannot edit, it fails with a persistent message saying why and writes nothing.
import COpenFX
import Glibc
import Pipeline
import UserMessages

extension EffectInstance {
    var suites: HostSuites { get throws { try PluginHost.suites() } }

    func params(at time: OfxTime) throws -> ParamReader {
        let s = try suites
        var paramSet: OfxParamSetHandle? = nil
        try check(s.imageEffect.pointee.getParamSet(handle, &paramSet), "getParamSet")
        guard let paramSet else { throw PluginError.failed("host gave no parameter set") }
        return ParamReader(suites: s, paramSet: paramSet, time: time)
    }

    func clipProperties(_ name: String) throws -> PropertySet {
        let s = try suites
        var clip: OfxImageClipHandle? = nil
        var props: OfxPropertySetHandle? = nil
        try check(s.imageEffect.pointee.clipGetHandle(handle, CStrings.get(name), &clip, &props), "clipGetHandle \(name)")
        guard let props else { throw PluginError.failed("host gave no properties for clip \(name)") }
        return PropertySet(props, s.property)
    }

    /// The source clip's frame range, or nil when the host does not say.
    func sourceFrames() -> ClosedRange<Int>? {
        guard let c = try? clipProperties(kOfxImageEffectSimpleSourceClipName),
            let r = try? c.doubles(kOfxImageEffectPropFrameRange, count: 2), r[1] >= r[0]
        else { return nil }
        return Int(r[0].rounded(.down))...Int(r[1].rounded(.down))
    }

    /// The source clip's frame rate (25 when the host does not say).
    func sourceFrameRate() -> Double {
        guard let c = try? clipProperties(kOfxImageEffectSimpleSourceClipName),
            let r = try? c.double(kOfxImageEffectPropFrameRate), r.isFinite, r > 0
        else { return 25 }
        return r
    }

    /// Throws a message when the host cannot give other frames than the one rendered.
    func requireTemporalClipAccess() throws {
        let s = try suites
        guard (try? s.hostProperties.int(kOfxImageEffectPropTemporalClipAccess)) == 1 else {
            throw PluginError.failed(
                "this host does not let an effect read other frames than the one it renders (temporal clip access); \(definition.label) edits windows of frames together and cannot run here.")
        }
    }

    /// Shows `text` as a persistent error on the node (message suite V2), or as a one-off message.
    func reportError(_ text: String) { report(text, type: kOfxMessageError) }

    /// Shows `text` as a persistent message of `type` (error or warning), or a one-off message.
    /// The text travels as the format itself with '%' doubled (see COpenFX_message).
    func report(_ text: String, type: String) {
        if type == kOfxMessageError { lastWarning = nil }
        guard let s = try? suites else { return }
        let me = UnsafeMutableRawPointer(handle)
        let escaped = String(text.flatMap { $0 == "%" ? ["%", "%"] : [$0] })
        if let v2 = s.messageV2 {
            _ = COpenFX_setPersistentMessage(v2, me, CStrings.get(type), CStrings.get(definition.identifier), escaped)
        } else if let v1 = s.messageV1 {
            _ = COpenFX_message(v1, me, CStrings.get(type), CStrings.get(definition.identifier), escaped)
        }
    }

    func clearError() {
        lastWarning = nil
        guard let s = try? suites, let v2 = s.messageV2 else { return }
        _ = v2.pointee.clearPersistentMessage(UnsafeMutableRawPointer(handle))
    }
}

func clipPreferences(_ inst: EffectInstance, _ outArgs: OfxPropertySetHandle?) throws -> OfxStatus {
    guard let outArgs else { return OfxStatus(kOfxStatErrBadHandle) }
    let out = PropertySet(outArgs, try inst.suites.property)
    if inst.definition.frameVarying { try out.set(kOfxImageEffectFrameVarying, int: 1) }
    return OfxStatus(kOfxStatOK)
}

/// Reports the frames of every window containing `time`: the model edits a window of frames together.
func framesNeeded(_ inst: EffectInstance, _ inArgs: OfxPropertySetHandle?, _ outArgs: OfxPropertySetHandle?) throws -> OfxStatus {
    guard let inArgs, let outArgs else { return OfxStatus(kOfxStatErrBadHandle) }
    let s = try inst.suites
    let time = try PropertySet(inArgs, s.property).double(kOfxPropTime)
    guard let frames = inst.sourceFrames(),
        let plan = try inst.definition.plan(try inst.params(at: time), frames),
        let needed = plan.framesNeeded(for: Int(time.rounded(.down)))
    else { return OfxStatus(kOfxStatReplyDefault) }
    try PropertySet(outArgs, s.property).set(
        kOfxImageClipPropFrameRangePrefix + kOfxImageEffectSimpleSourceClipName,
        doubles: [Double(needed.lowerBound), Double(needed.upperBound)])
    return OfxStatus(kOfxStatOK)
}

func instanceChanged(_ inst: EffectInstance, _ inArgs: OfxPropertySetHandle?) throws -> OfxStatus {
    guard let inArgs else { return OfxStatus(kOfxStatErrBadHandle) }
    let args = PropertySet(inArgs, try inst.suites.property)
    guard (try? args.string(kOfxPropType)) == kOfxTypeParameter else { return OfxStatus(kOfxStatReplyDefault) }
    let param = try args.string(kOfxPropName)
    // A new file or model may fix what failed before: drop the stale message.
    if param != "clearCache" { inst.clearError() }
    if param == "clearCache" {
        let time = (try? args.double(kOfxPropTime)) ?? 0
        let p = try inst.params(at: time)
        if let store = try? CacheStore.shared(folder: try p.string("cacheFolder"), budgetMB: try p.int("cacheSizeMB")) {
            store.clear()
        }
    }
    return OfxStatus(kOfxStatOK)
}

/// Render: validate what the user gave, then the effect's render section. Every failure is a
/// persistent message on the node plus kOfxStatFailed; the output image is left untouched.
func render(_ inst: EffectInstance, _ inArgs: OfxPropertySetHandle?) -> OfxStatus {
    do {
        guard let inArgs else { return OfxStatus(kOfxStatErrBadHandle) }
        let s = try inst.suites
        let time = try PropertySet(inArgs, s.property).double(kOfxPropTime)
        let params = try inst.params(at: time)
        try inst.definition.validate(params)
        try inst.definition.render(inst, RenderRequest(time: time, params: params))
        // Success replaces an earlier error; a warning the render left stays up.
        if inst.lastWarning == nil { inst.clearError() }
        return OfxStatus(kOfxStatOK)
    } catch let e as ModelUnavailable {
        inst.reportError("\(inst.definition.label): \(e.message)")
        return OfxStatus(kOfxStatFailed)
    } catch PipelineError.aborted {
        // Not an error the user must read: the host asked to stop. The steps done are cached.
        return OfxStatus(kOfxStatFailed)
    } catch let e as PipelineError {
        inst.reportError("\(inst.definition.label): \(e.description)")
        return OfxStatus(kOfxStatFailed)
    } catch let e as PluginError {
        inst.reportError("\(inst.definition.label): \(e.message)")
        return e.status == kOfxStatOK ? OfxStatus(kOfxStatFailed) : e.status
    } catch {
        inst.reportError("\(inst.definition.label): \(UserMessage.text(error))")
        return OfxStatus(kOfxStatFailed)
    }
}

/// Names in a folder, or nil when it cannot be read.
func listFolder(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Throws a user-facing error unless `path` names a readable regular file.
func requireReadableFile(_ path: String, what: String) throws {
    var st = stat()
    guard stat(path, &st) == 0 else { throw PluginError.failed("\(what) '\(path)' does not exist.") }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw PluginError.failed("\(what) '\(path)' is not a file.") }
    guard access(path, R_OK) == 0 else { throw PluginError.failed("\(what) '\(path)' cannot be read (permission denied).") }
}
