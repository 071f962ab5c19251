// What a path names: a video file, one image, or a numbered image sequence; and how frame numbers
// are put into / found in sequence file names.
import Foundation

/// The image formats VideoIO reads and writes itself (not through a video container).
enum ImageKind: Sendable {
    case png
    case pfm

    init?(pathExtension ext: String) {
        switch ext.lowercased() {
        case "png": self = .png
        case "pfm": self = .pfm
        default: return nil
        }
    }
}

/// A parsed sequence pattern: `folder/prefix` + frame number (zero-padded to `digits`) + `suffix`.
///
/// `shot_####.png` → prefix "shot_", digits 4, suffix ".png"; `shot_%04d.png` is the same;
/// `%d` means no padding (digits 1).
struct SequencePattern: Sendable {
    var folder: String
    var prefix: String
    var digits: Int
    var suffix: String
    var kind: ImageKind
    /// The text the user gave, for messages.
    var original: String
    /// False for a "pattern" that is one fixed file name (a still written by a sink).
    var numbered: Bool = true

    /// A pattern that always names `path` itself.
    init(still path: String, kind: ImageKind) {
        let url = URL(fileURLWithPath: path)
        folder = url.deletingLastPathComponent().path
        prefix = url.lastPathComponent
        digits = 0
        suffix = ""
        self.kind = kind
        original = path
        numbered = false
    }

    init(folder: String, prefix: String, digits: Int, suffix: String, kind: ImageKind, original: String) {
        self.folder = folder
        self.prefix = prefix
        self.digits = digits
        self.suffix = suffix
        self.kind = kind
        self.original = original
    }

    /// The file path of frame `number` (negative numbers keep their sign before the padding).
    func path(for number: Int) -> String {
        guard numbered else { return (folder as NSString).appendingPathComponent(prefix) }
        let magnitude = String(abs(number))
        let padded = String(repeating: "0", count: max(0, digits - magnitude.count)) + magnitude
        let name = prefix + (number < 0 ? "-" : "") + padded + suffix
        return (folder as NSString).appendingPathComponent(name)
    }

    /// The frame number a file name in `folder` stands for, or nil when it does not match.
    func number(inFileName name: String) -> Int? {
        guard name.count > prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else {
            return nil
        }
        let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
        let negative = middle.hasPrefix("-")
        let digitsPart = negative ? middle.dropFirst() : middle
        guard !digitsPart.isEmpty, digitsPart.allSatisfy({ $0.isASCII && $0.isNumber }),
            digitsPart.count >= digits || digits <= 1
        else { return nil }
        // A wider number than the padding is fine (frame 10000 of ####); a narrower one is not ours.
        guard let value = Int(digitsPart) else { return nil }
        return negative ? -value : value
    }
}

/// What kind of clip a path names.
enum ClipPath {
    case video
    case still(ImageKind)
    case sequence(SequencePattern)

    /// Classifies `path` by its placeholder and extension; throws on an unknown extension.
    static func classify(_ path: String) throws -> ClipPath {
        guard !path.isEmpty else { throw VideoIOError("empty clip path") }
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let ext = url.pathExtension.lowercased()
        if let kind = ImageKind(pathExtension: ext) {
            if let pattern = try parsePlaceholder(
                name, folder: url.deletingLastPathComponent().path, kind: kind, original: path)
            {
                return .sequence(pattern)
            }
            return .still(kind)
        }
        if videoExtensions.contains(ext) {
            if name.contains("#") || name.contains("%") {
                throw VideoIOError("\(path): a video file name cannot hold a frame-number placeholder")
            }
            return .video
        }
        throw VideoIOError(
            "\(path): unknown extension '.\(ext)' (expected .png, .pfm or a video file: "
                + videoExtensions.sorted().map { "." + $0 }.joined(separator: ", ") + ")")
    }

    /// Container extensions handed to libavformat.
    static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "avi", "webm", "mpg", "mpeg", "ts", "mxf"]

    /// `####` (one # per digit) or printf-style `%d` / `%0Nd` in the file name, or nil.
    private static func parsePlaceholder(
        _ name: String, folder: String, kind: ImageKind, original: String
    ) throws -> SequencePattern? {
        if let first = name.firstIndex(of: "#") {
            var end = first
            while end < name.endIndex, name[end] == "#" { end = name.index(after: end) }
            let suffix = String(name[end...])
            if suffix.contains("#") {
                throw VideoIOError("\(original): more than one run of # in the file name")
            }
            return SequencePattern(
                folder: folder, prefix: String(name[..<first]), digits: name.distance(from: first, to: end),
                suffix: suffix, kind: kind, original: original)
        }
        if let percent = name.firstIndex(of: "%") {
            var cursor = name.index(after: percent)
            var widthText = ""
            while cursor < name.endIndex, name[cursor].isASCII, name[cursor].isNumber {
                widthText.append(name[cursor])
                cursor = name.index(after: cursor)
            }
            guard cursor < name.endIndex, name[cursor] == "d" else {
                throw VideoIOError("\(original): '%' must be followed by d or 0Nd (e.g. %04d)")
            }
            let suffix = String(name[name.index(after: cursor)...])
            if suffix.contains("%") { throw VideoIOError("\(original): more than one % placeholder") }
            let width = Int(widthText) ?? 1
            guard (1...12).contains(width) else {
                throw VideoIOError("\(original): frame-number width \(width) is out of 1...12")
            }
            return SequencePattern(
                folder: folder, prefix: String(name[..<percent]), digits: width, suffix: suffix, kind: kind,
                original: original)
        }
        return nil
    }
}

/// Whether `path` names a video file (a container libavformat reads or writes), not an image or a sequence.
public func isVideoFilePath(_ path: String) -> Bool {
    if case .video? = try? ClipPath.classify(path) { return true }
    return false
}
