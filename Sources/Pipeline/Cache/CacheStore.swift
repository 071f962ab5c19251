// Pipeline — the per-step cache (sampler states by their cache keys) and the result cache (a window's
// decoded frames at the model's resolution by a key of everything that made them), each in memory
// (LRU by bytes) and on disk (DiskCache). Shared by every job in the process that names the same folder.
import Foundation
import Sampler

/// A window's edited frames at the model's resolution: `[3, frames, height, width]` in [−1, 1] units —
/// the decoded edit, or the decoded edit minus the decoded source (`CompositeMode.keepSourceDetail`).
public struct WindowResult: Sendable, Hashable {
    public let frames: Int
    public let height: Int
    public let width: Int
    public let values: [Float]

    /// Channel `c` of frame `f`, `height × width` values.
    func plane(frame f: Int, channel c: Int) -> ArraySlice<Float> {
        let n = height * width
        let start = (c * frames + f) * n
        return values[start..<(start + n)]
    }
}

/// Bytes for the cache files (little-endian, what every machine we build for is).
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        int(u.count)
        bytes += u
    }
    mutating func floats(_ v: [Float]) {
        int(v.count)
        v.withUnsafeBytes { bytes += $0 }
    }
    mutating func double(_ v: Double) { int(Int(Int64(bitPattern: v.bitPattern))) }
}

/// Reads what ByteWriter wrote; every length is bounded by the bytes left, so a damaged entry throws.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    struct Damaged: Error {}
    mutating func int() throws -> Int {
        guard offset + 8 <= bytes.count else { throw Damaged() }
        var v: Int64 = 0
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: bytes[offset..<(offset + 8)]) }
        offset += 8
        return Int(Int64(littleEndian: v))
    }
    mutating func count(_ elementSize: Int) throws -> Int {
        let n = try int()
        guard n >= 0, n <= (bytes.count - offset) / elementSize else { throw Damaged() }
        return n
    }
    mutating func string() throws -> String {
        let n = try count(1)
        defer { offset += n }
        return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
    }
    mutating func floats() throws -> [Float] {
        let n = try count(4)
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBytes { $0.copyBytes(from: bytes[offset..<(offset + 4 * n)]) }
        offset += 4 * n
        return out
    }
    mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: Int64(try int()))) }
}

/// Least-recently-used values with a byte budget.
final class MemoryLRU<Value>: @unchecked Sendable {
    private var items: [String: (value: Value, bytes: Int, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    private var used = 0
    private let lock = NSLock()
    var budgetBytes: Int

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    func get(_ key: String) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        guard var item = items[key] else { return nil }
        tick += 1
        item.tick = tick
        items[key] = item
        return item.value
    }

    func put(_ key: String, _ value: Value, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= budgetBytes else { return }
        if let old = items[key] { used -= old.bytes }
        tick += 1
        items[key] = (value, bytes, tick)
        used += bytes
        while used > budgetBytes, let oldest = items.min(by: { $0.value.tick < $1.value.tick }) {
            items[oldest.key] = nil
            used -= oldest.value.bytes
        }
    }

    func remove(_ key: String) {
        lock.lock()
        defer { lock.unlock() }
        if let old = items.removeValue(forKey: key) { used -= old.bytes }
    }

    func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        items = [:]
        used = 0
    }
}

/// The caches of one cache folder. `CacheStore.shared(folder:budgetMB:)` gives every job of the
/// process the same store for the same folder, so two instances share what they computed.
public final class CacheStore: @unchecked Sendable {
    /// Most memory held by cached steps and results (the disk budget is the user's `cacheSizeMB`).
    static let memoryBudgetBytes = 512 << 20

    let disk: DiskCache?
    let steps: MemoryLRU<StepState>
    let results: MemoryLRU<WindowResult>
    let avResults: MemoryLRU<AVWindowResult>
    /// Keys this store wrote, for `clear()` of one effect instance's entries.
    private var written: Set<String> = []
    private let lock = NSLock()

    /// `budgetMB` 0 keeps only the latest window result in memory: nothing on disk, no step states.
    public init(folder: URL?, budgetMB: Int) throws {
        let budget = max(0, budgetMB) << 20
        disk = try folder.flatMap { budget > 0 ? try DiskCache(folder: $0, budgetBytes: budget) : nil }
        steps = MemoryLRU(budgetBytes: budget > 0 ? min(budget, Self.memoryBudgetBytes) : 0)
        results = MemoryLRU(budgetBytes: budget > 0 ? min(budget, Self.memoryBudgetBytes) : 64 << 20)
        avResults = MemoryLRU(budgetBytes: budget > 0 ? min(budget, Self.memoryBudgetBytes) : 64 << 20)
    }

