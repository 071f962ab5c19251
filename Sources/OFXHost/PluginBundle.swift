// OFXHost — finding bundles on the search path, loading their binaries and driving a plugin's
// load / describe / unload actions (ofx-abi.md §1.3, §8).
import COpenFX
import Foundation
import UserMessages

/// Bundle discovery as HostSupport does it on Linux.
public enum PluginSearch {
    /// The folders a host searches: the given ones, then OFX_PLUGIN_PATH (split on ':' and ';'),
    /// then /usr/OFX/Plugins.
    public static func searchPath(extra: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let env = (environment["OFX_PLUGIN_PATH"] ?? "").split(whereSeparator: { $0 == ":" || $0 == ";" }).map(String.init)
        return extra + env + ["/usr/OFX/Plugins"]
    }

    /// Every `*.ofx.bundle` at or below `paths` (recursively), skipping names that start with '@'.
    public static func bundles(in paths: [String]) -> [String] {
        var found: [String] = []
        let fm = FileManager.default
        func visit(_ path: String, depth: Int) {
            let name = (path as NSString).lastPathComponent
            guard !name.hasPrefix("@"), depth < 16 else { return }
            if name.hasSuffix(".ofx.bundle") {
                found.append(path)
                return
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue,
                let entries = try? fm.contentsOfDirectory(atPath: path)
            else { return }
            for e in entries.sorted() { visit((path as NSString).appendingPathComponent(e), depth: depth + 1) }
        }
        for p in paths { visit(p, depth: 0) }
        var seen = Set<String>()
        return found.filter { seen.insert(($0 as NSString).standardizingPath).inserted }
    }
}

/// A loaded `.ofx` binary. Binaries are never unloaded: plugins (ours links a Swift runtime) may
/// keep threads or atexit handlers that must outlive any dlclose.
public final class PluginBinary: @unchecked Sendable {
    public let bundlePath: String
    public let binaryPath: String
    public private(set) var plugins: [LoadedPlugin] = []

    private typealias GetNumber = @convention(c) () -> Int32
    private typealias GetPlugin = @convention(c) (Int32) -> UnsafeMutablePointer<OfxPlugin>?

    /// Opens `bundle` (a `NAME.ofx.bundle` folder), resolves both entry points and lists its plugins.
    public init(bundle: String) throws {
        bundlePath = (bundle as NSString).standardizingPath
        let name = ((bundlePath as NSString).lastPathComponent as NSString).deletingPathExtension  // NAME.ofx
        binaryPath = "\(bundlePath)/Contents/Linux-x86-64/\(name)"
        guard FileManager.default.fileExists(atPath: binaryPath) else {
            throw HostError("\(bundlePath) is not an OpenFX bundle: \(binaryPath) does not exist", status: .noInput)
        }
        guard let lib = dlopen(binaryPath, RTLD_NOW | RTLD_LOCAL) else {
            throw HostError("cannot load \(binaryPath): \(String(cString: dlerror()))", status: .dataError)
        }
        guard let n = dlsym(lib, "OfxGetNumberOfPlugins"), let g = dlsym(lib, "OfxGetPlugin") else {
            throw HostError("\(binaryPath) does not export OfxGetNumberOfPlugins and OfxGetPlugin", status: .dataError)
        }
        let count = unsafeBitCast(n, to: GetNumber.self)()
        let get = unsafeBitCast(g, to: GetPlugin.self)
        guard count >= 0 && count < 10_000 else { throw HostError("\(binaryPath): OfxGetNumberOfPlugins returned \(count)") }
        for i in 0..<count {
            guard let p = get(i) else { throw HostError("\(binaryPath): OfxGetPlugin(\(i)) returned NULL") }
            plugins.append(try LoadedPlugin(binary: self, index: Int(i), raw: p))
        }
    }
}

/// One plugin of a binary, with its actions.
public final class LoadedPlugin: @unchecked Sendable {
    /// Strong: binaries live as long as the process (they are never dlclosed), so the cycle is harmless.
    public let binary: PluginBinary
    public let index: Int
    public let identifier: String
    public let api: String
    public let apiVersion: Int32
    public let version: (major: UInt32, minor: UInt32)
    let raw: UnsafeMutablePointer<OfxPlugin>
    private var loadCount = 0

    init(binary: PluginBinary, index: Int, raw: UnsafeMutablePointer<OfxPlugin>) throws {
        self.binary = binary
        self.index = index
        self.raw = raw
        guard let api = raw.pointee.pluginApi, let id = raw.pointee.pluginIdentifier else {
            throw HostError("\(binary.binaryPath): plugin \(index) has a NULL pluginApi or pluginIdentifier")
        }
        self.api = String(cString: api)
        identifier = String(cString: id)
        apiVersion = raw.pointee.apiVersion
        version = (raw.pointee.pluginVersionMajor, raw.pointee.pluginVersionMinor)
    }

    /// Whether this host can run it: an image effect of API version 1 (ofx-abi.md §1.2).
    public var isImageEffect: Bool { api == kOfxImageEffectPluginApi && apiVersion == kOfxImageEffectPluginApiVersion }

