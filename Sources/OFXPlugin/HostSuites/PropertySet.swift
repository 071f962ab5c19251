// Typed access to an OpenFX property set. All names are interned C strings; value strings the host
// returns are copied at once (they are valid only until the next OFX call).
import COpenFX

struct PropertySet {
    let handle: OfxPropertySetHandle
    let suite: UnsafePointer<OfxPropertySuiteV1>

    init(_ handle: OfxPropertySetHandle, _ suite: UnsafePointer<OfxPropertySuiteV1>) {
        self.handle = handle
        self.suite = suite
    }

    func set(_ name: String, _ value: String, index: Int32 = 0) throws {
        try check(suite.pointee.propSetString(handle, CStrings.get(name), index, CStrings.get(value)), "propSetString \(name)")
    }
    func set(_ name: String, strings values: [String]) throws {
        for (i, v) in values.enumerated() { try set(name, v, index: Int32(i)) }
    }
    func set(_ name: String, int value: Int32, index: Int32 = 0) throws {
        try check(suite.pointee.propSetInt(handle, CStrings.get(name), index, value), "propSetInt \(name)")
    }
    func set(_ name: String, ints values: [Int32]) throws {
        for (i, v) in values.enumerated() { try set(name, int: v, index: Int32(i)) }
    }
    func set(_ name: String, double value: Double, index: Int32 = 0) throws {
        try check(suite.pointee.propSetDouble(handle, CStrings.get(name), index, value), "propSetDouble \(name)")
    }
    func set(_ name: String, doubles values: [Double]) throws {
        for (i, v) in values.enumerated() { try set(name, double: v, index: Int32(i)) }
    }
    func set(_ name: String, pointer value: UnsafeMutableRawPointer?) throws {
        try check(suite.pointee.propSetPointer(handle, CStrings.get(name), 0, value), "propSetPointer \(name)")
    }

    func string(_ name: String, index: Int32 = 0) throws -> String {
        var p: UnsafeMutablePointer<CChar>? = nil
        try check(suite.pointee.propGetString(handle, CStrings.get(name), index, &p), "propGetString \(name)")
        return p.map { String(cString: $0) } ?? ""
    }
    func int(_ name: String, index: Int32 = 0) throws -> Int32 {
        var v: Int32 = 0
        try check(suite.pointee.propGetInt(handle, CStrings.get(name), index, &v), "propGetInt \(name)")
        return v
    }
    func double(_ name: String, index: Int32 = 0) throws -> Double {
        var v = 0.0
        try check(suite.pointee.propGetDouble(handle, CStrings.get(name), index, &v), "propGetDouble \(name)")
        return v
    }
    func doubles(_ name: String, count: Int) throws -> [Double] {
        try (0..<count).map { try double(name, index: Int32($0)) }
    }
    func ints(_ name: String, count: Int) throws -> [Int32] {
        try (0..<count).map { try int(name, index: Int32($0)) }
    }
    func pointer(_ name: String) throws -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer? = nil
        try check(suite.pointee.propGetPointer(handle, CStrings.get(name), 0, &p), "propGetPointer \(name)")
        return p
    }
    func dimension(_ name: String) throws -> Int {
        var n: Int32 = 0
        try check(suite.pointee.propGetDimension(handle, CStrings.get(name), &n), "propGetDimension \(name)")
        return Int(n)
    }
}
