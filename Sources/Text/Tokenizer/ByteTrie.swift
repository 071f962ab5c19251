/// A trie over UTF-8 bytes mapping pieces to ids: one hash table of edges (parent node, byte) → child,
/// compact enough for Gemma's 262,144 pieces. Answers the two questions the segmenters ask: every
/// piece that starts a text, and the longest one.
struct ByteTrie: Sendable {
    private var edges: [UInt64: Int32] = [:]
    /// The piece id ending at each node, −1 where none ends.
    private var values: [Int32] = [-1]

    init() {}

    /// `pieces` as (UTF-8 bytes, id); a later duplicate replaces an earlier one.
    init(_ pieces: [([UInt8], Int)]) {
        for (bytes, id) in pieces { insert(bytes, id: id) }
    }

    var isEmpty: Bool { values.count == 1 }

    mutating func insert(_ bytes: [UInt8], id: Int) {
        var node = 0
        for b in bytes {
            let key = UInt64(node) << 8 | UInt64(b)
            if let child = edges[key] {
                node = Int(child)
            } else {
                edges[key] = Int32(values.count)
                node = values.count
                values.append(-1)
            }
        }
        values[node] = Int32(id)
    }

    /// Calls `found(id, length)` for every piece that is a prefix of `text`, shortest first.
    func forEachPrefix(_ text: ArraySlice<UInt8>, _ found: (Int, Int) -> Void) {
        var node = 0
        var length = 0
        for b in text {
            guard let child = edges[UInt64(node) << 8 | UInt64(b)] else { return }
            node = Int(child)
            length += 1
            if values[node] >= 0 { found(Int(values[node]), length) }
        }
    }

    /// The longest piece that is a prefix of `text`.
    func longestPrefix(_ text: ArraySlice<UInt8>) -> (id: Int, length: Int)? {
        if isEmpty { return nil }
        var best: (Int, Int)?
        forEachPrefix(text) { best = ($0, $1) }
        return best
    }

    /// The id of exactly `text`.
    func lookup(_ text: ArraySlice<UInt8>) -> Int? {
        var node = 0
        for b in text {
            guard let child = edges[UInt64(node) << 8 | UInt64(b)] else { return nil }
            node = Int(child)
        }
        return values[node] >= 0 ? Int(values[node]) : nil
    }
}
