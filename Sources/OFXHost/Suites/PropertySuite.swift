// OFXHost — the property suite (ofx-abi.md §4.1): 18 entries over PropertyStore.
import COpenFX
import Foundation

private func store(_ h: OfxPropertySetHandle?, _ call: String) -> PropertyStore? {
    HostRuntime.shared.lookup(UnsafeRawPointer(h), as: PropertyStore.self, call, "property set")
}

private func name(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

private func set(_ h: OfxPropertySetHandle?, _ prop: UnsafePointer<CChar>?, _ index: Int32, _ v: PropertyValue, _ call: String) -> OfxStatus {
    guard let s = store(h, call) else { return OfxStatus(kOfxStatErrBadHandle) }
    guard let n = name(prop) else { return HostRuntime.shared.problem("\(call) with a NULL property name", kOfxStatErrValue) }
    return s.pluginSet(n, index: Int(index), v)
}

private func setN(_ h: OfxPropertySetHandle?, _ prop: UnsafePointer<CChar>?, _ count: Int32, _ call: String, _ make: (Int) -> PropertyValue) -> OfxStatus {
    guard let s = store(h, call) else { return OfxStatus(kOfxStatErrBadHandle) }
    guard let n = name(prop), count >= 0 else { return HostRuntime.shared.problem("\(call) with a NULL name or negative count", kOfxStatErrValue) }
    return s.pluginSetAll(n, make(Int(count)))
}

/// Looks a property up for a get call; unknown properties are normal when probing (ErrUnknown).
private func get(_ h: OfxPropertySetHandle?, _ prop: UnsafePointer<CChar>?, _ call: String) -> Result<PropertyValue, OfxStatusError> {
    guard let s = store(h, call) else { return .failure(OfxStatusError(kOfxStatErrBadHandle)) }
    guard let n = name(prop) else { return .failure(OfxStatusError(kOfxStatErrValue)) }
    guard let v = s.pluginGet(n) else { return .failure(OfxStatusError(kOfxStatErrUnknown)) }
    return .success(v)
}

struct OfxStatusError: Error {
    let status: OfxStatus
    init(_ s: Int32) { status = OfxStatus(s) }
}

/// Reads value `index` of a property as `T`, converting ints and doubles into each other.
private func getOne<T>(_ h: OfxPropertySetHandle?, _ prop: UnsafePointer<CChar>?, _ index: Int32, _ out: UnsafeMutablePointer<T>?,
                       _ call: String, _ pick: (PropertyValue, Int, PropertyStore) -> T?) -> OfxStatus {
    guard let out else { return HostRuntime.shared.problem("\(call) with a NULL value pointer", kOfxStatErrValue) }
    switch get(h, prop, call) {
    case .failure(let e): return e.status
    case .success(let v):
        guard index >= 0, Int(index) < v.count else { return OfxStatus(kOfxStatErrBadIndex) }
        guard let x = pick(v, Int(index), store(h, call)!) else { return OfxStatus(kOfxStatErrValue) }
        out.pointee = x
        return OfxStatus(kOfxStatOK)
    }
}

private func pickInt(_ v: PropertyValue, _ i: Int, _: PropertyStore) -> Int32? {
    if case .int(let a) = v { return a[i] }
    return nil
}
private func pickDouble(_ v: PropertyValue, _ i: Int, _: PropertyStore) -> Double? {
    switch v {
    case .double(let a): a[i]
    case .int(let a): Double(a[i])
    default: nil
    }
}
private func pickString(_ v: PropertyValue, _ i: Int, _ s: PropertyStore) -> UnsafeMutablePointer<CChar>? {
    if case .string(let a) = v { return s.cString(a[i]) }
    return nil
}
private func pickPointer(_ v: PropertyValue, _ i: Int, _: PropertyStore) -> UnsafeMutableRawPointer?? {
    if case .pointer(let a) = v { return .some(UnsafeMutableRawPointer(bitPattern: a[i])) }
    return nil
}

private func getN<T>(_ h: OfxPropertySetHandle?, _ prop: UnsafePointer<CChar>?, _ count: Int32, _ out: UnsafeMutablePointer<T>?,
                     _ call: String, _ pick: (PropertyValue, Int, PropertyStore) -> T?) -> OfxStatus {
    guard let out else { return HostRuntime.shared.problem("\(call) with a NULL value pointer", kOfxStatErrValue) }
    for i in 0..<max(count, 0) {
        let st = getOne(h, prop, i, out + Int(i), call, pick)
        if st != kOfxStatOK { return st }
    }
    return OfxStatus(kOfxStatOK)
}

func makePropertySuite() -> OfxPropertySuiteV1 {
    OfxPropertySuiteV1(
        propSetPointer: { h, p, i, v in set(h, p, i, .pointer([UInt(bitPattern: v)]), "propSetPointer") },
        propSetString: { h, p, i, v in
            guard let v else { return HostRuntime.shared.problem("propSetString with a NULL value", kOfxStatErrValue) }
            return set(h, p, i, .string([String(cString: v)]), "propSetString")
        },
        propSetDouble: { h, p, i, v in set(h, p, i, .double([v]), "propSetDouble") },
        propSetInt: { h, p, i, v in set(h, p, i, .int([v]), "propSetInt") },
        propSetPointerN: { h, p, n, v in
            setN(h, p, n, "propSetPointerN") { c in .pointer((0..<c).map { UInt(bitPattern: v![$0]) }) }
        },
        propSetStringN: { h, p, n, v in
            guard let v, (0..<Int(max(n, 0))).allSatisfy({ v[$0] != nil }) else {
                return HostRuntime.shared.problem("propSetStringN with a NULL value", kOfxStatErrValue)
            }
            return setN(h, p, n, "propSetStringN") { c in .string((0..<c).map { String(cString: v[$0]!) }) }
        },
        propSetDoubleN: { h, p, n, v in
            guard let v else { return HostRuntime.shared.problem("propSetDoubleN with a NULL value", kOfxStatErrValue) }
            return setN(h, p, n, "propSetDoubleN") { c in .double((0..<c).map { v[$0] }) }
        },
        propSetIntN: { h, p, n, v in
            guard let v else { return HostRuntime.shared.problem("propSetIntN with a NULL value", kOfxStatErrValue) }
            return setN(h, p, n, "propSetIntN") { c in .int((0..<c).map { v[$0] }) }
        },
        propGetPointer: { h, p, i, out in getOne(h, p, i, out, "propGetPointer", pickPointer) },
        propGetString: { h, p, i, out in getOne(h, p, i, out, "propGetString", pickString) },
        propGetDouble: { h, p, i, out in getOne(h, p, i, out, "propGetDouble", pickDouble) },
        propGetInt: { h, p, i, out in getOne(h, p, i, out, "propGetInt", pickInt) },
        propGetPointerN: { h, p, n, out in getN(h, p, n, out, "propGetPointerN", pickPointer) },
        propGetStringN: { h, p, n, out in getN(h, p, n, out, "propGetStringN", pickString) },
        propGetDoubleN: { h, p, n, out in getN(h, p, n, out, "propGetDoubleN", pickDouble) },
        propGetIntN: { h, p, n, out in getN(h, p, n, out, "propGetIntN", pickInt) },
        propReset: { h, p in
            guard let s = store(h, "propReset"), let n = name(p) else { return OfxStatus(kOfxStatErrBadHandle) }
            return s.reset(n)
        },
        propGetDimension: { h, p, out in
            guard let out else { return HostRuntime.shared.problem("propGetDimension with a NULL count pointer", kOfxStatErrValue) }
            switch get(h, p, "propGetDimension") {
            case .failure(let e): return e.status
            case .success(let v):
                out.pointee = Int32(v.count)
                return OfxStatus(kOfxStatOK)
            }
        })
}
