
import Foundation

/// A SHA-256 digest naming a sampler state by everything that influenced it (spec §6 "Per-step cache").
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Wraps a digest read back from a cache entry (the sampler re-derives and compares keys before use).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Lower-case hex, 64 characters.
    public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// What the caller knows about a window's inputs that the sampler cannot see: the digests of the real
/// conditions and the model's identity (spec §6: "source frames, audio, model identity").
public struct SamplerInputs: Sendable {
    /// `X0`, the clean source latent.
    public let source: Latent
    /// Digest of everything in `c_src` (e.g. SHA-256 of the source audio features, text, reference frame).
    public let sourceConditionDigest: [UInt8]
    /// Digest of everything in `c_tgt`.
    public let targetConditionDigest: [UInt8]
    /// The model's identity (e.g. weights digest + backend + precision); different models never share
    /// cache entries.
    public let modelIdentity: String

    /// Creates the inputs.
    public init(source: Latent, sourceConditionDigest: [UInt8], targetConditionDigest: [UInt8], modelIdentity: String) {
        self.source = source
        self.sourceConditionDigest = sourceConditionDigest
        self.targetConditionDigest = targetConditionDigest
        self.modelIdentity = modelIdentity
    }
}

/// Appends typed, length-prefixed fields to SHA-256 so distinct field sequences never collide.
struct KeyHasher {
    private var hasher = SHA256()

    mutating func add(_ tag: String, _ bytes: some Collection<UInt8>) {
        let t = Array(tag.utf8)
        addRaw(UInt64(t.count))
        hasher.update(data: t)
        addRaw(UInt64(bytes.count))
        hasher.update(data: Array(bytes))
    }

    mutating func add(_ tag: String, _ value: String) { add(tag, Array(value.utf8)) }
    mutating func add(_ tag: String, _ value: Int) { add(tag, bytesOf(UInt64(bitPattern: Int64(value)))) }
    mutating func add(_ tag: String, _ value: UInt64) { add(tag, bytesOf(value)) }
    mutating func add(_ tag: String, _ value: Double) { add(tag, bytesOf(value.bitPattern)) }
    mutating func add(_ tag: String, _ value: Bool) { add(tag, [value ? 1 : 0] as [UInt8]) }

    private mutating func addRaw(_ value: UInt64) { hasher.update(data: bytesOf(value)) }

    private func bytesOf(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// Hashes a latent's layout and values (f32 little-endian) without copying the values.
    mutating func add(_ tag: String, latent: Latent) {
        add(tag, Array("latent".utf8))
        add("parts", latent.parts.count)
        for part in latent.parts {
            add("name", part.name)
            add("rank", part.shape.count)
            for axis in part.shape { add("axis", axis) }
            // Our platforms are little-endian; the bytes are hashed as stored.
            part.values.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
    }

    func finalize() -> CacheKey { CacheKey(bytes: Array(hasher.finalize())) }
}

extension SamplerConfiguration {
    /// The grid's identity: its kind and every parameter.
    fileprivate func addGrid(to h: inout KeyHasher) {
        switch grid {
        case .shifted(let t, let shift):
            h.add("grid", "shifted")
            h.add("T", t)
            h.add("shift", shift)
        case .ltx2(let t, let mu, let terminal):
            h.add("grid", "ltx2")
            h.add("T", t)
            h.add("mu", mu)
            h.add("terminal", terminal)
        }
    }

    /// The cache key of the state at `step` (steps `start ..< step` done; `step == start` is the initial
    /// state), given the digest of `X0` and the caller's condition and model identities.
    ///
    /// Only what influenced that state enters the key, so a parameter change that affects later steps
    /// keeps earlier states valid (spec §6):
    /// - always: `X0`, `c_src`, the model, the grid (T, shift, …), `start` (`Z = (1-σ_start)·X0 + σ_start·n`,
    ///   §4), whether the run estimates its initial noise and, if so, `rescaleInitialNoise` (§4 note);
    /// - from the first executed step on: the full variant, `c_tgt` and `cfg` (every step, edit or plain,
    ///   uses `vp`, §4), and the step-cache threshold when it is on;
    /// - `end` only through which executed steps were edit steps: the key holds the number of edit steps
    ///   among `start ..< step`, so `end = 16` and `end = 18` share every state up to step 17 (§4 "if i <=
    ///   end"); `end ≥ T-1` is normalised to `T-1`;
    /// - the generated parts, with `seed` and `window`, from the initial state on when there are any;
    /// - `seed` and `window` only once noise was drawn: OmniEdit variants draw `ε` only at edit steps (§4,
    ///   §5), FlowEdit draws at every step it runs (edit noise, then the re-noising, §5).
    func cacheKey(atStep step: Int, sourceDigest: [UInt8], inputs: SamplerInputs) -> CacheKey {
        var h = KeyHasher()
        h.add("domain", "OmniEditOFX.Sampler.StepState.v1")
        h.add("step", step)
        h.add("source", sourceDigest)
        h.add("c_src", inputs.sourceConditionDigest)
        h.add("model", inputs.modelIdentity)
        addGrid(to: &h)
        h.add("start", start)
        h.add("estimatesInitialNoise", variant.estimatesInitialNoise)
        if variant.estimatesInitialNoise { h.add("rescaleInitialNoise", rescaleInitialNoise) }
        // Only when some part is generated (keys of ordinary runs unchanged): its start is noise drawn
        // from the seed and window, so they key every state.
        if !generatedParts.isEmpty {
            h.add("generatedParts", generatedParts.sorted().joined(separator: "\u{0}"))
            h.add("seed", seed)
            h.add("window", UInt64(window))
        }
        let stepsRun = max(0, step - start)
        guard stepsRun > 0 else { return h.finalize() }
        h.add("variant", variant.rawValue)
        h.add("c_tgt", inputs.targetConditionDigest)
        h.add("cfg", cfg)
        // Only when on, so states of runs without step caching keep their keys; the initial state (no
        // step run) is the same either way and shared.
        if stepCacheThreshold > 0 { h.add("stepCacheThreshold", stepCacheThreshold) }
        let editsRun = max(0, min(lastEditStep, step - 1) - start + 1)
        h.add("editStepsRun", editsRun)
        let drewNoise = variant == .flowEdit ? stepsRun > 0 : editsRun > 0
        if drewNoise {
            h.add("seed", seed)
            h.add("window", UInt64(window))
        }
        return h.finalize()
    }
}

/// SHA-256 of a latent's layout and values: the `X0` part of every cache key, computed once per run.
func latentDigest(_ latent: Latent) -> [UInt8] {
    var h = KeyHasher()
    h.add("X0", latent: latent)
    return h.finalize().bytes
}
