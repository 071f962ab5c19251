// Turns any error into a sentence a user can act on. Foundation's own errors print as
// "Error Domain=NSCocoaErrorDomain Code=260 …" or "The operation could not be completed"; these are
// rewritten to say what is wrong and with which file, and printed with control characters escaped
// (file names and JSON keys come from files).
import Foundation

public enum UserMessage {
    /// The message for `error`. `file` is named when the error itself names none (a JSON decoding
    /// error knows the field, not the file).
    public static func text(_ error: Error, file: String? = nil) -> String {
        let (body, named) = parts(error)
        let prefix = named ?? file
        return printable(prefix.map { body.contains($0) ? body : "\($0): \(body)" } ?? body)
    }

    /// What is wrong, without the file name (for messages that name the file themselves:
    /// "x.safetensors: cannot read: permission denied").
    public static func reason(_ error: Error) -> String { printable(parts(error).reason) }

    /// The reason and, for Foundation's file errors, the file they name.
    private static func parts(_ error: Error) -> (reason: String, file: String?) {
        let body: String
        var named: String? = nil
        switch error {
        case let e as DecodingError:
            body = decoding(e)
        case let e as CocoaError:
            (body, named) = cocoa(e)
        case let e as POSIXError:
            body = String(cString: strerror(e.code.rawValue))
        default:
            if type(of: error) is NSError.Type {
                let n = error as NSError
                if n.domain == NSPOSIXErrorDomain {
                    body = String(cString: strerror(Int32(n.code)))
                } else if n.domain == NSCocoaErrorDomain {
                    (body, named) = cocoa(CocoaError(CocoaError.Code(rawValue: n.code), userInfo: n.userInfo))
                } else {
                    body = n.localizedDescription
                }
            } else {
                // Our own errors: their description usually names the file already.
                body = String(describing: error)
            }
        }
        return (body, named)
    }

    /// The exit status `error` warrants.
    public static func exitStatus(_ error: Error) -> ExitStatus {
        if let e = error as? ExitStatusProviding { return e.exitStatus }
        if error is DecodingError { return .dataError }
        let n = error as NSError
        if n.domain == NSCocoaErrorDomain {
            let code = CocoaError.Code(rawValue: n.code)
            if [.fileReadNoSuchFile, .fileReadNoPermission, .fileReadUnknown, .fileReadInvalidFileName].contains(code) {
                return .noInput
            }
            // Foundation reports a missing file with 260 when reading and 4 when writing or creating.
            if (CocoaError.Code.fileWriteUnknown.rawValue...CocoaError.Code.fileWriteVolumeReadOnly.rawValue).contains(n.code)
                || code == .fileWriteFileExists || code == .fileNoSuchFile
            {
                return .cannotCreate
            }
            if n.code == 3840 || code == .fileReadCorruptFile || code == .fileReadTooLarge { return .dataError }
        }
        if n.domain == NSPOSIXErrorDomain, n.code == Int(ENOENT) || n.code == Int(EACCES) { return .noInput }
        return .software
    }

    /// `text` with control characters (a terminal escape sequence in a tensor name or a file name)
    /// shown as `\u{1B}` instead of reaching the terminal raw.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value) {
                out += String(format: "\\u{%02X}", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func decoding(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        func kind(_ type: Any.Type) -> String {
            if type is Int.Type || type is Int64.Type || type is Int32.Type || type is UInt.Type { return "a whole number" }
            if type is Double.Type || type is Float.Type { return "a number" }
            if type is String.Type { return "text" }
            if type is Bool.Type { return "true or false" }
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
        switch error {
        case .typeMismatch(let type, let c):
            let at = path(c.codingPath)
            return at.isEmpty ? "expected \(kind(type)) at the top level" : "field '\(at)' must be \(kind(type))"
        case .valueNotFound(let type, let c):
            return "field '\(path(c.codingPath))' is empty (null); it must be \(kind(type))"
        case .keyNotFound(let key, let c):
            return "field '\(path(c.codingPath + [key]))' is missing"
        case .dataCorrupted(let c):
            let at = path(c.codingPath)
            if at.isEmpty {
                let detail = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { " (\($0))" } ?? "")
            }
            return "field '\(at)' is not valid: \(c.debugDescription)"
        @unknown default:
            return "not valid JSON"
        }
    }

    private static func cocoa(_ error: CocoaError) -> (String, String?) {
        let file = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        let posix = (error.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap {
            $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil
        }
        let reason: String
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
        case .fileWriteOutOfSpace: reason = "the disk is full"
        case .fileWriteVolumeReadOnly: reason = "the disk is read-only"
        case .fileWriteFileExists: reason = "a file of that name already exists"
        case .fileReadTooLarge: reason = "the file is too large to read"
        case .fileReadCorruptFile: reason = "the file is damaged or not in the expected format"
        case .fileReadInapplicableStringEncoding: reason = "the file is not UTF-8 text"
        default:
            if error.code.rawValue == 3840 {
                let detail = error.userInfo[NSDebugDescriptionErrorKey] as? String
                reason = "not valid JSON" + (detail.map { " (\($0))" } ?? "")
            } else if let posix {
                reason = String(cString: strerror(posix))
            } else {
                reason = error.code.rawValue < 512 ? "cannot be read" : "cannot be written"
            }
        }
        return (reason, file)
    }
}
