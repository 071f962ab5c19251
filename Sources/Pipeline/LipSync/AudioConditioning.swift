// Pipeline — a clip's speech as HuMo's audio condition: the audio of the clip's frame range read at
// 16 kHz, log-mel in 30 s chunks, the Whisper encoder's hidden states grouped into 5 and resampled to
// one row per video frame (models.md §1.5). At 25 fps this is HuMo's own path; at other rates the
// 50 Hz features are interpolated to the clip's frames, so audio spans follow the frames exactly.
import Foundation
import Media
import Models
import Sampler
import Tensor
import UserMessages

/// Audio features of a clip, one row per frame of `frames`.
struct ClipAudioFeatures {
    /// `[frames.count, 5, C]`.
    let features: Tensor
    let frames: ClosedRange<Int>
    /// Seconds of the clip the file does not cover (filled with silence), for the user.
    let silencePadded: Double
    /// SHA-256 of the samples read (the audio file's content over the clip's span).
    let contentDigest: [UInt8]

    /// Rows of window `w` (inside `frames`), `[w.count, 5, C]`.
    func rows(_ w: ClosedRange<Int>) throws -> Tensor {
        try features.narrowed(axis: 0, start: w.lowerBound - frames.lowerBound, length: w.count)
    }
}

enum AudioConditioning {
    static let sampleRate = 16_000

    /// Reads `path` over `frames` at `frameRate` (shifted by `offset` s) and encodes it with `model`'s Whisper.
    static func features(
        path: String, frames: ClosedRange<Int>, frameRate: Double, offset: Double, model: HuMoModel
    ) throws -> ClipAudioFeatures {
        let info: AudioFileInfo
        do { info = try AudioFile.info(path) } catch {
            throw PipelineError.invalidInput("cannot read the audio file '\(path)': \(UserMessage.text(error))")
        }
        guard info.frameCount > 0 else { throw PipelineError.invalidInput("the audio file '\(path)' is empty") }
        // The clip's first frame lines up with `offset` seconds into the file, whatever its frame number.
        let span = try AudioSpan(frames: 0..<frames.count, frameRate: frameRate, offset: offset)
        let covered = max(0, min(span.start + span.duration, info.duration) - max(span.start, 0))
        let samples: [Float]
        do { samples = try AudioFile.readMono(path, sampleRate: sampleRate, span: span) } catch {
            throw PipelineError.invalidInput("cannot read the audio file '\(path)': \(UserMessage.text(error))")
        }
        var sha = SHA256()
        samples.withUnsafeBytes { sha.update(bufferPointer: $0) }
        let digest = sha.finalize()
        // The encoder runs once per audio content and frame count in the process: every plugin render
        // builds a new job, and re-encoding a long track with Whisper-large on each would dominate.
        let memoKey = digest.map { String(format: "%02x", $0) }.joined() + "|\(frames.count)"
        let features: Tensor
        if let known = model.audioFeatureMemo.get(memoKey) {
            features = known
        } else {
            features = try model.computeLock.withLock { try encode(samples: samples, frames: frames.count, model: model) }
            model.audioFeatureMemo.put(memoKey, features, bytes: features.count * 4)
        }
        return ClipAudioFeatures(
            features: features, frames: frames, silencePadded: max(0, span.duration - covered), contentDigest: digest)
    }

    /// Samples at 16 kHz → `[frames, 5, C]`.
    static func encode(samples: [Float], frames: Int, model: HuMoModel) throws -> Tensor {
        let backend = model.backend
        var settings = LogMelSettings.whisper
        settings.melCount = model.whisper.config.melBins
        let melFrames = 2 * model.whisper.config.maxSourcePositions
        settings.chunkSamples = melFrames * settings.hopLength
        let mels = try LogMelSpectrogram(settings)(samples)
        var states: [[Tensor]] = []
        for mel in mels {
            let x = try backend.upload(mel.values, shape: [mel.melCount, mel.frameCount], dtype: .f32)
            states.append(try model.whisper.hiddenStates(x, on: backend))
        }
        // 50 Hz rows that hold audio (HuMo: 2·⌊samples/640⌋), at least 2 for the interpolation.
        let t50 = max(2, min(states.count * model.whisper.config.maxSourcePositions, samples.count / 320))
        var joined: [Tensor] = []
        for i in 0..<states[0].count {
            let all = states.count == 1 ? states[0][i] : try backend.concat(states.map { $0[i] }, axis: 0)
            joined.append(try all.narrowed(axis: 0, start: 0, length: t50))
        }
        let grouped = try HuMoAudioFeatures.group(joined, on: backend)
        return try HuMoAudioFeatures.resample(grouped, to: frames, on: backend)
    }
}
