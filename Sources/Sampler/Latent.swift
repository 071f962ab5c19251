import Foundation

/// One named f32 tensor of a ``Latent``: e.g. `"video"` with shape `[C, F, H, W]` = `[16, 26, 60, 104]`.
///
/// Values are stored densely in row-major order; `values.count == shape.reduce(1, *)` always holds.
public struct LatentPart: Hashable, Sendable {
    /// The part's name; it keys the part's noise stream and its place in cache keys.
    public let name: String
    /// The part's shape, outermost axis first (the sampler never interprets the axes).
    public let shape: [Int]
    /// The part's values, row-major, `shape.reduce(1, *)` of them.
    public internal(set) var values: [Float]

    /// Creates a part, checking that the shape is non-empty and positive and matches `values.count`.
    /// - Throws: ``SamplerError/invalidLatent(_:)`` naming the part and the mismatch.
    public init(name: String, shape: [Int], values: [Float]) throws {
        guard !name.isEmpty else { throw SamplerError.invalidLatent("a latent part has an empty name") }
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw SamplerError.invalidLatent("part '\(name)' has shape \(shape); every axis must be > 0")
        }
        // Multiply with overflow checks: a shape read from a file must not trap.
        var count = 1
        for axis in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: axis)
            guard !overflow else { throw SamplerError.invalidLatent("part '\(name)' shape \(shape) overflows Int") }
            count = product
        }
        guard count == values.count else {
            throw SamplerError.invalidLatent(
                "part '\(name)' has shape \(shape) (\(count) elements) but \(values.count) values")
        }
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// Builds a part whose invariants the caller has already established (same layout as a checked part).
    init(unchecked name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// Number of elements, `∏ shape`.
    public var count: Int { values.count }
}

/// The names and shapes of a ``Latent``'s parts, in order: what two latents must share to be combined.
public struct LatentLayout: Hashable, Sendable, CustomStringConvertible {
    /// `(name, shape)` of each part, in the latent's order.
    public let parts: [Part]

    /// Name and shape of one part.
    public struct Part: Hashable, Sendable {
        /// The part's name.
        public let name: String
        /// The part's shape.
        public let shape: [Int]
    }

    /// `name[shape]` of each part, comma-separated.
    public var description: String {
        parts.map { "\($0.name)\($0.shape)" }.joined(separator: ", ")
    }

    /// Throws ``SamplerError/layoutMismatch(_:)`` when `other` differs, naming `what` and both layouts.
    func check(_ other: LatentLayout, what: String) throws {
        guard other != self else { return }
        throw SamplerError.layoutMismatch("\(what) has layout [\(other)] but the source latent has [\(self)]")
    }
}

/// A diffusion latent: one or several named f32 tensors (`"video"`, or `"video"` + `"audio"` for a joint
/// audio-video model), with value semantics.
///
/// Every sampler quantity (`X0`, `Z`, `n`, `ε`, velocities) is a `Latent` with the source's layout; the
/// arithmetic of spec §4 is applied part by part, and norms (`‖n‖₂`, spec §4 "rescale to RMS 1") are taken
/// per part, so a joint latent's video and audio keep their own noise scale.
public struct Latent: Hashable, Sendable {
    /// The parts, in a fixed order chosen by the caller (the Pipeline's model adapter).
    public internal(set) var parts: [LatentPart]

    /// Creates a latent from parts with distinct names.
    /// - Throws: ``SamplerError/invalidLatent(_:)`` when there are no parts or two share a name.
    public init(parts: [LatentPart]) throws {
        guard !parts.isEmpty else { throw SamplerError.invalidLatent("a latent needs at least one part") }
        var seen = Set<String>()
        for part in parts where !seen.insert(part.name).inserted {
            throw SamplerError.invalidLatent("two latent parts are named '\(part.name)'")
        }
        self.parts = parts
    }

    /// Creates a single-part latent.
    /// - Throws: ``SamplerError/invalidLatent(_:)`` when `values.count != ∏ shape`.
    public init(name: String = "video", shape: [Int], values: [Float]) throws {
        try self.init(parts: [LatentPart(name: name, shape: shape, values: values)])
    }

    init(uncheckedParts parts: [LatentPart]) {
        self.parts = parts
    }

    /// The names and shapes of the parts.
    public var layout: LatentLayout {
        LatentLayout(parts: parts.map { LatentLayout.Part(name: $0.name, shape: $0.shape) })
    }

    /// Total number of elements over all parts.
    public var count: Int { parts.reduce(0) { $0 + $1.count } }

    /// The part named `name`, or nil.
    public subscript(name: String) -> LatentPart? {
        parts.first { $0.name == name }
    }

    /// True when every value of every part is finite.
    public var isFinite: Bool {
        parts.allSatisfy { part in part.values.withUnsafeBufferPointer { Kernels.allFinite($0) } }
    }

    /// True when both latents have the same layout and the same bit pattern in every element
    /// (unlike `==`, distinguishes `-0` from `0` and equates identical NaNs): what "bit-identical" means.
    public func isBitIdentical(to other: Latent) -> Bool {
        guard layout == other.layout else { return false }
        for (a, b) in zip(parts, other.parts) {
            let same = a.values.withUnsafeBytes { pa in
                b.values.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
            }
            if !same { return false }
        }
        return true
    }
}
