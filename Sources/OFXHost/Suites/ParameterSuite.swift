// OFXHost — the parameter suite (ofx-abi.md §4.3). The variadic entries are COFXHostShim's; they call
// back into the three fixed-arity functions at the end of this file. Parameters do not animate here:
// a headless render sets constant values, so derivative is 0 and there are no keys.
import COFXHostShim
import COpenFX
import Foundation

private var rt: HostRuntime { HostRuntime.shared }

private func paramSet(_ h: OfxParamSetHandle?, _ call: String) -> ParamSetObject? {
    rt.lookup(UnsafeRawPointer(h), as: ParamSetObject.self, call, "parameter set")
}

private func param(_ h: OfxParamHandle?, _ call: String) -> ParamObject? {
    rt.lookup(UnsafeRawPointer(h), as: ParamObject.self, call, "parameter")
}

private let knownTypes: Set<String> = [
    kOfxParamTypeInteger, kOfxParamTypeDouble, kOfxParamTypeBoolean, kOfxParamTypeChoice, kOfxParamTypeRGBA,
    kOfxParamTypeRGB, kOfxParamTypeDouble2D, kOfxParamTypeInteger2D, kOfxParamTypeDouble3D, kOfxParamTypeInteger3D,
    kOfxParamTypeString, kOfxParamTypeCustom, kOfxParamTypeGroup, kOfxParamTypePage, kOfxParamTypePushButton,
]

/// A new parameter descriptor with the defaults of ofx-abi.md §6.6.
func makeParamDescriptor(type: String, name: String) -> ParamObject {
    let props = PropertyStore("parameter \(name)", open: true)
    let p = ParamObject(name: name, type: type, props: props)
    props.set(kOfxPropType, .string([kOfxTypeParameter]), readOnly: true)
    props.set(kOfxPropName, .string([name]), readOnly: true)
    props.set(kOfxParamPropType, .string([type]), readOnly: true)
    for label in [kOfxPropLabel, kOfxPropShortLabel, kOfxPropLongLabel] { props.set(label, .string([name])) }
    props.set(kOfxParamPropHint, .string([""]))
    props.set(kOfxParamPropScriptName, .string([name]))
    props.set(kOfxParamPropParent, .string([""]))
    props.set(kOfxParamPropSecret, .int([0]))
    props.set(kOfxParamPropEnabled, .int([1]))
    props.set(kOfxParamPropDataPtr, .pointer([0]))
    let (kind, count) = p.valueKind
    switch Int(kind) {
    case Int(COFXValueInt):
        props.set(kOfxParamPropDefault, .int(Array(repeating: 0, count: Int(count))))
        if type != kOfxParamTypeBoolean && type != kOfxParamTypeChoice {
            props.set(kOfxParamPropMin, .int(Array(repeating: Int32.min, count: Int(count))))
            props.set(kOfxParamPropMax, .int(Array(repeating: Int32.max, count: Int(count))))
            props.set(kOfxParamPropDisplayMin, .int(Array(repeating: Int32.min, count: Int(count))))
            props.set(kOfxParamPropDisplayMax, .int(Array(repeating: Int32.max, count: Int(count))))
        }
        if type == kOfxParamTypeChoice { props.set(kOfxParamPropChoiceOption, .string([])) }
    case Int(COFXValueDouble):
        props.set(kOfxParamPropDefault, .double(Array(repeating: 0, count: Int(count))))
        props.set(kOfxParamPropMin, .double(Array(repeating: -Double.greatestFiniteMagnitude, count: Int(count))))
        props.set(kOfxParamPropMax, .double(Array(repeating: Double.greatestFiniteMagnitude, count: Int(count))))
        props.set(kOfxParamPropDisplayMin, .double(Array(repeating: -Double.greatestFiniteMagnitude, count: Int(count))))
        props.set(kOfxParamPropDisplayMax, .double(Array(repeating: Double.greatestFiniteMagnitude, count: Int(count))))
        props.set(kOfxParamPropIncrement, .double([1]))
        props.set(kOfxParamPropDigits, .int([2]))
        props.set(kOfxParamPropDoubleType, .string([kOfxParamDoubleTypePlain]))
    case Int(COFXValueString):
        props.set(kOfxParamPropDefault, .string([""]))
        if type == kOfxParamTypeString {
            props.set(kOfxParamPropStringMode, .string([kOfxParamStringIsSingleLine]))
            props.set(kOfxParamPropStringFilePathExists, .int([1]))
        }
    default:
        break
    }
    if Int(kind) != Int(COFXValueNone) {
        props.set(kOfxParamPropAnimates, .int([1]))
        props.set(kOfxParamPropPersistant, .int([1]))
        props.set(kOfxParamPropEvaluateOnChange, .int([1]))
        props.set(kOfxParamPropPluginMayWrite, .int([0]))
        props.set(kOfxParamPropCanUndo, .int([1]))
        props.set(kOfxParamPropCacheInvalidation, .string([kOfxParamInvalidateValueChange]))
    }
    if type == kOfxParamTypeGroup { props.set(kOfxParamPropGroupOpen, .int([1])) }
    if type == kOfxParamTypePage { props.set(kOfxParamPropPageChild, .string([])) }
    return p
}

