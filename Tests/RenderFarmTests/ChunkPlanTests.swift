// The chunk plan: whole windows per chunk, frame ranges that partition the clip, every window a
// chunk's frames need either owned or borrowed from the next chunk, and the windows of a plugin
// recovered from its frames-needed answers exactly.
import Pipeline
import RenderFarm
import XCTest

final class ChunkPlanTests: XCTestCase {
    /// HuMo's windows over a 1200-frame shot (the issue's example) and small ones with heavy overlaps.
    let plans = [
        WindowPlan(frames: 0...1199, length: 97, overlap: 16), WindowPlan(frames: 0...19, length: 9, overlap: 4),
        WindowPlan(frames: 5...44, length: 9, overlap: 8), WindowPlan(frames: 0...100, length: 25, overlap: 0),
        WindowPlan(frames: 3...3, length: 9, overlap: 2),
    ]

    func testChunksOwnWholeWindowsPartitionTheClipAndBorrowOnlyTheNextChunksWindows() throws {
        for plan in plans {
            for n in 1...plan.windows.count {
                let chunks = try ChunkPlan(clip: plan.frames, windows: plan.windows, chunks: n).chunks
                XCTAssertEqual(chunks.count, n)
                XCTAssertEqual(chunks.flatMap(\.windows), Array(plan.windows.indices), "every window owned once, in order")
                let sizes = chunks.map(\.windows.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "even split \(sizes)")
                XCTAssertEqual(chunks.first?.first, plan.frames.lowerBound)
                XCTAssertEqual(chunks.last?.last, plan.frames.upperBound)
                for (a, b) in zip(chunks, chunks.dropFirst()) { XCTAssertEqual(a.last + 1, b.first, "ranges partition the clip") }
                for c in chunks {
                    XCTAssertEqual(c.chunk, chunks.firstIndex(of: c)! + 1)
                    // Every window any of its frames needs is its own or borrowed; borrowed ones belong to the next chunk.
                    var needed = Set<Int>()
                    for f in c.first...c.last { needed.formUnion(plan.windows(containing: f)) }
                    XCTAssertEqual(needed, Set(c.windows + c.borrows), "chunk \(c.chunk) of \(n) over \(plan.frames)")
                    if let next = chunks.first(where: { $0.chunk == c.chunk + 1 }) {
                        // The next chunk's first window; later ones too only where windows overlap more than neighbours.
                        XCTAssertEqual(c.borrows.first, next.windows.first)
                        XCTAssertTrue(c.borrows.allSatisfy { $0 > c.windows.last! })
                    } else {
                        XCTAssertEqual(c.borrows, [])
                    }
                }
            }
        }
    }

    func testTheIssuesExampleBorrowsOneWindowPerBoundary() throws {
        let plan = WindowPlan(frames: 0...1199, length: 97, overlap: 16)
        let chunks = try ChunkPlan(clip: plan.frames, windows: plan.windows, chunks: 4).chunks
        XCTAssertEqual(plan.windows.count, 15)
        XCTAssertEqual(chunks.map(\.windows.count), [3, 4, 4, 4])
        XCTAssertEqual(chunks.map(\.borrows.count), [1, 1, 1, 0])
        XCTAssertEqual(chunks[0].first, 0)
        XCTAssertEqual(chunks[0].last, plan.windows[2].upperBound)
        XCTAssertEqual(chunks[1].first, plan.windows[2].upperBound + 1)
    }

    /// Chunks rendered one after another (in any order) over one shared cache compute each window once.
    func testChunksRunInTurnComputeEveryWindowOnce() throws {
        let plan = WindowPlan(frames: 0...1199, length: 97, overlap: 16)
        let chunks = try ChunkPlan(clip: plan.frames, windows: plan.windows, chunks: 5).chunks
        for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]] {
            var cached = Set<Int>(), computed = 0
            for k in order {
                for f in chunks[k].first...chunks[k].last {
                    for w in plan.windows(containing: f) where !cached.contains(w) {
                        cached.insert(w)
                        computed += 1
                    }
                }
            }
            XCTAssertEqual(computed, plan.windows.count, "order \(order)")
        }
    }

    func testAPluginsWindowsAreRecoveredFromItsFramesNeeded() throws {
        for plan in plans {
            let windows = try ChunkPlan.windows(clip: plan.frames) { plan.framesNeeded(for: $0)! }
            XCTAssertEqual(windows, plan.windows, "\(plan.frames) length \(plan.length) overlap \(plan.overlap)")
        }
        // A plugin that needs only the frame itself: one-frame windows, chunks are plain frame ranges.
        let single = try ChunkPlan.windows(clip: 10...19) { $0...$0 }
        XCTAssertEqual(single, (10...19).map { $0...$0 })
        XCTAssertEqual(try ChunkPlan(clip: 10...19, windows: single, chunks: 3).chunks.map(\.frames), ["10-12", "13-15", "16-19"])
    }

    func testImpossiblePlansAreExplained() throws {
        let plan = WindowPlan(frames: 0...19, length: 9, overlap: 4)
        XCTAssertThrowsError(try ChunkPlan(clip: plan.frames, windows: plan.windows, chunks: 5)) { e in
            XCTAssertTrue("\(e)".contains("more than the clip's 4 window(s)"), "\(e)")
        }
        XCTAssertThrowsError(try ChunkPlan(clip: plan.frames, windows: plan.windows, chunks: 0))
        XCTAssertThrowsError(try ChunkPlan(clip: 0...30, windows: plan.windows, chunks: 1)) { e in
            XCTAssertTrue("\(e)".contains("do not span"), "\(e)")
        }
        XCTAssertThrowsError(try ChunkPlan.windows(clip: 0...9) { _ in 20...30 }) { e in
            XCTAssertTrue("\(e)".contains("does not include the frame itself"), "\(e)")
        }
        let p = try ChunkPlan(clip: plan.frames, windows: plan.windows, chunks: 2)
        XCTAssertThrowsError(try p.chunk(3))
        XCTAssertEqual(try p.printed(.ranges), "0-12\n13-19")
        XCTAssertEqual(try p.printed(.ranges, only: 2), "13-19")
    }
}
