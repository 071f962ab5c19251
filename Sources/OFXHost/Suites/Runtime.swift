// OFXHost — the process-wide host runtime the C suite entries reach: live handles, the diagnostics of
// the running session, abort and progress state, and the suite tables handed out by fetchSuite.
import COFXHostShim
import COpenFX
import Foundation

/// Callbacks of the session that is running a plugin (the CLI draws a progress bar from these).
public struct ProgressHandler: Sendable {
    public var start: @Sendable (String) -> Void = { _ in }
    public var update: @Sendable (Double) -> Void = { _ in }
    public var end: @Sendable () -> Void = {}
    public init(start: @escaping @Sendable (String) -> Void = { _ in }, update: @escaping @Sendable (Double) -> Void = { _ in },
                end: @escaping @Sendable () -> Void = {}) {
        self.start = start
        self.update = update
        self.end = end
    }
}

final class HostRuntime: @unchecked Sendable {
    static let shared = HostRuntime()

    let registry = HandleRegistry()
    private let lock = NSLock()
    private var _diagnostics = Diagnostics()
    private var _progress = ProgressHandler()
    private var _abort = false
    var imageLayout = ImageLayoutOptions()
    /// Frame range the timeline suite reports.
    var timeBounds: (Double, Double) = (0, 0)
    var currentTime: Double = 0

    var diagnostics: Diagnostics {
        get { lock.withLock { _diagnostics } }
        set { lock.withLock { _diagnostics = newValue } }
    }
    var progress: ProgressHandler {
        get { lock.withLock { _progress } }
        set { lock.withLock { _progress = newValue } }
    }
    /// Set by Ctrl-C (or a test) to ask the plugin to stop; read through the abort entry.
    var abortRequested: Bool {
        get { lock.withLock { _abort } }
        set { lock.withLock { _abort = newValue } }
    }

    /// The live object of type `T` behind a handle a plugin passed to `call`; an invalid handle is
    /// reported (naming `what` it should have been) and answered with nil.
    func lookup<T: AnyObject>(_ handle: UnsafeRawPointer?, as: T.Type, _ call: String, _ what: String) -> T? {
        let object = registry.lookup(handle, as: T.self)
        if object == nil { diagnostics.problem("\(call) called with an invalid \(what) handle") }
        return object
    }

    /// Reports a plugin misuse and returns `status` (for one-line returns in suite entries).
    func problem(_ text: String, _ status: Int32 = kOfxStatErrBadHandle) -> OfxStatus {
        diagnostics.problem(text)
        return OfxStatus(status)
    }

    let hostProperties = PropertyStore("host", open: false)
    private(set) var hostStruct: UnsafeMutablePointer<OfxHost>!

    private init() {
        var callbacks = COFXHostCallbacks(
            paramValueKind: paramValueKindEntry, paramGet: paramGetEntry, paramSet: paramSetEntry,
            message: messageEntry, problem: { text in
                HostRuntime.shared.diagnostics.problem(String(cString: text!))
            })
        COFXHost_install(&callbacks)
        describeHost()
        let host = UnsafeMutablePointer<OfxHost>.allocate(capacity: 1)
        host.initialize(to: OfxHost(host: OpaquePointer(registry.handle(for: hostProperties)), fetchSuite: fetchSuiteEntry))
        hostStruct = host
    }

