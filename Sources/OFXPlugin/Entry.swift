// The OpenFX C entry points: the only @_cdecl functions of the plugin. Everything else is Swift.
import COpenFX

/// The effects this bundle registers, in OfxGetPlugin order.
let effects: [EffectDefinition] = [LipSync.definition, AVEdit.definition]

func setHostEntry(_ host: UnsafeMutablePointer<OfxHost>?) { PluginHost.setHost(host) }

func lipSyncMainEntry(
    _ action: UnsafePointer<CChar>?, _ handle: UnsafeRawPointer?, _ inArgs: OfxPropertySetHandle?,
    _ outArgs: OfxPropertySetHandle?
) -> OfxStatus { dispatch(effects[0], action, handle, inArgs, outArgs) }

func avEditMainEntry(
    _ action: UnsafePointer<CChar>?, _ handle: UnsafeRawPointer?, _ inArgs: OfxPropertySetHandle?,
    _ outArgs: OfxPropertySetHandle?
) -> OfxStatus { dispatch(effects[1], action, handle, inArgs, outArgs) }

/// The OfxPlugin structs, allocated once and never freed: hosts keep the pointers (ofx-abi.md §11).
nonisolated(unsafe) let pluginStructs: UnsafeMutablePointer<OfxPlugin> = {
    let p = UnsafeMutablePointer<OfxPlugin>.allocate(capacity: effects.count)
    for (i, e) in effects.enumerated() {
        (p + i).initialize(
            to: OfxPlugin(
                pluginApi: CStrings.get(kOfxImageEffectPluginApi),
                apiVersion: Int32(kOfxImageEffectPluginApiVersion),
                pluginIdentifier: CStrings.get(e.identifier),
                pluginVersionMajor: e.versionMajor, pluginVersionMinor: e.versionMinor,
                setHost: setHostEntry, mainEntry: nil))
    }
    p[0].mainEntry = lipSyncMainEntry
    p[1].mainEntry = avEditMainEntry
    return p
}()

@_cdecl("OfxGetNumberOfPlugins")
public func OfxGetNumberOfPlugins() -> Int32 { Int32(effects.count) }

@_cdecl("OfxGetPlugin")
public func OfxGetPlugin(_ nth: Int32) -> UnsafeMutablePointer<OfxPlugin>? {
    guard nth >= 0, Int(nth) < effects.count else { return nil }
    return pluginStructs + Int(nth)
}