    /// Sends an action. The action string is a static C string the plugin may keep.
    func action(_ name: String, _ handle: AnyObject?, _ inArgs: PropertyStore? = nil, _ outArgs: PropertyStore? = nil) -> OfxStatus {
        guard let main = raw.pointee.mainEntry else { return OfxStatus(kOfxStatErrFatal) }
        let rt = HostRuntime.shared
        let h = handle.map { UnsafeRawPointer(rt.registry.handle(for: $0)) }
        let i = inArgs.map { OpaquePointer(rt.registry.handle(for: $0)) }
        let o = outArgs.map { OpaquePointer(rt.registry.handle(for: $0)) }
        defer {
            // Action argument sets live for one action only.
            if let inArgs { rt.registry.remove(inArgs) }
            if let outArgs { rt.registry.remove(outArgs) }
        }
        return main(ActionNames.get(name), h, i, o)
    }

    /// setHost then Load (once per plugin, as HostSupport does).
    public func load() throws {
        guard loadCount == 0 else {
            loadCount += 1
            return
        }
        guard isImageEffect else { throw HostError("\(identifier): unsupported API \(api) version \(apiVersion)") }
        raw.pointee.setHost?(HostRuntime.shared.hostStruct)
        let st = action(kOfxActionLoad, nil)
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else { throw HostError("\(identifier): Load failed with status \(statusName(st))") }
        loadCount = 1
    }

    public func unload() {
        guard loadCount > 0 else { return }
        loadCount -= 1
        if loadCount == 0 { _ = action(kOfxActionUnload, nil) }
    }

    /// Describe: the plugin fills a new descriptor.
    public func describe() throws -> EffectObject {
        let d = makeDescriptor(label: "\(identifier) descriptor")
        let st = action(kOfxActionDescribe, d)
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else { throw HostError("\(identifier): Describe failed with status \(statusName(st))") }
        return d
    }

    /// DescribeInContext: a descriptor for `context` holding the plugin's clips and parameters.
    public func describe(in context: String, base: EffectObject) throws -> EffectObject {
        let d = makeDescriptor(label: "\(identifier) descriptor in \(context)")
        for name in base.props.names { if let v = base.props[name] { d.props.set(name, v) } }
        d.props.set(kOfxImageEffectPropContext, .string([context]), readOnly: true)
        let args = PropertyStore("describe in context arguments", open: false)
        args.set(kOfxImageEffectPropContext, .string([context]), readOnly: true)
        let st = action(kOfxImageEffectActionDescribeInContext, d, args)
        guard st == kOfxStatOK || st == kOfxStatReplyDefault else {
            throw HostError("\(identifier): DescribeInContext(\(context)) failed with status \(statusName(st))")
        }
        return d
    }

    private func makeDescriptor(label: String) -> EffectObject {
        let d = EffectObject(label: label, open: true)
        let p = d.props
        p.set(kOfxPropType, .string([kOfxTypeImageEffect]), readOnly: true)
        p.set(kOfxPropLabel, .string([identifier]))
        p.set(kOfxPropShortLabel, .string([""]))
        p.set(kOfxPropLongLabel, .string([""]))
        p.set(kOfxPropVersion, .int([Int32(version.major), Int32(version.minor)]))
        p.set(kOfxPropVersionLabel, .string([""]))
        p.set(kOfxPropPluginDescription, .string([""]))
        p.set(kOfxImageEffectPropSupportedContexts, .string([]))
        p.set(kOfxImageEffectPluginPropGrouping, .string([""]))
        p.set(kOfxImageEffectPropSupportedPixelDepths, .string([]))
        p.set(kOfxImageEffectPluginRenderThreadSafety, .string([kOfxImageEffectRenderInstanceSafe]))
        p.set(kOfxImageEffectPluginPropHostFrameThreading, .int([1]))
        p.set(kOfxImageEffectPropSupportsMultiResolution, .int([1]))
        p.set(kOfxImageEffectPropSupportsTiles, .int([1]))
        p.set(kOfxImageEffectPropTemporalClipAccess, .int([0]))
        p.set(kOfxImageEffectPluginPropSingleInstance, .int([0]))
        p.set(kOfxImageEffectPropSupportsMultipleClipDepths, .int([0]))
        p.set(kOfxImageEffectPropSupportsMultipleClipPARs, .int([0]))
        p.set(kOfxImageEffectPluginPropFieldRenderTwiceAlways, .int([1]))
        p.set(kOfxImageEffectInstancePropSequentialRender, .int([0]))
        p.set(kOfxImageEffectPropClipPreferencesSlaveParam, .string([]))
        p.set(kOfxPluginPropFilePath, .string([binary.bundlePath]), readOnly: true)
        d.plugin = self
        return d
    }
}

/// Static C strings for action names: a plugin may compare them by pointer (it should not) or keep them.
enum ActionNames {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var table: [String: UnsafePointer<CChar>] = [:]
    static func get(_ s: String) -> UnsafePointer<CChar> {
        lock.withLock {
            if let p = table[s] { return p }
            let p = UnsafePointer(strdup(s)!)
            table[s] = p
            return p
        }
    }
}

/// The macro name of a status code, for messages.
public func statusName(_ s: OfxStatus) -> String {
    let names: [Int32: String] = [
        0: "kOfxStatOK", 1: "kOfxStatFailed", 2: "kOfxStatErrFatal", 3: "kOfxStatErrUnknown",
        4: "kOfxStatErrMissingHostFeature", 5: "kOfxStatErrUnsupported", 6: "kOfxStatErrExists", 7: "kOfxStatErrFormat",
        8: "kOfxStatErrMemory", 9: "kOfxStatErrBadHandle", 10: "kOfxStatErrBadIndex", 11: "kOfxStatErrValue",
        12: "kOfxStatReplyYes", 13: "kOfxStatReplyNo", 14: "kOfxStatReplyDefault", 1000: "kOfxStatErrImageFormat",
    ]
    return names[s] ?? "status \(s)"
}
