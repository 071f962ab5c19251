// libFuzzer harness: an audio file (WAV, FLAC, MP3, OGG — libsndfile decides by content) through what a
// LipSync render does with it: its info, every channel at the model's rate over a span, mono at 16 kHz.
// Any trap is a bug: a hostile file must end in an error. Build and run: `make fuzz` (tools/fuzz/README.md).
import Foundation
import FuzzSupport
import Media

runFuzzer { bytes, size in
    guard let data = bytes else { return 0 }
    // The extension only names the file in messages; libsndfile reads the format from the bytes.
    let path = ScratchFile.write(data, size, name: "audio.wav")
    do {
        let info = try AudioFile.info(path)
        _ = try AudioFile.readChannels(path, sampleRate: 16_000, span: AudioSpan(frames: 0..<25, frameRate: 25))
        _ = try AudioFile.readMono(path, sampleRate: 16_000, span: AudioSpan(frames: 3..<9, frameRate: 25, offset: 0.1))
        if info.sampleRate != 16_000 { _ = try AudioFile.readChannels(path, sampleRate: info.sampleRate) }
    } catch {
        _ = "\(error)"
    }
    return 0
}
