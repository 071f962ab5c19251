// OFXHost — what a host application (the CLI, a test) controls from outside a render: abort and
// the progress callbacks.
import Foundation

public enum HostControl {
    /// Asks the running plugin to stop: the abort entry answers 1 and progressUpdate answers ReplyNo.
    public static func requestAbort() { HostRuntime.shared.abortRequested = true }

    /// Where progress-suite calls go.
    public static var progress: ProgressHandler {
        get { HostRuntime.shared.progress }
        set { HostRuntime.shared.progress = newValue }
    }
}

/// What `ofx-host list` shows of one plugin.
public struct PluginSummary: Codable, Sendable {
    public struct Param: Codable, Sendable {
        public var name: String
        public var type: String
        public var label: String
        public var hint: String
        public var defaultValue: String
        public var min: String?
        public var max: String?
        public var options: [String]?
        public var parent: String?
    }
    public var identifier: String
    public var label: String
    public var grouping: String
    public var version: String
    public var bundle: String
    public var contexts: [String]
    public var depths: [String]
    public var description: String
    public var parameters: [Param]?
}

extension LoadedPlugin {
    /// Loads, describes (and with `parameters`, describes in its first context), then unloads.
    public func summary(parameters: Bool) throws -> PluginSummary {
        try load()
        defer { unload() }
        let d = try describe()
        let p = d.props
        var s = PluginSummary(
            identifier: identifier, label: p.string(kOfxPropLabelName) ?? identifier,
            grouping: p.string("OfxImageEffectPluginPropGrouping") ?? "", version: "\(version.major).\(version.minor)",
            bundle: binary.bundlePath, contexts: p.strings("OfxImageEffectPropSupportedContexts"),
            depths: p.strings("OfxImageEffectPropSupportedPixelDepths"), description: p.string("OfxPropPluginDescription") ?? "")
        if parameters, let context = s.contexts.first {
            let c = try describe(in: context, base: d)
            s.parameters = c.paramSet.params.map { param in
                let q = param.props
                func text(_ name: String) -> String? {
                    switch q[name] {
                    case .int(let v)?: v.map(String.init).joined(separator: ",")
                    case .double(let v)?: v.map { $0.magnitude >= 1e300 ? ($0 < 0 ? "-inf" : "inf") : String($0) }.joined(separator: ",")
                    case .string(let v)?: v.joined(separator: ",")
                    default: nil
                    }
                }
                let options = q.strings("OfxParamPropChoiceOption")
                let parent = q.string("OfxParamPropParent") ?? ""
                return PluginSummary.Param(
                    name: param.name, type: param.type.replacingOccurrences(of: "OfxParamType", with: ""),
                    label: q.string(kOfxPropLabelName) ?? param.name, hint: q.string("OfxParamPropHint") ?? "",
                    defaultValue: param.valueKind.count > 0 ? param.defaultValue.description : "",
                    min: text("OfxParamPropMin"), max: text("OfxParamPropMax"), options: options.isEmpty ? nil : options,
                    parent: parent.isEmpty ? nil : parent)
            }
        }
        return s
    }
}

private let kOfxPropLabelName = "OfxPropLabel"
