/// Every failure of reading a checkpoint: a message naming the file, the tensor and what is wrong.
/// Nothing in `Weights/` traps on file contents; a bad file always ends here.
public enum WeightsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened, sized or mapped (`path`, the system's reason).
    case io(path: String, reason: String)
    /// The file is not a valid safetensors file: the header or its layout is wrong.
    case invalidFile(path: String, reason: String)
    /// One tensor's header entry is wrong (dtype, shape, offsets, overlap with another tensor).
    case invalidTensor(path: String, tensor: String, reason: String)
    /// A shard index (`*.index.json`) that cannot be used.
    case invalidIndex(path: String, reason: String)
    /// A tensor that is in the file but whose dtype we cannot compute with (e.g. I64, F8).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor asked for by name that no file of the checkpoint holds.
    case notFound(tensor: String, checkpoint: String)
    /// Two checkpoint keys that map to the same model key under the key rules.
    case ambiguousKey(key: String, sources: [String])
    /// Loading a model: weights it needs that the checkpoint lacks (all of them, sorted) and weights
    /// present with the wrong shape (`key: expected … found …`).
    case incompatible(checkpoint: String, missing: [String], misshaped: [String])
    /// A model that would not fit in memory (`reason` gives its size and the machine's).
    case tooLarge(what: String, reason: String)

    /// The message, with control characters escaped: tensor names come from files, and a name holding a
    /// terminal escape sequence must not reach the user's terminal raw.
    public var description: String { Self.printable(rawDescription) }

    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += String(format: "\\u{%02X}", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private var rawDescription: String {
        switch self {
        case .io(let path, let reason): "\(path): \(reason)"
        case .invalidFile(let path, let reason): "\(path): not a valid safetensors or PyTorch checkpoint: \(reason)"
        case .invalidTensor(let path, let tensor, let reason): "\(path): tensor '\(tensor)': \(reason)"
        case .invalidIndex(let path, let reason): "\(path): bad shard index: \(reason)"
        case .unsupportedDType(let path, let tensor, let dtype):
            "\(path): tensor '\(tensor)' has dtype \(dtype); only F32, F16 and BF16 can be loaded"
        case .notFound(let tensor, let checkpoint): "\(checkpoint): no tensor '\(tensor)'"
        case .tooLarge(let what, let reason): "\(what) cannot be loaded: \(reason)"
        case .ambiguousKey(let key, let sources):
            "model key '\(key)' is given by several checkpoint tensors: \(sources.joined(separator: ", "))"
        case .incompatible(let checkpoint, let missing, let misshaped):
            "\(checkpoint): "
                + [
                    missing.isEmpty
                        ? nil : "\(missing.count) missing weight(s): \(Self.list(missing))",
                    misshaped.isEmpty
                        ? nil : "\(misshaped.count) weight(s) of the wrong shape: \(Self.list(misshaped))",
                ].compactMap { $0 }.joined(separator: "; ")
        }
    }

    // Long lists (a wrong model family misses hundreds of keys) are cut so a message stays readable.
    private static func list(_ keys: [String]) -> String {
        let shown = keys.prefix(40).joined(separator: ", ")
        return keys.count > 40 ? shown + ", … (\(keys.count - 40) more)" : shown
    }
}
