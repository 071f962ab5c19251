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
    public static func encode(
        folder: URL, prompt: String, backend choice: ComputeBackend, cache: CacheStore?
    ) throws -> (prompt: EncodedPrompt, fromCache: Bool) {
        let files = try TextEncoderFolder(folder: folder)
        let (backend, backendName) = try openBackend(for: choice.choice)
        let key = cacheKey(files: files, prompt: prompt, backend: backendName)
        if let hit = cache?.text(key) { return (hit, true) }
        let encoded = try PromptEncoder(folder: files, backend: backend).encode(prompt, on: backend)
        cache?.putText(key, encoded)
        return (encoded, false)
    }

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
