// The host's suites, fetched once at Load. Suite pointers stay valid while the binary is loaded
// (ofx-abi.md §4); both effects of the bundle share them.
import COpenFX
import Glibc

/// The suites the plugin uses. Message V2, progress and timeline are optional: hosts without them
/// still render, they just lose persistent messages or the progress bar.
struct HostSuites {
    let host: UnsafeMutablePointer<OfxHost>
    let property: UnsafePointer<OfxPropertySuiteV1>
    let imageEffect: UnsafePointer<OfxImageEffectSuiteV1>
    let parameter: UnsafePointer<OfxParameterSuiteV1>
    let messageV1: UnsafePointer<OfxMessageSuiteV1>?
    let messageV2: UnsafePointer<OfxMessageSuiteV2>?
    let progressV1: UnsafePointer<OfxProgressSuiteV1>?
    let progressV2: UnsafePointer<OfxProgressSuiteV2>?

    /// Fetches every suite; throws kOfxStatErrMissingHostFeature when a required one is absent.
    init(host: UnsafeMutablePointer<OfxHost>) throws {
        self.host = host
        func fetch<T>(_ name: String, _ version: Int32, as: T.Type) -> UnsafePointer<T>? {
            guard let fetchSuite = host.pointee.fetchSuite,
                let raw = fetchSuite(host.pointee.host, CStrings.get(name), version)
            else { return nil }
            return raw.assumingMemoryBound(to: T.self)
        }
        guard let property = fetch(kOfxPropertySuite, 1, as: OfxPropertySuiteV1.self),
            let imageEffect = fetch(kOfxImageEffectSuite, 1, as: OfxImageEffectSuiteV1.self),
            let parameter = fetch(kOfxParameterSuite, 1, as: OfxParameterSuiteV1.self)
        else {
            throw PluginError(
                status: OfxStatus(kOfxStatErrMissingHostFeature),
                message: "the host lacks the property, image effect or parameter suite")
        }
        self.property = property
        self.imageEffect = imageEffect
        self.parameter = parameter
        messageV2 = fetch(kOfxMessageSuite, 2, as: OfxMessageSuiteV2.self)
        messageV1 = fetch(kOfxMessageSuite, 1, as: OfxMessageSuiteV1.self)
        progressV2 = fetch(kOfxProgressSuite, 2, as: OfxProgressSuiteV2.self)
        progressV1 = fetch(kOfxProgressSuite, 1, as: OfxProgressSuiteV1.self)
    }

    /// The host's descriptor property set.
    var hostProperties: PropertySet { PropertySet(host.pointee.host, property) }
}

/// Process-wide plugin state: the host pointer given by setHost and the suites fetched at Load.
/// setHost/Load/Unload run once per effect and may repeat (ofx-abi.md §1.3), so Load is counted.
enum PluginHost {
    private static let lock = Mutex()
    nonisolated(unsafe) private static var hostPointer: UnsafeMutablePointer<OfxHost>?
    nonisolated(unsafe) private static var loadCount = 0
    nonisolated(unsafe) private static var cached: HostSuites?

    static func setHost(_ host: UnsafeMutablePointer<OfxHost>?) { lock.locked { hostPointer = host } }

    static func load() throws {
        try lock.locked {
            guard let host = hostPointer else { throw PluginError.failed("Load before setHost") }
            if cached == nil || cached!.host != host { cached = try HostSuites(host: host) }
            loadCount += 1
        }
    }

    static func unload() {
        lock.locked {
            loadCount = max(0, loadCount - 1)
            if loadCount == 0 { cached = nil }
        }
    }

    /// The suites; throws if an action arrives before Load (a host bug we report, not crash on).
    static func suites() throws -> HostSuites {
        try lock.locked {
            guard let s = cached else { throw PluginError.failed("action sent before Load") }
            return s
        }
    }
}

extension PluginHost {
    /// `Contents/Resources` of the bundle this binary was loaded from, found from the binary's own
    /// path (dladdr), so it works whatever the host reports in OfxPluginPropFilePath.
    static var bundleResources: String? {
        // The C entry point stored in our OfxPlugin struct is code inside this binary.
        guard let anchor = unsafeBitCast(pluginStructs[0].mainEntry, to: UnsafeRawPointer?.self),
            let fname = COpenFX_binaryPath(anchor)
        else { return nil }
        var path = String(cString: fname)
        // <bundle>/Contents/<arch>/<name>.ofx → <bundle>/Contents/Resources
        for _ in 0..<2 {
            guard let slash = path.lastIndex(of: "/") else { return nil }
            path = String(path[..<slash])
        }
        return path + "/Resources"
    }
}