    /// The host descriptor (ofx-abi.md §6.1): what this host supports.
    private func describeHost() {
        let p = hostProperties
        p.set(kOfxPropType, .string([kOfxTypeImageEffectHost]), readOnly: true)
        p.set(kOfxPropName, .string(["org.omniedit.ofx-host"]), readOnly: true)
        p.set(kOfxPropLabel, .string(["OmniEdit headless OpenFX host"]), readOnly: true)
        p.set(kOfxPropVersion, .int([1, 0, 0]), readOnly: true)
        p.set(kOfxPropVersionLabel, .string(["1.0"]), readOnly: true)
        p.set(kOfxPropAPIVersion, .int([1, 4]), readOnly: true)
        p.set(kOfxImageEffectHostPropIsBackground, .int([1]), readOnly: true)
        p.set(kOfxImageEffectPropSupportsOverlays, .int([0]), readOnly: true)
        p.set(kOfxImageEffectPropSupportsMultiResolution, .int([1]), readOnly: true)
        p.set(kOfxImageEffectPropSupportsTiles, .int([1]), readOnly: true)
        p.set(kOfxImageEffectPropTemporalClipAccess, .int([1]), readOnly: true)
        p.set(kOfxImageEffectPropSupportedComponents,
              .string([kOfxImageComponentRGBA, kOfxImageComponentRGB, kOfxImageComponentAlpha]), readOnly: true)
        p.set(kOfxImageEffectPropSupportedContexts,
              .string([kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral, kOfxImageEffectContextGenerator]), readOnly: true)
        p.set(kOfxImageEffectPropSupportedPixelDepths,
              .string([kOfxBitDepthFloat, kOfxBitDepthShort, kOfxBitDepthByte]), readOnly: true)
        p.set(kOfxImageEffectPropSupportsMultipleClipDepths, .int([0]), readOnly: true)
        p.set(kOfxImageEffectPropSupportsMultipleClipPARs, .int([0]), readOnly: true)
        p.set(kOfxImageEffectPropSetableFrameRate, .int([0]), readOnly: true)
        p.set(kOfxImageEffectPropSetableFielding, .int([0]), readOnly: true)
        p.set(kOfxImageEffectInstancePropSequentialRender, .int([2]), readOnly: true)
        p.set(kOfxImageEffectPropRenderQualityDraft, .int([0]), readOnly: true)
        p.set(kOfxImageEffectHostPropNativeOrigin, .string(["kOfxImageEffectHostPropNativeOriginBottomLeft"]), readOnly: true)
        for name in [kOfxParamHostPropSupportsCustomInteract, kOfxParamHostPropSupportsStringAnimation,
                     kOfxParamHostPropSupportsChoiceAnimation, kOfxParamHostPropSupportsBooleanAnimation,
                     kOfxParamHostPropSupportsCustomAnimation] {
            p.set(name, .int([0]), readOnly: true)
        }
        p.set(kOfxParamHostPropMaxParameters, .int([-1]), readOnly: true)
        p.set(kOfxParamHostPropMaxPages, .int([0]), readOnly: true)
        p.set(kOfxParamHostPropPageRowColumnCount, .int([0, 0]), readOnly: true)
    }

    // Suite tables, allocated once: fetchSuite must return stable pointers.
    lazy var propertySuite = allocate(makePropertySuite())
    lazy var imageEffectSuite = allocate(makeImageEffectSuite())
    lazy var parameterSuite = allocate(makeParameterSuite())
    lazy var memorySuite = allocate(makeMemorySuite())
    lazy var multiThreadSuite = allocate(makeMultiThreadSuite())
    lazy var messageSuiteV1 = allocate(makeMessageSuiteV1())
    lazy var messageSuiteV2 = allocate(makeMessageSuiteV2())
    lazy var progressSuiteV1 = allocate(makeProgressSuiteV1())
    lazy var progressSuiteV2 = allocate(makeProgressSuiteV2())
    lazy var timeLineSuite = allocate(makeTimeLineSuite())

    private func allocate<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
        p.initialize(to: value)
        return p
    }

    func suite(named name: String, version: Int32) -> UnsafeRawPointer? {
        lock.lock()
        defer { lock.unlock() }
        switch (name, version) {
        case (kOfxPropertySuite, 1): return UnsafeRawPointer(propertySuite)
        case (kOfxImageEffectSuite, 1): return UnsafeRawPointer(imageEffectSuite)
        case (kOfxParameterSuite, 1): return UnsafeRawPointer(parameterSuite)
        case (kOfxMemorySuite, 1): return UnsafeRawPointer(memorySuite)
        case (kOfxMultiThreadSuite, 1): return UnsafeRawPointer(multiThreadSuite)
        case (kOfxMessageSuite, 1): return UnsafeRawPointer(messageSuiteV1)
        case (kOfxMessageSuite, 2): return UnsafeRawPointer(messageSuiteV2)
        case (kOfxProgressSuite, 1): return UnsafeRawPointer(progressSuiteV1)
        case (kOfxProgressSuite, 2): return UnsafeRawPointer(progressSuiteV2)
        case (kOfxTimeLineSuite, 1): return UnsafeRawPointer(timeLineSuite)
        default: return nil
        }
    }
}

private func fetchSuiteEntry(_ host: OfxPropertySetHandle?, _ name: UnsafePointer<CChar>?, _ version: Int32) -> UnsafeRawPointer? {
    let rt = HostRuntime.shared
    guard rt.registry.lookup(UnsafeRawPointer(host), as: PropertyStore.self) === rt.hostProperties else {
        rt.diagnostics.problem("fetchSuite called with a handle that is not the host's property set")
        return nil
    }
    guard let name else { return nil }
    return rt.suite(named: String(cString: name), version: version)
}
