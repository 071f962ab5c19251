// The disk cache as several processes and machines share it: temporaries are unique per host and
// process and never read, a killed writer's leftovers are removed once stale, and a damaged entry is
// deleted only while its name still points at the damaged file (a whole entry renamed over it stays).
import Foundation
@testable import Pipeline
import XCTest

final class DiskCacheSharingTests: XCTestCase {
    private func folder() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("omniedit-diskcache-\(getpid())-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testLeftoversOfKilledWritersAreNeverReadAndGoOnceStale() throws {
        let dir = try folder()
        let cache = try DiskCache(folder: dir, budgetBytes: 1 << 20)
        cache.write(kind: "step", key: "a", payload: [1, 2, 3])
        XCTAssertEqual(cache.read(kind: "step", key: "a"), [1, 2, 3])
        // What a writer killed mid-write leaves: half an entry under a temporary name.
        let whole = try Data(contentsOf: cache.url(kind: "step", key: "a"))
        let stale = dir.appendingPathComponent(".tmp-otherhost-4242-1"), fresh = dir.appendingPathComponent(".tmp-otherhost-4243-2")
        try whole.prefix(10).write(to: stale)
        try whole.prefix(10).write(to: fresh)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: stale.path)
        XCTAssertEqual(cache.entries().count, 1, "temporaries are not entries")
        cache.removeStaleTemporaries()
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "an hour-old temporary belongs to a dead writer")
        XCTAssertTrue(FileManager.default.fileExists(atPath: fresh.path), "a recent one may be a live writer's on another machine")
        XCTAssertEqual(cache.read(kind: "step", key: "a"), [1, 2, 3])
        XCTAssertNil(DiskCache.payload(of: [UInt8](whole.prefix(whole.count - 1))), "a truncated entry is not an entry")
    }

    func testADamagedEntryIsDeletedButAWholeOneRenamedOverItStays() throws {
        let dir = try folder()
        let cache = try DiskCache(folder: dir, budgetBytes: 1 << 20)
        cache.write(kind: "result", key: "k", payload: Array(repeating: 7, count: 100))
        let url = cache.url(kind: "result", key: "k")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[20] ^= 0xFF
        try Data(bytes).write(to: url)
        XCTAssertNil(cache.read(kind: "result", key: "k"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "a damaged entry is deleted")
        // Another process renames a whole entry over the name while this one holds the damaged file open.
        try Data(bytes).write(to: url)
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let other = try DiskCache(folder: dir, budgetBytes: 1 << 20)
        other.write(kind: "result", key: "k", payload: Array(repeating: 7, count: 100))
        XCTAssertNil(DiskCache.payload(of: [UInt8](try handle.readToEnd() ?? Data())), "the open file is the damaged one")
        cache.discard(url, ifStill: handle)
        XCTAssertEqual(cache.read(kind: "result", key: "k"), Array(repeating: 7, count: 100), "the whole entry stays")
    }
}
