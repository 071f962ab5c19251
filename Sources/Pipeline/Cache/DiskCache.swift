// Pipeline — the on-disk half of the per-step and result caches: content-addressed entries, written
// atomically, verified on read, evicted by size. Safe when several processes (or machines, over a
// shared folder) use one folder at once: no locks, only unique temporary names and rename(2).
import Foundation
import Sampler

/// A folder of cache entries `<kind>-<key>.oec`: magic, payload length, payload, SHA-256 of the payload.
final class DiskCache: @unchecked Sendable {
    static let magic: [UInt8] = Array("OMNIEDC1".utf8)
    /// Largest entry accepted on read (a corrupt length must not make us allocate terabytes).
    static let maxEntryBytes = 16 << 30

    let folder: URL
    /// Bytes kept on disk; older entries (by modification time) are deleted beyond it.
    let budgetBytes: Int
    private let lock = NSLock()
    /// Bytes this process believes are on disk: counted once, then by what it writes; the folder is
    /// listed again (other processes write too) every `rescanEvery` writes or when over budget.
    private var knownBytes: Int?
    private var writesSinceScan = 0
    static let rescanEvery = 64

    init(folder: URL, budgetBytes: Int) throws {
        self.folder = folder
        self.budgetBytes = budgetBytes
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw PipelineError.invalidInput("cannot create the cache folder '\(folder.path)': \(error.localizedDescription)")
        }
    }

    func url(kind: String, key: String) -> URL { folder.appendingPathComponent("\(kind)-\(key).oec") }

    /// The payload of an entry, or nil when absent or corrupt (a corrupt entry is deleted).
    func read(kind: String, key: String) -> [UInt8]? {
        let url = url(kind: kind, key: key)
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        let bytes = [UInt8](data)
        let head = Self.magic.count + 8
        guard bytes.count >= head + 32, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            discard(url)
            return nil
        }
        var length = 0
        for i in 0..<8 { length |= Int(bytes[Self.magic.count + i]) << (8 * i) }
        guard length >= 0, length <= Self.maxEntryBytes, bytes.count == head + length + 32 else {
            discard(url)
            return nil
        }
        let payload = Array(bytes[head..<(head + length)])
        var sha = SHA256()
        sha.update(data: payload)
        guard sha.finalize() == Array(bytes[(head + length)...]) else {
            discard(url)
            return nil
        }
        // Reading counts as use for eviction.
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: url.path)
        return payload
    }

    /// Writes an entry atomically (a unique temporary file renamed over the name), then evicts.
    func write(kind: String, key: String, payload: [UInt8]) {
        var bytes = Self.magic
        var length = payload.count
        for _ in 0..<8 {
            bytes.append(UInt8(length & 0xff))
            length >>= 8
        }
        bytes += payload
        var sha = SHA256()
        sha.update(data: payload)
        bytes += sha.finalize()
        let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let temp = folder.appendingPathComponent(
            ".tmp-\(host)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        do {
            try Data(bytes).write(to: temp)
            guard rename(temp.path, url(kind: kind, key: key).path) == 0 else {
                try? FileManager.default.removeItem(at: temp)
                return
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            return
        }
        evict(added: bytes.count)
    }

    func remove(kind: String, key: String) { discard(url(kind: kind, key: key)) }

    private func discard(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// Entries and their sizes, oldest first.
    func entries() -> [(url: URL, bytes: Int, date: Date)] {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        guard let urls = try? FileManager.default.contentsOfDirectory(
            at: folder, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles])
        else { return [] }
        return urls.filter { $0.pathExtension == "oec" }.compactMap { url in
            guard let v = try? url.resourceValues(forKeys: Set(keys)) else { return nil }
            return (url, v.fileSize ?? 0, v.contentModificationDate ?? .distantPast)
        }.sorted { $0.date < $1.date }
    }

    /// Bytes used by entries.
    var usedBytes: Int { entries().reduce(0) { $0 + $1.bytes } }

    /// Deletes the oldest entries until the folder fits the budget. Lists the folder only when the
    /// running count says it may be over budget, or every `rescanEvery` writes.
    func evict(added: Int = 0) {
        lock.lock()
        defer { lock.unlock() }
        writesSinceScan += 1
        if let known = knownBytes, known + added <= budgetBytes, writesSinceScan < Self.rescanEvery {
            knownBytes = known + added
            return
        }
        writesSinceScan = 0
        var all = entries()
        var total = all.reduce(0) { $0 + $1.bytes }
        while total > budgetBytes, !all.isEmpty {
            let oldest = all.removeFirst()
            discard(oldest.url)
            total -= oldest.bytes
        }
        knownBytes = total
    }
}
