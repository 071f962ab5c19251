import Foundation
import UserMessages

/// Every failure of the Text module: a tokenizer file that cannot be used, a prompt that cannot be
/// encoded, an encoder folder that does not fit together. The message names the file and the field.
public enum TextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A tokenizer file (`tokenizer.model`, `spiece.model`, `tokenizer.json`) that is not valid.
    case invalidTokenizer(path: String, reason: String)
    /// A text-encoder folder or checkpoint that cannot be used (missing part, mismatched sizes).
    case invalidEncoder(String)
    /// A prompt that cannot be encoded (empty after cleaning, …).
    case invalidPrompt(String)

    public var description: String {
        switch self {
        case .invalidTokenizer(let path, let reason): "\(path): not a usable tokenizer: \(Self.printable(reason))"
        case .invalidEncoder(let m): "Text encoder: \(Self.printable(m))"
        case .invalidPrompt(let m): "Prompt: \(m)"
        }
    }

    /// Control characters escaped: piece strings come from files.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Whether `url` names an existing folder (asked of the file system, not the URL's spelling).
func isFolder(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
}

extension TextError: ExitStatusProviding {
    /// Tokenizers, encoder folders and prompts are the user's data.
    public var exitStatus: ExitStatus { .dataError }
}
