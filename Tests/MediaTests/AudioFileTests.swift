import CSndFile
import Foundation
import XCTest

@testable import Media

final class AudioFileTests: XCTestCase {
    private struct Case {
        var name: String
        var format: Int32
        var lossy: Bool
        var rate = 44100
    }

    private let cases = [
        Case(name: "pcm16.wav", format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), lossy: false),
        Case(name: "float.wav", format: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT), lossy: false),
        Case(name: "pcm24.aiff", format: Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_24), lossy: false),
        Case(name: "pcm24.flac", format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24), lossy: false),
        Case(name: "vorbis.ogg", format: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS), lossy: true),
        Case(name: "opus.ogg", format: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS), lossy: true, rate: 48000),
        Case(name: "layer3.mp3", format: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III), lossy: true),
    ]

    func testEverySupportedFormatReadsBackSineFrequencyAndAmplitude() throws {
        let folder = try makeScratchFolder(self)
        for c in cases {
            let rate = c.rate
            let count = c.rate
            let left = sine(frequency: 440, amplitude: 0.5, rate: rate, count: count)
            let right = sine(frequency: 440, amplitude: 0.25, rate: rate, count: count)
            let path = folder + "/" + c.name
            try writeWithSndFile(path, format: c.format, rate: rate, channels: 2, samples: interleave([left, right]))
            let buffer = try AudioFile.read(path)
            XCTAssertEqual(buffer.sampleRate, rate, c.name)
            XCTAssertEqual(buffer.channels, 2, c.name)
            if c.lossy {
                XCTAssertEqual(Double(buffer.frameCount), Double(count), accuracy: 3000, c.name)
            } else {
                XCTAssertEqual(buffer.frameCount, count, c.name)
            }
            let mono = buffer.mixedToMono().samples
            // Skip the codec's start-up (MP3/Vorbis/Opus priming) and look at 0.5 s in the middle.
            let middle = mono[8000..<(8000 + rate / 2)]  // 220 whole periods
            XCTAssertEqual(zeroCrossingFrequency(middle, rate: rate), 440, accuracy: 0.05, c.name)
            let gain = amplitude(at: 440, of: middle, rate: rate) / 0.375
            XCTAssertEqual(20 * log10(gain), 0, accuracy: c.lossy ? 0.5 : 0.01, c.name)
            if !c.lossy {
                let info = try AudioFile.info(path)
                XCTAssertEqual(info, AudioFileInfo(sampleRate: rate, channels: 2, frameCount: count))
            }
        }
    }

    func testMonoMixIsTheChannelAverage() throws {
        let stereo = try AudioBuffer(sampleRate: 8000, channels: 3, samples: [0.3, -0.6, 0.9, 1, 1, 1])
        let mono = stereo.mixedToMono()
        XCTAssertEqual(mono.channels, 1)
        XCTAssertEqual(mono.samples[0], 0.2, accuracy: 1e-7)
        XCTAssertEqual(mono.samples[1], 1, accuracy: 1e-7)
        assertThrowsMessage(["do not split into 2 channels"]) {
            _ = try AudioBuffer(sampleRate: 8000, channels: 2, samples: [1, 2, 3])
        }
    }

    func testSpanOfFramesIsCutFromTheResampledFileAndPaddedWithSilence() throws {
        let folder = try makeScratchFolder(self)
        let path = folder + "/tone.wav"
        let rate = 44100
        let tone = sine(frequency: 700, amplitude: 0.6, rate: rate, count: rate)  // 1.0 s
        try writeWithSndFile(
            path, format: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT), rate: rate, channels: 1, samples: tone)
        let whole = try AudioFile.readMono(path, sampleRate: 16000)
        XCTAssertEqual(whole.count, 16000)
        // Frames 10..<20 at 25 fps, audio starting 0.1 s into the file: 0.5 s ..< 0.9 s.
        let span = try AudioSpan(frames: 10..<20, frameRate: 25, offset: 0.1)
        XCTAssertEqual(span.start, 0.5, accuracy: 1e-12)
        XCTAssertEqual(span.duration, 0.4, accuracy: 1e-12)
        let part = try AudioFile.readMono(path, sampleRate: 16000, span: span)
        XCTAssertEqual(part.count, 6400)
        let reference = whole[8000..<14400]
        XCTAssertLessThan(zip(part, reference).map { abs($0 - $1) }.max()!, 1e-5)
        // The same span against the closed form (resampling keeps phase: sample k is time k/16000).
        let analytic = (8000..<14400).map { Float(0.6 * sin(2 * Double.pi * 700 * Double($0) / 16000)) }
        XCTAssertLessThan(zip(part, analytic).map { abs($0 - $1) }.max()!, 2e-3)

        // 0.8 s ..< 1.3 s: the last 0.3 s lies after the file and is silence.
        let tail = try AudioFile.readMono(path, sampleRate: 16000, span: AudioSpan(start: 0.8, duration: 0.5))
        XCTAssertEqual(tail.count, 8000)
        XCTAssertGreaterThan(tail[0..<3000].map(abs).max()!, 0.5)
        XCTAssertEqual(tail[3300...].map(abs).max()!, 0, accuracy: 1e-6)
        // Before the file: silence, then the tone from t = 0.
        let head = try AudioFile.readMono(path, sampleRate: 16000, span: AudioSpan(start: -0.25, duration: 0.5))
        XCTAssertEqual(head[0..<3700].map(abs).max()!, 0, accuracy: 1e-6)
        XCTAssertGreaterThan(head[4500...].map(abs).max()!, 0.5)
        // Same rate: no resampling, the samples themselves.
        let native = try AudioFile.readMono(path, sampleRate: rate, span: AudioSpan(start: 0.5, duration: 0.01))
        XCTAssertEqual(native, Array(tone[22050..<22491]))
    }

    func testChannelsAreResampledSeparately() throws {
        let folder = try makeScratchFolder(self)
        let path = folder + "/stereo.flac"
        let left = sine(frequency: 500, amplitude: 0.5, rate: 48000, count: 24000)
        let right = sine(frequency: 1500, amplitude: 0.25, rate: 48000, count: 24000)
        try writeWithSndFile(
            path, format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24), rate: 48000, channels: 2,
            samples: interleave([left, right]))
        let channels = try AudioFile.readChannels(path, sampleRate: 16000, span: AudioSpan(start: 0.1, duration: 0.3))
        XCTAssertEqual(channels.map(\.count), [4800, 4800])
        XCTAssertEqual(amplitude(at: 500, of: channels[0][400..<4400], rate: 16000), 0.5, accuracy: 0.005)
        XCTAssertEqual(amplitude(at: 1500, of: channels[0][400..<4400], rate: 16000), 0, accuracy: 0.002)
        XCTAssertEqual(amplitude(at: 1500, of: channels[1][400..<4400], rate: 16000), 0.25, accuracy: 0.003)
        let mono = try AudioFile.readMono(path, sampleRate: 16000, span: AudioSpan(start: 0.1, duration: 0.3))
        let average = zip(channels[0], channels[1]).map { ($0 + $1) / 2 }
        XCTAssertLessThan(zip(mono, average).map { abs($0 - $1) }.max()!, 1e-5)
        assertThrowsMessage(["beyond 86400 s"]) {
            _ = try AudioFile.readMono(path, sampleRate: 16000, span: AudioSpan(start: 0, duration: 1e12))
        }
    }

    func testMissingEmptyTruncatedAndNonAudioFilesGiveClearErrors() throws {
        let folder = try makeScratchFolder(self)
        assertThrowsMessage(["missing.wav", "file not found"]) { _ = try AudioFile.read(folder + "/missing.wav") }
        assertThrowsMessage(["is a folder"]) { _ = try AudioFile.read(folder) }
        try Data().write(to: URL(fileURLWithPath: folder + "/empty.wav"))
        assertThrowsMessage(["empty.wav", "file is empty"]) { _ = try AudioFile.read(folder + "/empty.wav") }
        try Data("This is a text file, not audio.\n".utf8).write(to: URL(fileURLWithPath: folder + "/notes.wav"))
        assertThrowsMessage(["notes.wav", "not a readable audio file"]) {
            _ = try AudioFile.read(folder + "/notes.wav")
        }

        var state: UInt32 = 99
        let noise = Data(
            (0..<8192).map { _ -> UInt8 in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8(state >> 24)
            })
        for (name, head) in [
            ("noise.wav", "RIFF\u{0}\u{20}\u{0}\u{0}WAVEfmt "), ("noise.flac", "fLaC"), ("noise.ogg", "OggS"),
        ] {
            try (Data(head.utf8) + noise).write(to: URL(fileURLWithPath: folder + "/" + name))
            assertThrowsMessage([name]) { _ = try AudioFile.read(folder + "/" + name) }
        }

        let tone = sine(frequency: 440, amplitude: 0.5, rate: 16000, count: 16000)
        for name in ["cut.wav", "cut.flac"] {
            let path = folder + "/" + name
            let format = name.hasSuffix("wav") ? SF_FORMAT_WAV | SF_FORMAT_PCM_16 : SF_FORMAT_FLAC | SF_FORMAT_PCM_16
            try writeWithSndFile(path, format: Int32(format), rate: 16000, channels: 1, samples: tone)
            let full = try Data(contentsOf: URL(fileURLWithPath: path))
            // Cut inside the header, then inside the sample data.
            try full.prefix(30).write(to: URL(fileURLWithPath: path))
            assertThrowsMessage([name]) { _ = try AudioFile.read(path) }
            try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
            assertThrowsMessage([name, "truncated"]) { _ = try AudioFile.read(path) }
        }
    }

    func testWriteIsAtomicReadableAndRefusesToOverwriteTheInput() throws {
        let folder = try makeScratchFolder(self)
        let input = folder + "/input.wav"
        let tone = sine(frequency: 300, amplitude: 0.7, rate: 22050, count: 22050)
        try writeWithSndFile(
            input, format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), rate: 22050, channels: 1, samples: tone)
        let original = try Data(contentsOf: URL(fileURLWithPath: input))
        let buffer = try AudioBuffer(sampleRate: 22050, channels: 2, samples: interleave([tone, tone.map { -$0 }]))

        assertThrowsMessage(["refusing to overwrite the input", "input.wav"]) {
            try AudioFile.write(buffer, to: input, protecting: [input])
        }
        try FileManager.default.createSymbolicLink(atPath: folder + "/alias.wav", withDestinationPath: input)
        assertThrowsMessage(["refusing to overwrite"]) {
            try AudioFile.write(buffer, to: folder + "/alias.wav", protecting: [input])
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), original)

        for (name, encoding, step) in [
            ("out.wav", AudioEncoding.pcm16, 1.0 / 32768), ("out.flac", .pcm24, 1.0 / 8_388_608),
            ("f.wav", .float32, 0),
        ] {
            let path = folder + "/" + name
            try AudioFile.write(buffer, to: path, encoding: encoding, protecting: [input])
            let back = try AudioFile.read(path)
            XCTAssertEqual(back.sampleRate, 22050)
            XCTAssertEqual(back.channels, 2)
            XCTAssertLessThanOrEqual(zip(back.samples, buffer.samples).map { Double(abs($0 - $1)) }.max()!, step, name)
        }
        // A failing write leaves an existing file as it was and no temporary file behind.
        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/out.flac"))
        assertThrowsMessage(["FLAC cannot store float"]) {
            try AudioFile.write(buffer, to: folder + "/out.flac", encoding: .float32)
        }
        assertThrowsMessage(["unknown audio output extension"]) { try AudioFile.write(buffer, to: folder + "/out.mp3") }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/out.flac")), before)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(names, ["alias.wav", "f.wav", "input.wav", "out.flac", "out.wav"])
    }
}
