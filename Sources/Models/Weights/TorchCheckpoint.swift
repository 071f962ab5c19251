import Foundation

/// PyTorch `torch.save` checkpoints (`.pth`, `.pt`, `.ckpt`: a zip of `*/data.pkl` + `*/data/<key>`),
/// read without running Python and without executing anything from the file.
///
/// The pickle is read by a *restricted* unpickler that knows only what `torch.save` writes for a
/// state dict — tensor rebuild calls, typed storages (f32/f16/bf16/f64 and integer types), ordered
/// dicts, tuples, lists, numbers and strings — and refuses every other global or call by name
/// (`os.system`, `builtins.eval`, any `REDUCE` target it does not know). Sizes are bounded by the
/// file; nesting and memo sizes are bounded too. The result is a safetensors-style header whose entries
/// point straight into the (stored, uncompressed) zip members, so tensors load from the mapping
/// exactly as safetensors tensors do.
///
/// Follows: the zip format (PKWARE APPNOTE, incl. Zip64), Python's pickle opcodes (protocols 2–5),
/// and PyTorch's `torch/serialization.py` layout; the reader is our own.
enum TorchCheckpoint {
    /// Parses the zip and pickle of a mapped file into tensor entries (absolute byte offsets).
    static func header(_ bytes: UnsafeRawBufferPointer, path: String) throws -> SafetensorsHeader {
        let zip = try ZipDirectory(bytes, path: path)
        guard let pickleName = zip.members.keys.filter({ $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }).min() else {
            throw WeightsError.invalidFile(path: path, reason: "not a PyTorch zip checkpoint (no data.pkl)")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        let pickle = try zip.data(pickleName)
        var reader = RestrictedUnpickler(bytes: pickle, path: path)
        let root = try reader.load()
        var tensors: [(String, TensorRef)] = []
        try collect(root, prefix: "", into: &tensors, depth: 0, path: path)
        guard !tensors.isEmpty else { throw WeightsError.invalidFile(path: path, reason: "the checkpoint holds no tensors") }
        var entries: [String: SafetensorsEntry] = [:]
        for (name, t) in tensors {
            guard let (begin, size) = zip.member(prefix + "data/" + t.storageKey) else {
                throw WeightsError.invalidFile(path: path, reason: "tensor '\(name)': storage '\(t.storageKey)' is not in the archive")
            }
            var count = 1
            for d in t.shape {
                let (c, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, d >= 0 else { throw WeightsError.invalidTensor(path: path, tensor: name, reason: "shape \(t.shape) overflows") }
                count = c
            }
            // Row-major strides only: a state dict's tensors are; a view with other strides is refused.
            var expected = 1
            guard t.stride.count == t.shape.count else {
                throw WeightsError.invalidTensor(path: path, tensor: name, reason: "strides \(t.stride) for shape \(t.shape)")
            }
            for (d, s) in Swift.zip(t.shape, t.stride).reversed() {
                guard d == 1 || s == expected else {
                    throw WeightsError.invalidTensor(path: path, tensor: name, reason: "strides \(t.stride) of shape \(t.shape) are not row-major")
                }
                expected *= d
            }
            let start = t.offset * t.dtype.byteSize, length = count * t.dtype.byteSize
            guard t.offset >= 0, start <= size, length <= size - start else {
                throw WeightsError.invalidTensor(
                    path: path, tensor: name, reason: "elements \(t.offset)..<\(t.offset + count) lie outside its storage of \(size) bytes")
            }
            entries[name] = SafetensorsEntry(name: name, dtype: t.dtype, shape: t.shape, begin: begin + start, end: begin + start + length)
        }
        return SafetensorsHeader(entries: entries, metadata: ["format": "pytorch"], dataStart: 0)
    }

    struct TensorRef {
        let storageKey: String
        let dtype: SafetensorsDType
        let offset: Int
        let shape: [Int]
        let stride: [Int]
    }

    /// Tensors of a state dict, also one level down (`{"model": {...}}`, `{"state_dict": {...}}`).
    private static func collect(_ v: PickleValue, prefix: String, into out: inout [(String, TensorRef)], depth: Int, path: String) throws {
        guard case .dict(let items) = v else {
            throw WeightsError.invalidFile(path: path, reason: "the pickle's root is not a dict of tensors")
        }
        for (key, value) in items {
            guard case .string(let name) = key else { continue }
            switch value {
            case .tensor(let t): out.append((prefix + name, t))
            case .dict where depth < 2:
                // A nested state dict keeps its own names (what load_state_dict(sd["model"]) would see).
                try collect(value, prefix: prefix, into: &out, depth: depth + 1, path: path)
            default: continue
            }
        }
    }
}

// MARK: - Zip

/// The central directory of a zip, with Zip64; only stored (uncompressed) members can be read.
struct ZipDirectory {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// Member name → (data offset, size).
    private(set) var members: [String: (Int, Int)] = [:]

    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        self.bytes = bytes
        self.path = path
        func bad(_ r: String) -> WeightsError { .invalidFile(path: path, reason: "zip: \(r)") }
        let n = bytes.count
        guard n >= 22 else { throw bad("too short") }
        // End of central directory: the last 0x06054b50 within 64 KiB + 22 of the end.
        var eocd = -1
        var i = n - 22
        while i >= max(0, n - 22 - 65_535) {
            if u32(i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record") }
        var count = Int(u16(eocd + 10))
        var cdSize = Int(u32(eocd + 12))
        var cdOffset = Int(u32(eocd + 16))
        if count == 0xFFFF || cdOffset == 0xFFFF_FFFF || cdSize == 0xFFFF_FFFF {
            // Zip64: the locator sits just before the EOCD and points at the Zip64 EOCD record.
            guard eocd >= 20, u32(eocd - 20) == 0x0706_4b50 else { throw bad("Zip64 sizes without a Zip64 locator") }
            let record = try int(u64(eocd - 12))
            guard record >= 0, record + 56 <= n, u32(record) == 0x0606_4b50 else { throw bad("bad Zip64 end record") }
            count = try int(u64(record + 32))
            cdSize = try int(u64(record + 40))
            cdOffset = try int(u64(record + 48))
        }
        guard count >= 0, count <= 10_000_000, cdOffset >= 0, cdSize >= 0, cdOffset <= n, cdSize <= n - cdOffset else {
            throw bad("central directory outside the file")
        }
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= n, u32(p) == 0x0201_4b50 else { throw bad("bad central directory entry") }
            let method = u16(p + 10)
            var compressed = Int(u32(p + 20))
            var size = Int(u32(p + 24))
            let nameLength = Int(u16(p + 28)), extraLength = Int(u16(p + 30)), commentLength = Int(u16(p + 32))
            var local = Int(u32(p + 42))
            guard p + 46 + nameLength + extraLength + commentLength <= n else { throw bad("entry name outside the file") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
            // Zip64 extra field: the 0xFFFFFFFF fields, in the order size, compressed, local offset.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(e), len = Int(u16(e + 2))
                guard e + 4 + len <= extraEnd else { break }
                if id == 0x0001 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF, q + 8 <= e + 4 + len { size = try int(u64(q)); q += 8 }
                    if compressed == 0xFFFF_FFFF, q + 8 <= e + 4 + len { compressed = try int(u64(q)); q += 8 }
                    if local == 0xFFFF_FFFF, q + 8 <= e + 4 + len { local = try int(u64(q)) }
                }
                e += 4 + len
            }
            p = extraEnd + commentLength
            guard method == 0 else { continue }  // compressed members are not tensor data; skip them
            guard local >= 0, local + 30 <= n, u32(local) == 0x0403_4b50 else { throw bad("bad local header of \(name)") }
            let data = local + 30 + Int(u16(local + 26)) + Int(u16(local + 28))
            guard data <= n, size >= 0, size == compressed, size <= n - data else { throw bad("member \(name) outside the file") }
            members[name] = (data, size)
        }
    }

    func member(_ name: String) -> (Int, Int)? { members[name] }

    func data(_ name: String) throws -> [UInt8] {
        guard let (start, size) = members[name] else { throw WeightsError.invalidFile(path: path, reason: "zip: no member \(name)") }
        return Array(bytes[start..<(start + size)])
    }

    private func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
    private func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }
    private func u64(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) } }
    private func int(_ v: UInt64) throws -> Int {
        guard v <= UInt64(Int.max) else { throw WeightsError.invalidFile(path: path, reason: "zip: size \(v) too large") }
        return Int(v)
    }
}