private func handle(_ object: AnyObject) -> OpaquePointer { OpaquePointer(rt.registry.handle(for: object)) }

func makeParameterSuite() -> OfxParameterSuiteV1 {
    var suite = OfxParameterSuiteV1(
        paramDefine: { h, type, name, out in
            guard let set = paramSet(h, "paramDefine") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard let type, let name else { return rt.problem("paramDefine with a NULL type or name", kOfxStatErrValue) }
            let t = String(cString: type), n = String(cString: name)
            guard knownTypes.contains(t) else { return rt.problem("paramDefine \(n): unknown parameter type \(t)", kOfxStatErrUnknown) }
            let p = makeParamDescriptor(type: t, name: n)
            guard set.add(p) else { return rt.problem("paramDefine: parameter \(n) defined twice", kOfxStatErrExists) }
            out?.pointee = handle(p.props)
            return OfxStatus(kOfxStatOK)
        },
        paramGetHandle: { h, name, out, props in
            guard let set = paramSet(h, "paramGetHandle") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard let name, let p = set.param(String(cString: name)) else { return OfxStatus(kOfxStatErrUnknown) }
            out?.pointee = handle(p)
            props?.pointee = handle(p.props)
            return OfxStatus(kOfxStatOK)
        },
        paramSetGetPropertySet: { h, out in
            guard let set = paramSet(h, "paramSetGetPropertySet") else { return OfxStatus(kOfxStatErrBadHandle) }
            out?.pointee = handle(set.props)
            return OfxStatus(kOfxStatOK)
        },
        paramGetPropertySet: { h, out in
            guard let p = param(h, "paramGetPropertySet") else { return OfxStatus(kOfxStatErrBadHandle) }
            out?.pointee = handle(p.props)
            return OfxStatus(kOfxStatOK)
        },
        paramGetValue: nil,
        paramGetValueAtTime: nil,
        paramGetDerivative: nil,
        paramGetIntegral: nil,
        paramSetValue: nil,
        paramSetValueAtTime: nil,
        paramGetNumKeys: { h, out in
            guard param(h, "paramGetNumKeys") != nil else { return OfxStatus(kOfxStatErrBadHandle) }
            out?.pointee = 0
            return OfxStatus(kOfxStatOK)
        },
        paramGetKeyTime: { h, _, _ in
            param(h, "paramGetKeyTime") == nil ? OfxStatus(kOfxStatErrBadHandle) : OfxStatus(kOfxStatErrBadIndex)
        },
        paramGetKeyIndex: { h, _, _, _ in
            param(h, "paramGetKeyIndex") == nil ? OfxStatus(kOfxStatErrBadHandle) : OfxStatus(kOfxStatFailed)
        },
        paramDeleteKey: { h, _ in
            param(h, "paramDeleteKey") == nil ? OfxStatus(kOfxStatErrBadHandle) : OfxStatus(kOfxStatErrBadIndex)
        },
        paramDeleteAllKeys: { h in
            param(h, "paramDeleteAllKeys") == nil ? OfxStatus(kOfxStatErrBadHandle) : OfxStatus(kOfxStatOK)
        },
        paramCopy: { to, from, _, _ in
            guard let t = param(to, "paramCopy"), let f = param(from, "paramCopy") else { return OfxStatus(kOfxStatErrBadHandle) }
            guard t.type == f.type else { return rt.problem("paramCopy between parameters of different types", kOfxStatErrValue) }
            t.value = f.value
            return OfxStatus(kOfxStatOK)
        },
        paramEditBegin: { h, _ in
            paramSet(h, "paramEditBegin") == nil ? OfxStatus(kOfxStatErrBadHandle) : OfxStatus(kOfxStatOK)
        },
        paramEditEnd: { h in
            paramSet(h, "paramEditEnd") == nil ? OfxStatus(kOfxStatErrBadHandle) : OfxStatus(kOfxStatOK)
        })
    COFXHost_fillParameterSuite(&suite)
    return suite
}

