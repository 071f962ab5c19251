// RenderFarm — what `omniedit plan` and `ofx-host plan` print, one format for both.
import Foundation

extension ChunkPlan {
    /// How a plan is printed: the whole JSON, or one "first-last" line per chunk (for shell scripts).
    public enum Format: String, CaseIterable, Sendable {
        case json, ranges
    }

    /// The plan (or only chunk `only`, 1-based) in `format`.
    public func printed(_ format: Format, only: Int? = nil) throws -> String {
        let selected = try only.map { [try chunk($0)] } ?? chunks
        switch format {
        case .ranges:
            return selected.map(\.frames).joined(separator: "\n")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = only == nil ? try encoder.encode(self) : try encoder.encode(selected[0])
            return String(decoding: data, as: UTF8.self)
        }
    }
}
