// Pipeline — the audio side of AV Edit: a window's span of the source audio as LTX-2's stereo log-mel,
// and the edited windows' waveforms joined into one track, overlaps cross-faded.
//
// Alignment: window frames [a, b] of a clip starting at frame f0 at r fps cover the seconds
// [offset + (a − f0)/r, offset + (b + 1 − f0)/r). The span is read at the front end's rate, padded at its
// end to whole audio latents (hop × compression samples), and the edited waveform is cut back to the
// span's exact length at the vocoder's rate, so every window's audio starts exactly at its first frame.
import Foundation
import Media
import Tensor
import UserMessages

enum AVAudio {
    /// Where a window's audio lies, in samples of `rate` from the clip's first frame.
    static func span(of window: ClosedRange<Int>, clipStart: Int, frameRate: Double, rate: Int) -> Range<Int> {
        let start = Int((Double(window.lowerBound - clipStart) / frameRate * Double(rate)).rounded())
        let end = Int((Double(window.upperBound + 1 - clipStart) / frameRate * Double(rate)).rounded())
        return start..<max(start + 1, end)
    }

    /// The source audio of `window` as mel `[channels, T, melCount]` (T = whole latents × compression) and
    /// the samples read (`[channels][N]`, for the result key). No path: silence of the span's length (a
    /// clip without sound, whose audio latent only gives the generated audio its shape).
    static func sourceMel(
        path: String?, window: ClosedRange<Int>, clipStart: Int, frameRate: Double, offset: Double, channels: Int,
        compression: Int, settings: LogMelSettings
    ) throws -> (mel: [Float], frames: Int, samples: [[Float]]) {
        let rate = settings.sampleRate
        let exact = span(of: window, clipStart: clipStart, frameRate: frameRate, rate: rate)
        let unit = settings.hopLength * compression
        let padded = (exact.count + unit - 1) / unit * unit
        let audioSpan = try AudioSpan(
            start: offset + Double(exact.lowerBound) / Double(rate), duration: Double(padded) / Double(rate))
        var read: [[Float]] = Array(repeating: [], count: channels)
        if let path {
            do {
                read = try AudioFile.readChannels(path, sampleRate: rate, span: audioSpan)
                if read.count != channels {
                    let mono = try AudioFile.readMono(path, sampleRate: rate, span: audioSpan)
                    read = Array(repeating: mono, count: channels)
                }
            } catch {
                throw PipelineError.invalidInput("cannot read the source audio '\(path)': \(UserMessage.text(error))")
            }
        }
        read = read.map { Array($0.prefix(padded)) + [Float](repeating: 0, count: max(0, padded - $0.count)) }
        let frames = padded / settings.hopLength
        let front = try LogMelSpectrogram(settings)
        var mel = [Float](repeating: 0, count: channels * frames * settings.melCount)
        for (c, samples) in read.enumerated() {
            guard let m = try front(samples).first, m.frameCount >= frames else {
                throw PipelineError.invalidInput("the source audio span of frames \(window) is too short for a mel spectrogram")
            }
            // [mel, frame] → [frame, mel], the centred STFT's extra last frame dropped (the window's own frames).
            for t in 0..<frames {
                for b in 0..<settings.melCount {
                    mel[(c * frames + t) * settings.melCount + b] = m.values[b * m.frameCount + t]
                }
            }
        }
        return (mel, frames, read)
    }

    /// Joins windows' waveforms (`[channels][samples]` at `rate`, each starting at its window's first
    /// frame) into the clip's track. Where windows overlap, each fades in over its first `overlap` frames
    /// and out over its last (linear ramps, normalised to sum 1): continuous gains, so no click.
    static func join(
        _ parts: [(window: ClosedRange<Int>, samples: [[Float]])], plan: WindowPlan, frameRate: Double, rate: Int,
        channels: Int
    ) -> [[Float]] {
        let clipStart = plan.frames.lowerBound
        let total = span(of: plan.frames, clipStart: clipStart, frameRate: frameRate, rate: rate).count
        let cap = max(1.0, Double(plan.overlap) / frameRate * Double(rate))
        var out = [[Float]](repeating: [Float](repeating: 0, count: total), count: channels)
        var weights = [Double](repeating: 0, count: total)
        let spans = parts.map { span(of: $0.window, clipStart: clipStart, frameRate: frameRate, rate: rate) }
        func ramp(_ i: Int, _ t: Int) -> Double {
            let s = spans[i]
            let fromStart = i == 0 ? cap : Double(t - s.lowerBound + 1)
            let toEnd = i == parts.count - 1 ? cap : Double(s.upperBound - t)
            return max(0, min(cap, fromStart, toEnd))
        }
        for (i, part) in parts.enumerated() {
            let s = spans[i]
            for t in s.clamped(to: 0..<total) {
                let w = ramp(i, t)
                weights[t] += w
                let k = t - s.lowerBound
                for c in 0..<channels where k < part.samples[c].count {
                    out[c][t] += Float(w) * part.samples[c][k]
                }
            }
        }
        for t in 0..<total where weights[t] > 0 {
            let inv = Float(1 / weights[t])
            for c in 0..<channels { out[c][t] *= inv }
        }
        return out
    }

    /// Planar `[channels][samples]` → an interleaved buffer.
    static func buffer(_ planar: [[Float]], rate: Int) throws -> AudioBuffer {
        let n = planar.first?.count ?? 0
        var interleaved = [Float](repeating: 0, count: n * planar.count)
        for (c, ch) in planar.enumerated() {
            for t in 0..<n { interleaved[t * planar.count + c] = ch[t] }
        }
        return try AudioBuffer(sampleRate: rate, channels: planar.count, samples: interleaved)
    }
}