    /// The default folder: `$XDG_CACHE_HOME/omniedit`, else `~/.cache/omniedit`.
    public static var defaultFolder: URL {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("omniedit")
        }
        return URL(fileURLWithPath: env["HOME"] ?? NSTemporaryDirectory()).appendingPathComponent(".cache/omniedit")
    }

    nonisolated(unsafe) private static var stores: [String: CacheStore] = [:]
    private static let storesLock = NSLock()

    /// The process-wide store of `folder` (nil = the default folder) with `budgetMB`.
    public static func shared(folder: String?, budgetMB: Int) throws -> CacheStore {
        let url = (folder?.isEmpty ?? true) ? defaultFolder : URL(fileURLWithPath: folder!)
        let name = "\(url.standardizedFileURL.path)|\(budgetMB)"
        storesLock.lock()
        defer { storesLock.unlock() }
        if let s = stores[name] { return s }
        let s = try CacheStore(folder: url, budgetMB: budgetMB)
        stores[name] = s
        return s
    }

    // MARK: Steps

    func step(_ key: CacheKey) -> StepState? {
        let name = key.description
        if let s = steps.get(name) { return s }
        guard let disk, let payload = disk.read(kind: "step", key: name),
            let s = try? Self.decodeStep(payload), s.cacheKey == key
        else { return nil }
        steps.put(name, s, bytes: payload.count)
        return s
    }

    func putStep(_ state: StepState) {
        let name = state.cacheKey.description
        let payload = Self.encodeStep(state)
        steps.put(name, state, bytes: payload.count)
        disk?.write(kind: "step", key: name, payload: payload)
        remember("step-" + name)
    }

    static func encodeStep(_ s: StepState) -> [UInt8] {
        var w = ByteWriter()
        w.int(s.step)
        w.bytes += s.cacheKey.bytes
        w.int(s.z.parts.count)
        // Bit 0: the noise n follows each part; bit 1: step-cache memory follows the parts (entries written
        // before step caching hold 0 or 1 and read the same).
        w.int((s.noise == nil ? 0 : 1) | (s.reuse == nil ? 0 : 2))
        for (i, part) in s.z.parts.enumerated() {
            w.string(part.name)
            w.int(part.shape.count)
            for d in part.shape { w.int(d) }
            w.floats(part.values)
            if let n = s.noise { w.floats(n.parts[i].values) }
        }
        if let m = s.reuse {
            w.int(m.lastCallStep)
            w.int(m.rate == nil ? 0 : 1)
            w.double(m.rate ?? 0)
            w.double(m.accumulated)
            w.int(m.requestsReused)
            w.int(m.estimates.count)
            for e in m.estimates {
                w.int(e.slot.rawValue)
                for part in e.cleanEstimate.parts { w.floats(part.values) }
            }
        }
        return w.bytes
    }

    /// The step-cache memory after a state's parts, its estimates laid out like `z`.
    private static func decodeReuse(_ r: inout ByteReader, like z: Latent) throws -> StepCacheMemory {
        let lastCallStep = try r.int()
        let hasRate = try r.int() == 1
        let rate = try r.double()
        let accumulated = try r.double()
        let reused = try r.int()
        let count = try r.count(8)
        guard count <= ReuseSlot.allCases.count else { throw ByteReader.Damaged() }
        var estimates: [ReusedEstimate] = []
        for _ in 0..<count {
            guard let slot = ReuseSlot(rawValue: try r.int()) else { throw ByteReader.Damaged() }
            let parts = try z.parts.map { p in
                let values = try r.floats()
                guard values.count == p.count else { throw ByteReader.Damaged() }
                return try LatentPart(name: p.name, shape: p.shape, values: values)
            }
            estimates.append(ReusedEstimate(slot: slot, cleanEstimate: try Latent(parts: parts)))
        }
        return StepCacheMemory(
            estimates: estimates, lastCallStep: lastCallStep, rate: hasRate ? rate : nil, accumulated: accumulated,
            requestsReused: reused)
    }

    static func decodeStep(_ payload: [UInt8]) throws -> StepState {
        var r = ByteReader(bytes: payload)
        let step = try r.int()
        guard r.offset + 32 <= payload.count else { throw ByteReader.Damaged() }
        let key = Array(payload[r.offset..<(r.offset + 32)])
        r.offset += 32
        let count = try r.count(1)
        let flags = try r.int()
        guard (0...3).contains(flags) else { throw ByteReader.Damaged() }
        let hasNoise = flags & 1 == 1
        var z: [LatentPart] = []
        var n: [LatentPart] = []
        for _ in 0..<count {
            let name = try r.string()
            let rank = try r.count(8)
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try r.int()) }
            z.append(try LatentPart(name: name, shape: shape, values: try r.floats()))
            if hasNoise { n.append(try LatentPart(name: name, shape: shape, values: try r.floats())) }
        }
        let zLatent = try Latent(parts: z)
        let reuse = flags & 2 == 2 ? try decodeReuse(&r, like: zLatent) : nil
        guard r.offset == payload.count else { throw ByteReader.Damaged() }
        return StepState(
            step: step, z: zLatent, noise: hasNoise ? try Latent(parts: n) : nil,
            cacheKey: CacheKey(bytes: key), reuse: reuse)
    }

    // MARK: Results

    func result(_ key: String) -> WindowResult? {
        if let r = results.get(key) { return r }
        guard let disk, let payload = disk.read(kind: "result", key: key) else { return nil }
        var r = ByteReader(bytes: payload)
        guard let result = try? Self.readWindow(&r), r.offset == payload.count else {
            disk.remove(kind: "result", key: key)
            return nil
        }
        results.put(key, result, bytes: payload.count)
        return result
    }

    static func write(_ result: WindowResult, to w: inout ByteWriter) {
        w.int(result.frames)
        w.int(result.height)
        w.int(result.width)
        w.floats(result.values)
    }

    static func readWindow(_ r: inout ByteReader) throws -> WindowResult {
        let frames = try r.int(), height = try r.int(), width = try r.int()
        let values = try r.floats()
        guard frames > 0, height > 0, width > 0, values.count == 3 * frames * height * width else {
            throw ByteReader.Damaged()
        }
        return WindowResult(frames: frames, height: height, width: width, values: values)
    }

    /// An AV Edit window result: the frames as `result`, then the rate, the channel count and each channel.
    func avResult(_ key: String) -> AVWindowResult? {
        if let r = avResults.get(key) { return r }
        guard let disk, let payload = disk.read(kind: "avresult", key: key) else { return nil }
        var r = ByteReader(bytes: payload)
        guard let video = try? Self.readWindow(&r), let rate = try? r.int(), let channels = try? r.count(8),
            (1...65_536).contains(rate), channels > 0,
            let audio = try? (0..<channels).map({ _ in try r.floats() }),
            Set(audio.map(\.count)).count == 1, r.offset == payload.count
        else {
            disk.remove(kind: "avresult", key: key)
            return nil
        }
        let result = AVWindowResult(video: video, audio: audio, sampleRate: rate)
        avResults.put(key, result, bytes: payload.count)
        return result
    }

    func putAVResult(_ key: String, _ result: AVWindowResult) {
        var w = ByteWriter()
        Self.write(result.video, to: &w)
        w.int(result.sampleRate)
        w.int(result.audio.count)
        for channel in result.audio { w.floats(channel) }
        avResults.put(key, result, bytes: w.bytes.count)
        disk?.write(kind: "avresult", key: key, payload: w.bytes)
        remember("avresult-" + key)
    }

    func putResult(_ key: String, _ result: WindowResult) {
        var w = ByteWriter()
        Self.write(result, to: &w)
        results.put(key, result, bytes: w.bytes.count)
        disk?.write(kind: "result", key: key, payload: w.bytes)
        remember("result-" + key)
    }

    private func remember(_ name: String) {
        lock.lock()
        written.insert(name)
        lock.unlock()
    }

    /// Deletes every entry this store wrote, in memory and on disk. Returns how many files went.
    @discardableResult
    public func clear() -> Int {
        lock.lock()
        let names = written
        written = []
        lock.unlock()
        steps.removeAll()
        results.removeAll()
        avResults.removeAll()
        var removed = 0
        for name in names {
            guard let dash = name.firstIndex(of: "-") else { continue }
            let kind = String(name[..<dash]), key = String(name[name.index(after: dash)...])
            if let disk, FileManager.default.fileExists(atPath: disk.url(kind: kind, key: key).path) {
                disk.remove(kind: kind, key: key)
                removed += 1
            }
        }
        return removed
    }

    /// Bytes on disk in this store's folder.
    public var diskBytes: Int { disk?.usedBytes ?? 0 }
}
