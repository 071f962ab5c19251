// Every libsndfile call Media makes goes through this file: one place that checks results and
// turns them into MediaErrors naming the file.
import CSndFile
import Foundation
import UserMessages

/// An audio file opened for reading with libsndfile.
final class SndFileReader {
    let path: String
    /// Frames (samples per channel) the file declares.
    let frames: Int
    let channels: Int
    let sampleRate: Int
    private let handle: OpaquePointer

    /// Opens `path`; missing, empty, unrecognised and sample-less files throw a MediaError.
    init(path: String) throws {
        self.path = path
        try checkReadableFile(path)
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw MediaError("\(path): not a readable audio file (libsndfile: \(reason))")
        }
        self.handle = handle
        frames = Int(info.frames)
        channels = Int(info.channels)
        sampleRate = Int(info.samplerate)
        guard channels > 0, sampleRate > 0 else {
            sf_close(handle)
            throw MediaError("\(path): audio header states \(channels) channels at \(sampleRate) Hz")
        }
        guard frames > 0 else {
            sf_close(handle)
            throw MediaError("\(path): holds no audio samples")
        }
        // libsndfile shortens a WAV/AIFF whose data chunk is cut off and notes it only in its log.
        if let note = Self.truncationNote(in: logText()) {
            sf_close(handle)
            throw MediaError("\(path): audio data is truncated (libsndfile: \(note))")
        }
    }

    deinit { sf_close(handle) }

    /// Reads `count` frames starting at frame `start` (interleaved `[count, channels]`); the
    /// range must lie inside the file. A short read means a damaged/truncated stream and throws.
    func read(from start: Int, count: Int) throws -> [Float] {
        guard start >= 0, count >= 0, start + count <= frames else {
            throw MediaError("\(path): frames \(start)..<\(start + count) are outside 0..<\(frames)")
        }
        if count == 0 { return [] }
        guard sf_seek(handle, sf_count_t(start), SEEK_SET) == sf_count_t(start) else {
            throw MediaError(
                "\(path): cannot seek to frame \(start) (libsndfile: \(String(cString: sf_strerror(handle))))")
        }
        var samples = [Float](repeating: 0, count: count * channels)
        let got = samples.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(count)) }
        guard got == sf_count_t(count) else {
            throw MediaError(
                "\(path): audio data is truncated or damaged (read \(got) of \(count) frames from frame \(start))")
        }
        return samples
    }

    private func logText() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        _ = sf_command(handle, Int32(SFC_GET_LOG_INFO), &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The log line saying a chunk is longer than the file, if any.
    static func truncationNote(in log: String) -> String? {
        log.split(separator: "\n").first { line in
            line.contains("should be") || line.contains("> file length") || line.contains("truncated")
        }.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Throws a MediaError unless `path` is an existing, non-empty regular file.
func checkReadableFile(_ path: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw MediaError("\(path): file not found", status: .noInput)
    }
    guard !isFolder.boolValue else { throw MediaError("\(path): is a folder, not a file") }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    guard let size else { throw MediaError("\(path): cannot be read") }
    guard size > 0 else { throw MediaError("\(path): file is empty") }
}

/// The container and sample encoding of a written audio file.
struct SndFileFormat {
    var major: Int32
    var subtype: Int32

    var code: Int32 { major | subtype }
}

/// Writes interleaved float samples to a new file at `path` with libsndfile.
func sndfileWrite(_ buffer: AudioBuffer, to path: String, format: SndFileFormat, label: String) throws {
    var info = SF_INFO()
    info.samplerate = Int32(buffer.sampleRate)
    info.channels = Int32(buffer.channels)
    info.format = format.code
    guard sf_format_check(&info) != 0 else {
        throw MediaError(
            "\(label): libsndfile cannot write \(buffer.channels) channels at \(buffer.sampleRate) Hz in this format")
    }
    guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
        throw MediaError("\(label): cannot create the file (libsndfile: \(String(cString: sf_strerror(nil))))", status: .cannotCreate)
    }
    // Float → integer PCM: clip instead of wrapping around on out-of-range samples.
    _ = sf_command(handle, Int32(SFC_SET_CLIPPING), nil, 1)
    let frames = buffer.frameCount
    let written = buffer.samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(frames)) }
    let error = sf_error(handle)
    let closed = sf_close(handle)
    guard written == sf_count_t(frames), error == 0, closed == 0 else {
        throw MediaError("\(label): writing failed after \(written) of \(frames) frames (libsndfile error \(error))")
    }
}
