// OFXHost — a property set as the host keeps it: named, typed, multi-dimensional values.
import COpenFX
import Foundation

/// One property's values; all values of a property share one type (ofx-abi.md §4.1).
public enum PropertyValue: Equatable, Sendable {
    case int([Int32])
    case double([Double])
    case string([String])
    case pointer([UInt])

    var count: Int {
        switch self {
        case .int(let v): v.count
        case .double(let v): v.count
        case .string(let v): v.count
        case .pointer(let v): v.count
        }
    }
}

/// A property set the plugin reaches through an `OfxPropertySetHandle`.
public final class PropertyStore: @unchecked Sendable {
    /// What the set belongs to, for messages ("effect descriptor", "image", "clip Source"…).
    public let label: String
    /// Whether the plugin may add properties the host did not define (descriptors and outArgs are
    /// filled by the plugin; instance, clip and image sets are fixed).
    let open: Bool
    /// The object this set describes (an image's set is its handle, so release needs the image).
    weak var owner: AnyObject?
    private let lock = NSLock()
    private var values: [String: PropertyValue] = [:]
    private var readOnly: Set<String> = []
    /// C copies of strings handed to the plugin; valid until the set changes or dies.
    private var cStrings: [UnsafeMutablePointer<CChar>] = []

    init(_ label: String, open: Bool) {
        self.label = label
        self.open = open
    }

    deinit { cStrings.forEach { free($0) } }

    /// Host-side write; `readOnly` properties reject plugin writes.
    public func set(_ name: String, _ value: PropertyValue, readOnly ro: Bool = false) {
        lock.withLock {
            values[name] = value
            if ro { readOnly.insert(name) } else { readOnly.remove(name) }
        }
    }
    public subscript(name: String) -> PropertyValue? { lock.withLock { values[name] } }
    public var names: [String] { lock.withLock { values.keys.sorted() } }

    public func string(_ name: String, _ i: Int = 0) -> String? {
        if case .string(let v)? = self[name], i < v.count { return v[i] }
        return nil
    }
    public func strings(_ name: String) -> [String] {
        if case .string(let v)? = self[name] { return v }
        return []
    }
    public func int(_ name: String, _ i: Int = 0) -> Int32? {
        switch self[name] {
        case .int(let v)? where i < v.count: v[i]
        case .double(let v)? where i < v.count: Int32(v[i])
        default: nil
        }
    }
    public func ints(_ name: String) -> [Int32] {
        if case .int(let v)? = self[name] { return v }
        return []
    }
    public func double(_ name: String, _ i: Int = 0) -> Double? {
        switch self[name] {
        case .double(let v)? where i < v.count: v[i]
        case .int(let v)? where i < v.count: Double(v[i])
        default: nil
        }
    }
    public func doubles(_ name: String) -> [Double] {
        switch self[name] {
        case .double(let v)?: v
        case .int(let v)?: v.map(Double.init)
        default: []
        }
    }
    public func pointer(_ name: String) -> UnsafeMutableRawPointer? {
        if case .pointer(let v)? = self[name], let p = v.first { return UnsafeMutableRawPointer(bitPattern: p) }
        return nil
    }

    // MARK: Plugin-side access (the property suite). Each returns an OfxStatus.

    /// Writes value `index` of `name`, growing the property as the spec allows for set calls.
    func pluginSet(_ name: String, index: Int, _ value: PropertyValue) -> OfxStatus {
        lock.withLock {
            guard index >= 0 else { return OfxStatus(kOfxStatErrBadIndex) }
            if readOnly.contains(name) { return OfxStatus(kOfxStatErrValue) }
            guard let old = values[name] else {
                guard open else { return OfxStatus(kOfxStatErrUnknown) }
                values[name] = Self.padded(value, to: index)
                return OfxStatus(kOfxStatOK)
            }
            switch (old, value) {
            case (.int(var a), .int(let b)): Self.put(&a, index, b[0]); values[name] = .int(a)
            case (.double(var a), .double(let b)): Self.put(&a, index, b[0]); values[name] = .double(a)
            case (.double(var a), .int(let b)): Self.put(&a, index, Double(b[0])); values[name] = .double(a)
            case (.string(var a), .string(let b)): Self.put(&a, index, b[0]); values[name] = .string(a)
            case (.pointer(var a), .pointer(let b)): Self.put(&a, index, b[0]); values[name] = .pointer(a)
            default: return OfxStatus(kOfxStatErrValue)
            }
            return OfxStatus(kOfxStatOK)
        }
    }

    /// Replaces the whole property (the N-forms of set).
    func pluginSetAll(_ name: String, _ value: PropertyValue) -> OfxStatus {
        lock.withLock {
            if readOnly.contains(name) { return OfxStatus(kOfxStatErrValue) }
            guard let old = values[name] else {
                guard open else { return OfxStatus(kOfxStatErrUnknown) }
                values[name] = value
                return OfxStatus(kOfxStatOK)
            }
            switch (old, value) {
            case (.int, .int), (.double, .double), (.string, .string), (.pointer, .pointer): values[name] = value
            case (.double, .int(let b)): values[name] = .double(b.map(Double.init))
            default: return OfxStatus(kOfxStatErrValue)
            }
            return OfxStatus(kOfxStatOK)
        }
    }

    func pluginGet(_ name: String) -> PropertyValue? { lock.withLock { values[name] } }

    func reset(_ name: String) -> OfxStatus {
        lock.withLock { values[name] == nil ? OfxStatus(kOfxStatErrUnknown) : OfxStatus(kOfxStatOK) }
    }

    /// A C copy of `s` that stays valid while this set lives.
    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        lock.withLock {
            let p = strdup(s)!
            cStrings.append(p)
            return p
        }
    }

    private static func put<T>(_ a: inout [T], _ index: Int, _ v: T) {
        if index < a.count { a[index] = v } else {
            while a.count < index { a.append(v) }
            a.append(v)
        }
    }
    private static func padded(_ v: PropertyValue, to index: Int) -> PropertyValue {
        switch v {
        case .int(let b): .int(Array(repeating: b[0], count: index + 1))
        case .double(let b): .double(Array(repeating: b[0], count: index + 1))
        case .string(let b): .string(Array(repeating: b[0], count: index + 1))
        case .pointer(let b): .pointer(Array(repeating: b[0], count: index + 1))
        }
    }
}
