// Pipeline — the on-disk half of the per-step and result caches: content-addressed entries, written
// atomically, verified on read, evicted by size. Safe when several processes (or machines, over a
// shared folder) use one folder at once: no locks (flock does not work across NFS clients), only
// unique temporary names per host and process, and rename(2), which is atomic on NFS too.
import Foundation
import Sampler
import UserMessages

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
            throw PipelineError.invalidInput("cannot create the cache folder '\(folder.path)': \(UserMessage.reason(error))")
        }
    }

    func url(kind: String, key: String) -> URL { folder.appendingPathComponent("\(kind)-\(key).oec") }

    /// The payload of an entry, or nil when absent or corrupt (a corrupt entry is deleted).
    func read(kind: String, key: String) -> [UInt8]? {
        let url = url(kind: kind, key: key)
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        guard let payload = Self.payload(of: [UInt8](data)) else {
            discard(url, ifStill: handle)
            return nil
        }
        // Reading counts as use for eviction.
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: url.path)
        return payload
    }

    /// The payload of an entry file's bytes, or nil when they are not a whole, intact entry.
    static func payload(of bytes: [UInt8]) -> [UInt8]? {
        let head = magic.count + 8
        guard bytes.count >= head + 32, Array(bytes[0..<magic.count]) == magic else { return nil }
        var length = 0
        for i in 0..<8 { length |= Int(bytes[magic.count + i]) << (8 * i) }
        guard length >= 0, length <= maxEntryBytes, bytes.count == head + length + 32 else { return nil }
        let payload = Array(bytes[head..<(head + length)])
        var sha = SHA256()
        sha.update(data: payload)
        guard sha.finalize() == Array(bytes[(head + length)...]) else { return nil }
        return payload
    }

    /// Writes an entry atomically, then evicts. The bytes go to a temporary name no other process or
    /// machine uses (host, pid, random), are flushed to the disk, and only then renamed over the
    /// entry's name: a writer killed at any point leaves either no entry or a whole one (and maybe a
    /// hidden temporary, which readers never open and `evict` deletes once stale).
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
            // Flushed before the rename: after a machine crash the name must not point at lost data
            // (the checksum would catch it, but a valid neighbour's work would be lost for nothing).
            if let handle = try? FileHandle(forWritingTo: temp) {
                try? handle.synchronize()
                try? handle.close()
            }
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

    /// Deletes a corrupt entry only if the name still points at the file that was read: another
    /// process may have renamed a whole entry over it meanwhile, which must stay.
    func discard(_ url: URL, ifStill handle: FileHandle) {
        var opened = stat(), named = stat()
        guard fstat(handle.fileDescriptor, &opened) == 0, stat(url.path, &named) == 0,
            opened.st_dev == named.st_dev, opened.st_ino == named.st_ino
        else { return }
        discard(url)
    }

    /// A temporary older than this belongs to a writer that died (a write takes seconds); generous,
    /// since machines sharing a folder may disagree about the time.
    static let staleTemporarySeconds: TimeInterval = 3600

    /// Deletes temporaries left by killed writers (on any machine).
    func removeStaleTemporaries(now: Date = Date()) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(".tmp-") {
            let path = folder.appendingPathComponent(name).path
            if let date = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                now.timeIntervalSince(date) > Self.staleTemporarySeconds
            {
                try? fm.removeItem(atPath: path)
            }
        }
    }

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
        removeStaleTemporaries()
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
