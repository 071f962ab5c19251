// Still images and numbered image sequences (PNG, PFM): reading frames found by listing the
// folder, writing frames by filling in the pattern.
import Foundation
import UserMessages

/// Reads one image file in either format; the bit depth is 8/16 for PNG, 32 for PFM.
func readImageFile(_ path: String, kind: ImageKind) throws -> (image: RGBAImage, bitDepth: Int) {
    guard FileManager.default.fileExists(atPath: path) else { throw VideoIOError("\(path): file not found", status: .noInput) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw VideoIOError("\(path): cannot be read", status: .noInput)
    }
    guard !data.isEmpty else { throw VideoIOError("\(path): file is empty") }
    switch kind {
    case .png: return try PNGCodec.decode(data, path: path)
    case .pfm: return (try PFM.decode(data, path: path), 32)
    }
}

/// Writes `image` atomically: to a hidden temporary file in the same folder, renamed into place; the
/// temporary file is listed in `RunOutputs` while it exists, so a signal never leaves it behind.
func writeImageFile(_ image: RGBAImage, to path: String, kind: ImageKind, bitDepth: Int) throws {
    guard image.pixels.count == image.width * image.height * 4 else {
        throw VideoIOError(
            "\(path): image holds \(image.pixels.count) values, expected \(image.width)x\(image.height)x4")
    }
    let data: Data
    switch kind {
    case .png: data = try PNGCodec.encode(image, bitDepth: bitDepth, path: path)
    case .pfm: data = PFM.encode(image)
    }
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
    let outputs = RunOutputs.shared
    try outputs.creating {
        outputs.track(temporary)
        defer { outputs.untrack(temporary) }
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw VideoIOError("\(path): cannot be written (\(UserMessage.reason(error)))", status: .cannotCreate)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VideoIOError("\(path): cannot be written (\(reason))", status: .cannotCreate)
        }
    }
}

/// A single PNG/PFM file: one frame that answers every frame number (a still holds).
final class StillImageSource: FrameSource {
    let width: Int
    let height: Int
    let firstFrame = 0
    let frameCount = 1
    let frameRate: Double
    let pixelAspect = 1.0
    let sourceBitDepth: Int
    private let image: RGBAImage

    init(path: String, kind: ImageKind, frameRate: Double) throws {
        (image, sourceBitDepth) = try readImageFile(path, kind: kind)
        width = image.width
        height = image.height
        self.frameRate = frameRate
    }

    func frame(_ number: Int) throws -> RGBAImage { image }
}

/// `shot_####.png`: the frames present in the folder, which must be consecutive.
final class ImageSequenceSource: FrameSource {
    let width: Int
    let height: Int
    let firstFrame: Int
    let frameCount: Int
    let frameRate: Double
    let pixelAspect = 1.0
    let sourceBitDepth: Int
    private let pattern: SequencePattern

    init(pattern: SequencePattern, frameRate: Double) throws {
        self.pattern = pattern
        self.frameRate = frameRate
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: pattern.folder)
        } catch {
            throw VideoIOError("\(pattern.original): folder \(pattern.folder) cannot be listed", status: .noInput)
        }
        let numbers = names.compactMap(pattern.number(inFileName:)).sorted()
        guard let first = numbers.first, let last = numbers.last else {
            throw VideoIOError("\(pattern.original): no files match the pattern in \(pattern.folder)", status: .noInput)
        }
        let present = Set(numbers)
        if present.count != last - first + 1 {
            let missing = (first...last).first { !present.contains($0) } ?? first
            throw VideoIOError(
                "\(pattern.original): frame \(missing) is missing (\(pattern.path(for: missing))); "
                    + "the sequence runs \(first)...\(last) with \(last - first + 1 - present.count) gap(s)")
        }
        if numbers.count != present.count {
            throw VideoIOError("\(pattern.original): two files hold the same frame number (e.g. 7 and 007)")
        }
        firstFrame = first
        frameCount = last - first + 1
        let (image, depth) = try readImageFile(pattern.path(for: first), kind: pattern.kind)
        width = image.width
        height = image.height
        sourceBitDepth = depth
    }

    func frame(_ number: Int) throws -> RGBAImage {
        guard number >= firstFrame, number < firstFrame + frameCount else {
            throw VideoIOError(
                "\(pattern.original): frame \(number) is outside \(firstFrame)...\(firstFrame + frameCount - 1)")
        }
        let path = pattern.path(for: number)
        let (image, _) = try readImageFile(path, kind: pattern.kind)
        guard image.width == width, image.height == height else {
            throw VideoIOError(
                "\(path): frame \(number) is \(image.width)x\(image.height) but the sequence is \(width)x\(height)")
        }
        return image
    }
}

/// Writes each frame to `pattern` with its number filled in (or to one fixed file for a still).
final class ImageSequenceSink: FrameSink {
    private let pattern: SequencePattern
    private let width: Int
    private let height: Int
    private let bitDepth: Int
    /// Frames this sink wrote, for `abandon`.
    private var written: [String] = []

    init(pattern: SequencePattern, width: Int, height: Int, bitDepth: Int) throws {
        switch pattern.kind {
        case .png:
            guard bitDepth == 8 || bitDepth == 16 else {
                throw VideoIOError("\(pattern.original): PNG bit depth must be 8 or 16, not \(bitDepth)")
            }
        case .pfm:
            // PFM is always 32-bit float; the requested depth only describes the source.
            guard [8, 16, 32].contains(bitDepth) else {
                throw VideoIOError("\(pattern.original): bit depth must be 8, 16 or 32, not \(bitDepth)")
            }
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pattern.folder, isDirectory: &isFolder), isFolder.boolValue
        else { throw VideoIOError("\(pattern.original): output folder \(pattern.folder) does not exist", status: .cannotCreate) }
        self.pattern = pattern
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
    }

    func write(_ image: RGBAImage, frame number: Int) throws {
        let path = pattern.path(for: number)
        guard image.width == width, image.height == height else {
            throw VideoIOError(
                "\(path): frame \(number) is \(image.width)x\(image.height) but the output is \(width)x\(height)")
        }
        // The frame stays listed in RunOutputs until the sequence is finished: a signal removes it.
        try RunOutputs.shared.creating {
            try writeImageFile(image, to: path, kind: pattern.kind, bitDepth: bitDepth)
            RunOutputs.shared.track(path)
        }
        written.append(path)
    }

    func abandon() {
        for path in written {
            try? FileManager.default.removeItem(atPath: path)
            RunOutputs.shared.untrack(path)
        }
        written = []
    }

    func finish(audioFile: String?) throws {
        if let audio = audioFile {
            throw VideoIOError(
                "\(pattern.original): an image sequence cannot carry audio (\(audio)); write a video file instead")
        }
        for path in written { RunOutputs.shared.untrack(path) }
        written = []
    }
}