// MARK: Callbacks of the variadic entries (COFXHostShim).

func paramValueKindEntry(_ h: OfxParamHandle?, _ kind: UnsafeMutablePointer<Int32>?, _ count: UnsafeMutablePointer<Int32>?) -> OfxStatus {
    guard let p = param(h, "paramGetValue/paramSetValue") else { return OfxStatus(kOfxStatErrBadHandle) }
    let k = p.valueKind
    kind?.pointee = k.kind
    count?.pointee = k.count
    return OfxStatus(kOfxStatOK)
}

func paramGetEntry(_ h: OfxParamHandle?, _ hasTime: Int32, _ time: OfxTime, _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ count: Int32) -> OfxStatus {
    guard let p = param(h, "paramGetValue"), let out else { return OfxStatus(kOfxStatErrBadHandle) }
    switch p.value {
    case .ints(let v):
        for i in 0..<min(Int(count), v.count) { out[i]!.storeBytes(of: v[i], as: Int32.self) }
    case .doubles(let v):
        for i in 0..<min(Int(count), v.count) { out[i]!.storeBytes(of: v[i], as: Double.self) }
    case .string(let s):
        out[0]!.storeBytes(of: UnsafePointer(p.cString(s)), as: UnsafePointer<CChar>.self)
    case .none:
        return OfxStatus(kOfxStatErrBadHandle)
    }
    return OfxStatus(kOfxStatOK)
}

func paramSetEntry(_ h: OfxParamHandle?, _ hasTime: Int32, _ time: OfxTime, _ values: UnsafePointer<COFXValue>?, _ count: Int32) -> OfxStatus {
    guard let p = param(h, "paramSetValue"), let values else { return OfxStatus(kOfxStatErrBadHandle) }
    switch Int(p.valueKind.kind) {
    case Int(COFXValueInt): p.value = .ints((0..<Int(count)).map { values[$0].i })
    case Int(COFXValueDouble): p.value = .doubles((0..<Int(count)).map { values[$0].d })
    case Int(COFXValueString):
        guard let s = values[0].s else { return rt.problem("paramSetValue with a NULL string", kOfxStatErrValue) }
        p.value = .string(String(cString: s))
    default: return OfxStatus(kOfxStatErrBadHandle)
    }
    return OfxStatus(kOfxStatOK)
}

func messageEntry(_ h: UnsafeMutableRawPointer?, _ type: UnsafePointer<CChar>?, _ id: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?, _ persistent: Int32) -> OfxStatus {
    if persistent != 0 && rt.registry.lookup(UnsafeRawPointer(h), as: EffectObject.self) == nil {
        return rt.problem("setPersistentMessage needs an effect instance handle")
    }
    let m = HostMessage(
        type: type.map { String(cString: $0) } ?? "", id: id.map { String(cString: $0) } ?? "",
        text: text.map { String(cString: $0) } ?? "", persistent: persistent != 0)
    rt.diagnostics.message(m)
    return m.type == kOfxMessageQuestion ? OfxStatus(kOfxStatReplyYes) : OfxStatus(kOfxStatOK)
}
