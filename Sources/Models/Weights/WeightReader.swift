import Tensor

/// Loads a model's weights from a checkpoint by model key, tracking which checkpoint tensors were
/// used. A model loader calls `take` for every weight it needs and `finish` once at the end:
/// missing and mis-shaped weights are collected (not thrown one at a time) so that `finish` names
/// all of them; checkpoint tensors never taken are ignored and listed in `unusedKeys` (HuMo's
/// `ema.pth` carries training-only tensors; the original loader is `strict=False`).
///
/// Until `finish` succeeds, a missing weight is a zero broadcast view of the expected shape, so the
/// loader can keep going; `finish` throws before such a model can be used.
public struct WeightReader {
    public let checkpoint: Checkpoint
    public let rules: KeyRules
    /// Storage dtype of loaded weights; nil keeps the file's dtype (f16/bf16 stay half-size).
    public let storeAs: DType?
    private let backend: any Backend
    /// model key → checkpoint key.
    private let sources: [String: String]
    /// Benchmarks: every weight made by this function instead of read (see `init(generating:)`).
    private let generator: (@Sendable (String, [Int]) throws -> Tensor)?
    /// `inspect`: check names and shapes without loading anything.
    private let shapesOnly: Bool
    private var used: Set<String> = []
    private var missing: [String] = []
    private var misshaped: [String] = []
    /// Bytes the weights taken so far occupy once loaded (also counted by a shapes-only reader, so a
    /// loader can check a model fits before reading anything: `MemoryBudget`).
    public private(set) var plannedBytes = 0

    /// Maps every checkpoint key through `rules`; two keys mapping to one model key is an error.
    /// - shapesOnly: check names and shapes only; `take` returns zero placeholders and reads nothing
    ///   (for describing a checkpoint without loading it).
    public init(
        checkpoint: Checkpoint, rules: KeyRules, backend: any Backend, storeAs: DType? = nil, shapesOnly: Bool = false
    ) throws {
        var sources: [String: String] = [:]
        for name in checkpoint.names {
            let key = rules.apply(name)
            if let other = sources[key] { throw WeightsError.ambiguousKey(key: key, sources: [other, name]) }
            sources[key] = name
        }
        self.checkpoint = checkpoint
        self.rules = rules
        self.backend = backend
        self.storeAs = storeAs
        self.sources = sources
        self.generator = nil
        self.shapesOnly = shapesOnly
    }

    /// A reader whose every weight is `generate(key, shape)` (e.g. random weights for a benchmark at
    /// a real model size); nothing is missing or unused.
    public init(generating generate: @escaping @Sendable (String, [Int]) throws -> Tensor, backend: any Backend) throws
    {
        self.checkpoint = try Checkpoint(path: "(generated weights)", files: [])
        self.rules = .identity
        self.backend = backend
        self.storeAs = nil
        self.sources = [:]
        self.generator = generate
        self.shapesOnly = false
    }

    /// Whether the checkpoint has model key `key` (for optional parts, e.g. HuMo's audio path).
    public func contains(_ key: String) -> Bool { sources[key] != nil }

    /// The stored shape of model key `key`, if present.
    public func shape(of key: String) -> [Int]? {
        guard let name = sources[key] else { return nil }
        return try? checkpoint.locate(name).entry.shape
    }

    /// The weight `key`, which must have `shape`. Missing or mis-shaped weights are recorded for
    /// `finish` and stand in as zeros; an unreadable tensor (bad dtype) throws at once.
    public mutating func take(_ key: String, shape: [Int]) throws -> Tensor {
        if let generator {
            let t = try generator(key, shape)
            guard t.shape == shape else {
                throw WeightsError.incompatible(
                    checkpoint: checkpoint.path, missing: [], misshaped: ["\(key): expected \(shape), found \(t.shape)"]
                )
            }
            return t
        }
        guard let name = sources[key] else {
            missing.append(key)
            return try placeholder(shape)
        }
        used.insert(name)
        let entry = try checkpoint.locate(name).entry
        let found = entry.shape
        guard found == shape else {
            misshaped.append("\(key): expected \(shape), found \(found)")
            return try placeholder(shape)
        }
        // Shapes were checked against the file's size when its header was read: no overflow here.
        plannedBytes += entry.count * ((storeAs ?? entry.dtype.tensorDType)?.byteSize ?? entry.dtype.byteSize)
        if shapesOnly { return try placeholder(shape) }
        let t = try checkpoint.tensor(name, on: backend)
        if let d = storeAs, d != t.dtype { return try backend.cast(t, to: d) }
        return t
    }

    /// Throws `incompatible` listing every missing and mis-shaped weight taken so far.
    public func finish() throws {
        guard missing.isEmpty, misshaped.isEmpty else {
            throw WeightsError.incompatible(
                checkpoint: checkpoint.path, missing: missing.sorted(), misshaped: misshaped.sorted())
        }
    }

    /// Checkpoint tensors (original names) that no `take` used, sorted.
    public var unusedKeys: [String] { checkpoint.names.filter { !used.contains($0) } }

    /// Model keys asked for but absent, sorted.
    public var missingKeys: [String] { missing.sorted() }

    private func placeholder(_ shape: [Int]) throws -> Tensor {
        let one = try backend.zeros([1])
        return try one.reshaped(Array(repeating: 1, count: shape.count)).expanded(to: shape)
    }
}
