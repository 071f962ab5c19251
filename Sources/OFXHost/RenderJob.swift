// OFXHost — a render job as `ofx-host render` flags or a job file entry describe it, and job files
// (`{"renders": [...]}`): decoded, checked and resolved here, run by the ofx-host CLI.
import Foundation
import UserMessages

/// A job file: the renders to run in order.
public struct JobFile: Codable, Sendable {
    public var renders: [RenderJob]

    /// A job file lists renders; one of many megabytes is not a job file.
    public static let maxBytes = 16 << 20

    /// The job file at `path`, its relative paths made absolute against its folder; a missing file is
    /// `.noInput`, anything wrong inside it `.dataError`, each naming the file and the field.
    public static func read(_ path: String) throws -> JobFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HostError("job file \(path): no such file", status: .noInput)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HostError("job file \(path): cannot be read", status: .noInput)
        }
        let base = ((path as NSString).standardizingPath as NSString).deletingLastPathComponent
        return try decode(data, path: path, folder: base.isEmpty ? "." : base)
    }

    /// `data` as a job file named `path` whose relative paths are relative to `folder`.
    public static func decode(_ data: Data, path: String, folder: String) throws -> JobFile {
        guard data.count <= maxBytes else {
            throw HostError("job file \(path): \(data.count) bytes; a job file holds at most 16 MB", status: .dataError)
        }
        var file: JobFile
        do { file = try JSONDecoder().decode(JobFile.self, from: data) } catch {
            throw HostError("job file \(UserMessage.text(error, file: path))", status: .dataError)
        }
        file.renders = file.renders.map { $0.resolved(against: folder) }
        return file
    }
}

/// One render, as flags or a job-file entry describe it.
public struct RenderJob: Codable, Sendable {
    public var bundle: String
    public var effect: String
    public var input: String
    public var output: String
    public var frames: String?
    public var set: [String: String]?
    /// Parameters that name files: like `set`, but relative paths are resolved against the job file's folder.
    public var setFiles: [String: String]?
    /// Ordered form of `set` for the command line (job files use the dictionary).
    public var setList: [String]?
    public var context: String?
    public var depth: String?
    /// An audio file to mux into a video output.
    public var audio: String?
    public var frameRate: Double?
    public var negativeRowBytes: Bool?
    /// Where the render was described: a mistake in the command line exits 64 (usage), one in a job
    /// file 65 (data).
    public var fromJobFile = false

    public init(
        bundle: String, effect: String, input: String, output: String, frames: String? = nil, set: [String: String]? = nil,
        setFiles: [String: String]? = nil, setList: [String]? = nil, context: String? = nil, depth: String? = nil,
        audio: String? = nil, frameRate: Double? = nil, negativeRowBytes: Bool? = nil
    ) {
        self.bundle = bundle
        self.effect = effect
        self.input = input
        self.output = output
        self.frames = frames
        self.set = set
        self.setFiles = setFiles
        self.setList = setList
        self.context = context
        self.depth = depth
        self.audio = audio
        self.frameRate = frameRate
        self.negativeRowBytes = negativeRowBytes
    }

    public enum CodingKeys: String, CodingKey {
        case bundle, effect, input, output, frames, set, setFiles, setList, context, depth, audio, frameRate, negativeRowBytes
    }

    /// A mistake in what the user asked for (a malformed --frames, --set, --context…).
    public func requestError(_ message: String) -> HostError {
        HostError(fromJobFile ? "job file: \(message)" : message, status: fromJobFile ? .dataError : .usage)
    }

    /// Paths relative to `base` (a job file's folder) made absolute.
    public func resolved(against base: String) -> RenderJob {
        func abs(_ p: String) -> String { p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p) }
        var j = self
        j.fromJobFile = true
        j.bundle = abs(bundle)
        j.input = abs(input)
        j.output = abs(output)
        j.audio = audio.map(abs)
        j.setFiles = setFiles?.mapValues { $0.isEmpty ? $0 : abs($0) }
        return j
    }

    public var parameters: [(name: String, value: String)] {
        var out: [(String, String)] = []
        for s in setList ?? [] {
            if let eq = s.firstIndex(of: "=") { out.append((String(s[..<eq]), String(s[s.index(after: eq)...]))) }
        }
        for (k, v) in (set ?? [:]).merging(setFiles ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            out.append((k, v))
        }
        return out
    }

    public func frameRange(default d: ClosedRange<Int>) throws -> ClosedRange<Int> {
        guard let frames else { return d }
        do { return try Self.parseRange(frames) } catch let e as HostError { throw requestError(e.message) }
    }

    /// "A-B" (or "A"), A ≤ B; a malformed range is a usage error.
    public static func parseRange(_ frames: String) throws -> ClosedRange<Int> {
        let parts = frames.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let a = parts[0] { return a...a }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a <= b else {
            throw HostError("--frames takes A-B with A ≤ B, got '\(frames)'", status: .usage)
        }
        return a...b
    }
}
