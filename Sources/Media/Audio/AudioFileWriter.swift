// Writing the edited track (AV Edit): WAV or FLAC through libsndfile, atomically, and never
// over the file the audio was read from.
import CSndFile
import Foundation
import UserMessages

/// How samples are stored in a written file.
public enum AudioEncoding: Sendable {
    /// 16-bit integer PCM (WAV, FLAC).
    case pcm16
    /// 24-bit integer PCM (WAV, FLAC).
    case pcm24
    /// 32-bit IEEE float (WAV only).
    case float32
}

extension AudioFile {
    /// Writes `buffer` to `path` (`.wav` or `.flac`, chosen by the extension).
    ///
    /// The samples go to a temporary file in the same folder, which is then renamed over
    /// `path`, so readers never see a half-written file. Samples beyond ±1 are clipped for
    /// integer encodings.
    /// - Parameters:
    ///   - protecting: the input file(s) the audio came from; writing to the same file (same
    ///     device and inode, or the same resolved path) is refused with an error.
    public static func write(
        _ buffer: AudioBuffer, to path: String, encoding: AudioEncoding = .pcm16, protecting inputs: [String] = []
    ) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let major: Int32
        switch ext {
        case "wav": major = Int32(SF_FORMAT_WAV)
        case "flac": major = Int32(SF_FORMAT_FLAC)
        default: throw MediaError("\(path): unknown audio output extension '.\(ext)' (expected .wav or .flac)")
        }
        let subtype: Int32
        switch encoding {
        case .pcm16: subtype = Int32(SF_FORMAT_PCM_16)
        case .pcm24: subtype = Int32(SF_FORMAT_PCM_24)
        case .float32:
            guard ext == "wav" else {
                throw MediaError("\(path): FLAC cannot store float samples; use .pcm16 or .pcm24")
            }
            subtype = Int32(SF_FORMAT_FLOAT)
        }
        for input in inputs where sameFile(path, input) {
            throw MediaError("\(path): refusing to overwrite the input audio file \(input)", status: .cannotCreate)
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw MediaError("\(path): output folder \(folder.path) does not exist", status: .cannotCreate)
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial.\(ext)")
            .path
        do {
            try sndfileWrite(buffer, to: temporary, format: SndFileFormat(major: major, subtype: subtype), label: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw MediaError("\(path): cannot move the written file into place (\(String(cString: strerror(code))))", status: .cannotCreate)
        }
    }

    /// Whether two paths name one file: the same device and inode, or (when either is missing) the same
    /// resolved path. Never by the spelling alone (`dir/./a.wav`, `dir//a.wav`, `..`, symlinks are one file).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat()
        var sb = stat()
        if stat(a, &sa) == 0, stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
        return URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
