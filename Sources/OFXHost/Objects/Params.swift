// OFXHost — parameters: descriptors defined by the plugin, and the instance values the host keeps.
import COFXHostShim
import COpenFX
import Foundation
import UserMessages

/// A parameter's value; the shape follows its type (ofx-abi.md §4.3 table).
public enum ParamValue: Equatable, Sendable, CustomStringConvertible {
    case ints([Int32])
    case doubles([Double])
    case string(String)
    case none

    public var description: String {
        switch self {
        case .ints(let v): v.map(String.init).joined(separator: ",")
        case .doubles(let v): v.map { String($0) }.joined(separator: ",")
        case .string(let s): s
        case .none: ""
        }
    }
}

/// One parameter (descriptor or instance).
public final class ParamObject: @unchecked Sendable {
    public let name: String
    public let type: String
    public let props: PropertyStore
    private let lock = NSLock()
    private var current: ParamValue
    /// C copies of string values handed to the plugin (valid until the next OFX call; kept longer).
    private var cStrings: [UnsafeMutablePointer<CChar>] = []

    init(name: String, type: String, props: PropertyStore) {
        self.name = name
        self.type = type
        self.props = props
        current = .none
    }
    deinit { cStrings.forEach { free($0) } }

    public var value: ParamValue {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    /// The C value kind and count the variadic suite entries use.
    var valueKind: (kind: Int32, count: Int32) {
        switch type {
        case kOfxParamTypeInteger, kOfxParamTypeBoolean, kOfxParamTypeChoice: (Int32(COFXValueInt), 1)
        case kOfxParamTypeInteger2D: (Int32(COFXValueInt), 2)
        case kOfxParamTypeInteger3D: (Int32(COFXValueInt), 3)
        case kOfxParamTypeDouble: (Int32(COFXValueDouble), 1)
        case kOfxParamTypeDouble2D: (Int32(COFXValueDouble), 2)
        case kOfxParamTypeDouble3D, kOfxParamTypeRGB: (Int32(COFXValueDouble), 3)
        case kOfxParamTypeRGBA: (Int32(COFXValueDouble), 4)
        case kOfxParamTypeString, kOfxParamTypeCustom: (Int32(COFXValueString), 1)
        default: (Int32(COFXValueNone), 0)
        }
    }

    /// The value the descriptor's OfxParamPropDefault gives (or the type's zero).
    var defaultValue: ParamValue {
        let (kind, count) = valueKind
        switch Int(kind) {
        case Int(COFXValueInt):
            let d = props.ints(kOfxParamPropDefault)
            return .ints(d.count == Int(count) ? d : Array(repeating: 0, count: Int(count)))
        case Int(COFXValueDouble):
            let d = props.doubles(kOfxParamPropDefault)
            return .doubles(d.count == Int(count) ? d : Array(repeating: 0, count: Int(count)))
        case Int(COFXValueString):
            return .string(props.string(kOfxParamPropDefault) ?? "")
        default:
            return .none
        }
    }

    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        lock.withLock {
            let p = strdup(s)!
            cStrings.append(p)
            return p
        }
    }

    /// Parses a user's text (`--set name=value`) into this parameter's value: numbers, booleans
    /// (0/1/true/false/on/off), choices by index or option label, comma-separated tuples, strings.
    public func parse(_ text: String) throws -> ParamValue {
        let (kind, count) = valueKind
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        switch Int(kind) {
        case Int(COFXValueString):
            return .string(text)
        case Int(COFXValueInt):
            if type == kOfxParamTypeChoice, Int32(text) == nil {
                let options = props.strings(kOfxParamPropChoiceOption)
                guard let i = options.firstIndex(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else {
                    throw HostError("parameter \(name): '\(text)' is not one of: \(options.joined(separator: " | "))", status: .dataError)
                }
                return .ints([Int32(i)])
            }
            if type == kOfxParamTypeBoolean {
                switch text.lowercased() {
                case "1", "true", "on", "yes": return .ints([1])
                case "0", "false", "off", "no": return .ints([0])
                default: throw HostError("parameter \(name): '\(text)' is not a boolean", status: .dataError)
                }
            }
            let v = parts.compactMap { Int32($0) }
            guard v.count == parts.count, v.count == Int(count) else {
                throw HostError("parameter \(name) (\(type)) needs \(count) integer(s), got '\(text)'", status: .dataError)
            }
            return .ints(v)
        case Int(COFXValueDouble):
            let v = parts.compactMap { Double($0) }
            guard v.count == parts.count, v.count == Int(count) else {
                throw HostError("parameter \(name) (\(type)) needs \(count) number(s), got '\(text)'", status: .dataError)
            }
            return .doubles(v)
        default:
            throw HostError("parameter \(name) (\(type)) has no value to set", status: .dataError)
        }
    }

    /// Checks `value` against the descriptor's min/max.
    public func checkRange(_ value: ParamValue) throws {
        switch value {
        case .ints(let v):
            let lo = props.ints(kOfxParamPropMin), hi = props.ints(kOfxParamPropMax)
            for (i, x) in v.enumerated() {
                if i < lo.count, x < lo[i] { throw HostError("parameter \(name): \(x) is below its minimum \(lo[i])", status: .dataError) }
                if i < hi.count, x > hi[i] { throw HostError("parameter \(name): \(x) is above its maximum \(hi[i])", status: .dataError) }
            }
            if type == kOfxParamTypeChoice, let x = v.first {
                let n = props.strings(kOfxParamPropChoiceOption).count
                if x < 0 || Int(x) >= n { throw HostError("parameter \(name): choice \(x) is out of 0..<\(n)", status: .dataError) }
            }
        case .doubles(let v):
            let lo = props.doubles(kOfxParamPropMin), hi = props.doubles(kOfxParamPropMax)
            for (i, x) in v.enumerated() {
                if i < lo.count, x < lo[i] { throw HostError("parameter \(name): \(x) is below its minimum \(lo[i])", status: .dataError) }
                if i < hi.count, x > hi[i] { throw HostError("parameter \(name): \(x) is above its maximum \(hi[i])", status: .dataError) }
            }
        default: break
        }
    }
}

/// The parameters of one descriptor or instance, in definition order.
public final class ParamSetObject: @unchecked Sendable {
    public let props: PropertyStore
    private let lock = NSLock()
    private var ordered: [ParamObject] = []

    init(props: PropertyStore) { self.props = props }

    public var params: [ParamObject] { lock.withLock { ordered } }
    public func param(_ name: String) -> ParamObject? { lock.withLock { ordered.first { $0.name == name } } }
    func add(_ p: ParamObject) -> Bool {
        lock.withLock {
            if ordered.contains(where: { $0.name == p.name }) { return false }
            ordered.append(p)
            return true
        }
    }
}
