// Declarative parameter descriptions and the host calls that define and read them. Parameter names
// are public API (Natron projects and scripts use them): renaming one is a major-version change.
import COpenFX

/// How a string parameter is edited in the host UI.
enum StringMode {
    case singleLine, multiLine
    /// A file path; `mustExist` false for files the plugin writes.
    case filePath(mustExist: Bool)
    case directory
}

/// The type-specific part of a parameter.
enum ParamKind {
    case double(default: Double, min: Double, max: Double, displayMin: Double, displayMax: Double, increment: Double, digits: Int32)
    case int(default: Int32, min: Int32, max: Int32, displayMin: Int32, displayMax: Int32)
    case bool(default: Bool)
    case choice(options: [String], default: Int32)
    case string(default: String, mode: StringMode)
    case pushButton
    case group(open: Bool)
}

/// One parameter: its script name, label, hint, kind and the group it sits in.
struct ParamSpec {
    var name: String
    var label: String
    var hint: String
    var kind: ParamKind
    var parent: String? = nil
    /// Most parameters configure a whole window of frames, so they do not animate.
    var animates = false

    var typeName: String {
        switch kind {
        case .double: kOfxParamTypeDouble
        case .int: kOfxParamTypeInteger
        case .bool: kOfxParamTypeBoolean
        case .choice: kOfxParamTypeChoice
        case .string: kOfxParamTypeString
        case .pushButton: kOfxParamTypePushButton
        case .group: kOfxParamTypeGroup
        }
    }
}

extension HostSuites {
    /// Defines every parameter on a describe-in-context param set, then one page holding them in order.
    func define(_ specs: [ParamSpec], page: String, pageLabel: String, on paramSet: OfxParamSetHandle) throws {
        for spec in specs { try define(spec, on: paramSet) }
        var pageProps: OfxPropertySetHandle? = nil
        try check(parameter.pointee.paramDefine(paramSet, CStrings.get(kOfxParamTypePage), CStrings.get(page), &pageProps), "paramDefine page")
        guard let pageProps else { throw PluginError.failed("host gave no property set for page \(page)") }
        let p = PropertySet(pageProps, property)
        try p.set(kOfxPropLabel, pageLabel)
        try p.set(kOfxParamPropPageChild, strings: specs.filter { $0.parent == nil }.map(\.name))
    }

    private func define(_ spec: ParamSpec, on paramSet: OfxParamSetHandle) throws {
        var handle: OfxPropertySetHandle? = nil
        try check(
            parameter.pointee.paramDefine(paramSet, CStrings.get(spec.typeName), CStrings.get(spec.name), &handle),
            "paramDefine \(spec.name)")
        guard let handle else { throw PluginError.failed("host gave no property set for parameter \(spec.name)") }
        let p = PropertySet(handle, property)
        try p.set(kOfxPropLabel, spec.label)
        try p.set(kOfxParamPropHint, spec.hint)
        try p.set(kOfxParamPropScriptName, spec.name)
        if let parent = spec.parent { try p.set(kOfxParamPropParent, parent) }
        switch spec.kind {
        case .pushButton, .group: break
        default: try p.set(kOfxParamPropAnimates, int: spec.animates ? 1 : 0)
        }
        switch spec.kind {
        case let .double(d, lo, hi, dlo, dhi, inc, digits):
            try p.set(kOfxParamPropDefault, double: d)
            try p.set(kOfxParamPropMin, double: lo)
            try p.set(kOfxParamPropMax, double: hi)
            try p.set(kOfxParamPropDisplayMin, double: dlo)
            try p.set(kOfxParamPropDisplayMax, double: dhi)
            try p.set(kOfxParamPropIncrement, double: inc)
            try p.set(kOfxParamPropDigits, int: digits)
        case let .int(d, lo, hi, dlo, dhi):
            try p.set(kOfxParamPropDefault, int: d)
            try p.set(kOfxParamPropMin, int: lo)
            try p.set(kOfxParamPropMax, int: hi)
            try p.set(kOfxParamPropDisplayMin, int: dlo)
            try p.set(kOfxParamPropDisplayMax, int: dhi)
        case let .bool(d):
            try p.set(kOfxParamPropDefault, int: d ? 1 : 0)
        case let .choice(options, d):
            try p.set(kOfxParamPropChoiceOption, strings: options)
            try p.set(kOfxParamPropDefault, int: d)
        case let .string(d, mode):
            try p.set(kOfxParamPropDefault, d)
            switch mode {
            case .singleLine: try p.set(kOfxParamPropStringMode, kOfxParamStringIsSingleLine)
            case .multiLine: try p.set(kOfxParamPropStringMode, kOfxParamStringIsMultiLine)
            case .filePath(let mustExist):
                try p.set(kOfxParamPropStringMode, kOfxParamStringIsFilePath)
                try p.set(kOfxParamPropStringFilePathExists, int: mustExist ? 1 : 0)
            case .directory: try p.set(kOfxParamPropStringMode, kOfxParamStringIsDirectoryPath)
            }
        case .pushButton:
            break
        case let .group(open):
            try p.set(kOfxParamPropGroupOpen, int: open ? 1 : 0)
        }
    }
}

/// Reads parameter values of one instance at a time.
struct ParamReader {
    let suites: HostSuites
    let paramSet: OfxParamSetHandle
    let time: OfxTime

    private func handle(_ name: String) throws -> OfxParamHandle {
        var h: OfxParamHandle? = nil
        try check(suites.parameter.pointee.paramGetHandle(paramSet, CStrings.get(name), &h, nil), "paramGetHandle \(name)")
        guard let h else { throw PluginError.failed("host has no parameter \(name)") }
        return h
    }
    func int(_ name: String) throws -> Int {
        var v: Int32 = 0
        try check(COpenFX_paramGetInt(suites.parameter, try handle(name), time, &v), "paramGetValueAtTime \(name)")
        return Int(v)
    }
    func double(_ name: String) throws -> Double {
        var v = 0.0
        try check(COpenFX_paramGetDouble(suites.parameter, try handle(name), time, &v), "paramGetValueAtTime \(name)")
        return v
    }
    func string(_ name: String) throws -> String {
        var v: UnsafePointer<CChar>? = nil
        try check(COpenFX_paramGetString(suites.parameter, try handle(name), time, &v), "paramGetValueAtTime \(name)")
        return v.map { String(cString: $0) } ?? ""
    }
}