// MARK: - Restricted unpickler

/// What the restricted unpickler builds.
indirect enum PickleValue {
    case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
    case tuple([PickleValue]), list([PickleValue]), dict([(PickleValue, PickleValue)])
    /// An allowed global (a constructor we know), by "module.name".
    case global(String)
    /// A typed storage from a persistent id: (storage key, dtype).
    case storage(String, SafetensorsDType)
    case tensor(TorchCheckpoint.TensorRef)
    case mark
}

struct RestrictedUnpickler {
    let bytes: [UInt8]
    let path: String
    var pos = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]

    static let maxMarks = 1000
    static let maxMemo = 10_000_000

    /// Globals `torch.save` writes for a state dict; everything else is refused.
    static let storages: [String: SafetensorsDType] = [
        "torch.FloatStorage": .f32, "torch.HalfStorage": .f16, "torch.BFloat16Storage": .bf16, "torch.DoubleStorage": .f64,
        "torch.LongStorage": .i64, "torch.IntStorage": .i32, "torch.ShortStorage": .i16, "torch.CharStorage": .i8,
        "torch.ByteStorage": .u8, "torch.BoolStorage": .bool,
    ]
    static let callables: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    ]

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    func bad(_ r: String) -> WeightsError { .invalidFile(path: path, reason: "pickle: \(r)") }

    mutating func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw bad("ends early") }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else { throw bad("a length of \(n) runs past the end") }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    mutating func uint(_ n: Int) throws -> Int {
        let b = try take(n)
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        guard v <= UInt64(Int.max) else { throw bad("length too large") }
        return Int(v)
    }

    mutating func line() throws -> String {
        guard let end = bytes[pos...].firstIndex(of: 0x0A) else { throw bad("unterminated line") }
        defer { pos = end + 1 }
        return String(decoding: bytes[pos..<end], as: UTF8.self)
    }

    mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw bad("stack underflow") }
        return v
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw bad("no MARK") }
        defer { stack.removeLast(stack.count - m) }
        return Array(stack[m...])
    }

    mutating func put(_ index: Int) throws {
        guard let top = stack.last else { throw bad("memo of an empty stack") }
        guard index >= 0, memo.count < Self.maxMemo else { throw bad("memo too large") }
        memo[index] = top
    }

    mutating func get(_ index: Int) throws {
        guard let v = memo[index] else { throw bad("memo \(index) was never stored") }
        stack.append(v)
    }

    mutating func load() throws -> PickleValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E: return try pop()  // STOP
            case 0x28:  // MARK
                guard marks.count < Self.maxMarks else { throw bad("nesting deeper than \(Self.maxMarks)") }
                marks.append(stack.count)
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int(Int32(bitPattern: UInt32(try uint(4))))))  // BININT
            case 0x4B: stack.append(.int(try uint(1)))  // BININT1
            case 0x4D: stack.append(.int(try uint(2)))  // BININT2
            case 0x8A:  // LONG1
                let n = Int(try byte())
                let b = try take(n)
                guard n <= 8 else { throw bad("integer of \(n) bytes") }
                var v: UInt64 = 0
                for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
                if n > 0, n < 8, b.last! & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
                stack.append(.int(Int(Int64(bitPattern: v))))
            case 0x47:  // BINFLOAT (big-endian)
                let b = try take(8)
                stack.append(.float(Double(bitPattern: b.reduce(0) { $0 << 8 | UInt64($1) })))
            case 0x58: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(String(decoding: try take(try uint(8)), as: UTF8.self)))  // BINUNICODE8
            case 0x55: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x54: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINSTRING
            case 0x43: stack.append(.bytes(Array(try take(try uint(1)))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try take(try uint(4)))))  // BINBYTES
            case 0x29: stack.append(.tuple([]))
            case 0x5D: stack.append(.list([]))
            case 0x7D: stack.append(.dict([]))
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))
            case 0x86:
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x6C: stack.append(.list(try popMark()))  // LIST
            case 0x61:  // APPEND
                let v = try pop()
                guard case .list(var l) = try pop() else { throw bad("APPEND to a non-list") }
                l.append(v)
                stack.append(.list(l))
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case .list(var l) = try pop() else { throw bad("APPENDS to a non-list") }
                l += items
                stack.append(.list(l))
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                guard case .dict(var d) = try pop() else { throw bad("SETITEM on a non-dict") }
                d.append((k, v))
                stack.append(.dict(d))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0, case .dict(var d) = try pop() else { throw bad("SETITEMS on a non-dict") }
                for i in stride(from: 0, to: items.count, by: 2) { d.append((items[i], items[i + 1])) }
                stack.append(.dict(d))
            case 0x71: try put(try uint(1))  // BINPUT
            case 0x72: try put(try uint(4))  // LONG_BINPUT
            case 0x94: try put(memo.count)  // MEMOIZE
            case 0x68: try get(try uint(1))  // BINGET
            case 0x6A: try get(try uint(4))  // LONG_BINGET
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(try global(module + "." + name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw bad("STACK_GLOBAL needs two strings")
                }
                stack.append(try global(module + "." + name))
            case 0x51:  // BINPERSID: ('storage', storage_type, key, location, numel)
                guard case .tuple(let id) = try pop(), id.count >= 3, case .string("storage") = id[0],
                    case .storage(_, let dtype) = id[1], case .string(let key) = id[2]
                else { throw bad("a persistent id that is not a torch storage") }
                stack.append(.storage(key, dtype))
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try reduce(callable, args))
            case 0x62:  // BUILD: state on an OrderedDict (its _metadata); nothing else takes state
                _ = try pop()
                guard case .dict = stack.last else { throw bad("BUILD on something other than a dict") }
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32:  // DUP
                guard let top = stack.last else { throw bad("DUP of an empty stack") }
                stack.append(top)
            default:
                throw bad(String(format: "opcode 0x%02x at byte %d is not one torch.save writes for tensors; refused", op, pos - 1))
            }
        }
    }

    func global(_ name: String) throws -> PickleValue {
        if let dtype = Self.storages[name] { return .storage("", dtype) }
        guard Self.callables.contains(name) else {
            throw bad("refusing global '\(name)': only torch tensor storages and rebuild functions are allowed")
        }
        return .global(name)
    }

    func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let name) = callable, case .tuple(let a) = args else {
            throw bad("REDUCE of something that is not an allowed callable")
        }
        switch name {
        case "collections.OrderedDict":
            return .dict([])
        case "torch._utils._rebuild_tensor_v2":
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard a.count >= 4, case .storage(let key, let dtype) = a[0], case .int(let offset) = a[1],
                case .tuple(let size) = a[2], case .tuple(let stride) = a[3]
            else { throw bad("_rebuild_tensor_v2 with unexpected arguments") }
            func ints(_ v: [PickleValue]) throws -> [Int] {
                try v.map {
                    guard case .int(let i) = $0 else { throw bad("a tensor size that is not an integer") }
                    return i
                }
            }
            return .tensor(
                TorchCheckpoint.TensorRef(storageKey: key, dtype: dtype, offset: offset, shape: try ints(size), stride: try ints(stride)))
        case "torch._utils._rebuild_parameter":
            guard let t = a.first, case .tensor = t else { throw bad("_rebuild_parameter without a tensor") }
            return t
        default:
            throw bad("refusing call of '\(name)'")
        }
    }
}
