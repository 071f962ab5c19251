// Pipeline — prompts encoded by a folder's text encoder, once: the encoding is cached on disk by the
// encoder files' identity and the prompt, and the encoder (gigabytes) is released as soon as it has run,
// before any DiT is loaded beside it.
import Foundation
import Models
import Sampler
import Tensor
import Text

public enum PromptEncoding {
    /// The encoding of `prompt` by the text encoder in `folder` (see `TextEncoderFolder`), from `cache`
    /// when these encoder files encoded this prompt before on this kind of backend; otherwise the encoder
    /// is loaded, run and dropped, and the result stored. `fromCache` says which happened.
    /// `precision`: the CPU's linear-layer arithmetic (nil: `OMNIEDIT_CPU_PRECISION`, else f32).
    public static func encode(
        folder: URL, prompt: String, backend choice: ComputeBackend, precision: ComputePrecision? = nil,
        cache: CacheStore?
    ) throws -> (prompt: EncodedPrompt, fromCache: Bool) {
        let files = try TextEncoderFolder(folder: folder)
        let (backend, backendName) = try openBackend(for: choice.choice, precision: precision?.cpu)
        let r = try encode(files: files, prompt: prompt, backend: backend, backendName: backendName, cache: cache)
        return (r.prompt, r.fromCache)
    }

    /// As above on an open backend (a loaded model's). `key` names the encoding: the same key is the
    /// same encoder files, conventions, backend kind and prompt, so it stands for the values in other
    /// cache keys.
    static func encode(
        files: TextEncoderFolder, prompt: String, backend: any Backend, backendName: String, cache: CacheStore?
    ) throws -> (prompt: EncodedPrompt, fromCache: Bool, key: String) {
        let key = cacheKey(files: files, prompt: prompt, backend: backendName)
        if let hit = recent.get(key) ?? cache?.text(key) {
            recent.put(key, hit, bytes: hit.values.count * 4)
            return (hit, true, key)
        }
        let encoded = try PromptEncoder(folder: files, backend: backend).encode(prompt, on: backend)
        counterLock.withLock { runs += 1 }
        cache?.putText(key, encoded)
        recent.put(key, encoded, bytes: encoded.values.count * 4)
        return (encoded, false, key)
    }

    /// Encodings made or read lately in this process: a render asks for its prompt once per frame, and
    /// with the disk cache off (size 0) the encoder must still not run again.
    private static let recent = MemoryLRU<EncodedPrompt>(budgetBytes: 128 << 20)
    nonisolated(unsafe) private static var runs = 0
    private static let counterLock = NSLock()
    /// Forgets the in-memory encodings (tests: the next `encode` reads the disk cache).
    static func forgetRecent() { recent.removeAll() }
    /// How many times an encoder ran in this process (diagnostics and tests: a cached prompt runs none).
    public static var encoderRuns: Int { counterLock.withLock { runs } }

    /// SHA-256 of the encoder files' identity (path, size, modification time, inode), the family's
    /// conventions, the backend kind and the prompt.
    static func cacheKey(files: TextEncoderFolder, prompt: String, backend: String) -> String {
        var sha = SHA256()
        sha.update(data: Array(HuMoModel.identity(of: files.files, backend: backend).utf8))
        sha.update(data: Array("\n\(files.family.rawValue) \(files.convention)\n".utf8))
        sha.update(data: Array(prompt.utf8))
        return "text-" + sha.finalize().prefix(20).map { String(format: "%02x", $0) }.joined()
    }
}

extension CacheStore {
    /// A cached prompt encoding (disk only: the encoder runs once per prompt, so memory would not help).
    func text(_ key: String) -> EncodedPrompt? {
        guard let payload = disk?.read(kind: "text", key: key), let p = try? Self.decodeText(payload) else { return nil }
        return p
    }

    func putText(_ key: String, _ p: EncodedPrompt) {
        disk?.write(kind: "text", key: key, payload: Self.encodeText(p))
    }

    static func encodeText(_ p: EncodedPrompt) -> [UInt8] {
        var w = ByteWriter()
        w.string(p.family.rawValue)
        w.int(p.tokens.count)
        for t in p.tokens { w.int(t) }
        w.string(p.truncationMessage ?? "")
        w.string(p.name)
        w.int(p.shape.count)
        for d in p.shape { w.int(d) }
        w.floats(p.values)
        return w.bytes
    }

    static func decodeText(_ payload: [UInt8]) throws -> EncodedPrompt {
        var r = ByteReader(bytes: payload)
        guard let family = TextEncoderFolder.Family(rawValue: try r.string()) else { throw ByteReader.Damaged() }
        let n = try r.count(8)
        let tokens = try (0..<n).map { _ in try r.int() }
        let truncation = try r.string()
        let name = try r.string()
        let rank = try r.count(8)
        let shape = try (0..<rank).map { _ in try r.int() }
        let values = try r.floats()
        guard shape.allSatisfy({ $0 > 0 && $0 <= values.count }),
            shape.reduce(1, { $0 <= values.count ? $0 * $1 : Int.max / 2 }) == values.count, r.offset == payload.count
        else {
            throw ByteReader.Damaged()
        }
        return EncodedPrompt(
            family: family, tokens: tokens, truncationMessage: truncation.isEmpty ? nil : truncation, name: name,
            shape: shape, values: values)
    }
}
