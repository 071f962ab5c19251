// Evaluation — attributes read back from audio (tools/data/av_measure.py's pitch and envelope, and the
// low-band mel centroid of tools/train_av/sample_eval.py), same constants.
import Foundation
import Media

public enum AudioMeasures {
    /// Samples per 25-fps frame at 16 kHz: the generator's and the built-in AV model's grid.
    public static let frameSamples = 640
    public static let sampleRate = 16000

    /// Pitch per frame in Hz, 0 where unvoiced (`av_measure.f0_track`): the normalised, unbiased
    /// autocorrelation of each frame (mean removed), its peak over lags of 60–500 Hz; voiced when the peak
    /// is ≥ 0.45 and the frame's RMS is above 2 % of the loudest frame's and above 1e−4.
    public static func f0Track(_ audio: [Double], sampleRate: Int = sampleRate, frameSamples spf: Int = frameSamples) -> [Double] {
        let n = audio.count / spf
        guard n > 0 else { return [] }
        let rms = (0..<n).map { i in (audio[(i * spf)..<((i + 1) * spf)].map { $0 * $0 }.reduce(0, +) / Double(spf)).squareRoot() }
        let loudest = rms.max() ?? 0
        let floor = loudest > 0 ? 0.02 * loudest : 1
        let lo = sampleRate / 500, hi = min(sampleRate / 60, spf / 2)
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n where rms[i] >= floor && rms[i] >= 1e-4 && hi > lo {
            let frame = Array(audio[(i * spf)..<((i + 1) * spf)])
            let mean = frame.reduce(0, +) / Double(spf)
            let x = frame.map { $0 - mean }
            func lagged(_ k: Int) -> Double {
                var s = 0.0
                for t in 0..<(spf - k) { s += x[t] * x[t + k] }
                return s
            }
            let zero = lagged(0)
            guard zero > 0 else { continue }
            var best = -Double.infinity, bestLag = lo
            for k in lo..<hi {
                let c = lagged(k) / zero / (1 - Double(k) / Double(spf))
                if c > best { (best, bestLag) = (c, k) }
            }
            if best >= 0.45 { out[i] = Double(sampleRate) / Double(bestLag) }
        }
        return out
    }

    /// The median pitch over voiced frames, 0 if none (`av_measure.median_f0`).
    public static func medianF0(_ audio: [Double]) -> Double {
        let voiced = f0Track(audio).filter { $0 > 0 }
        return voiced.isEmpty ? 0 : Statistics.median(voiced)
    }

    /// RMS per 25-fps frame over `frames` frames, the audio zero-padded or cut to fit (`av_measure.envelope`).
    public static func envelope(_ audio: [Double], frames: Int, frameSamples spf: Int = frameSamples) -> [Double] {
        (0..<frames).map { f in
            var s = 0.0
            for t in (f * spf)..<((f + 1) * spf) where t < audio.count { s += audio[t] * audio[t] }
            return (s / Double(spf)).squareRoot()
        }
    }

    /// The energy centroid (Hz) of the mel bands centred below `below` Hz, over the loudest half of the
    /// frames, of LTX-2's log-mel of `audio` (16 kHz mono): sample_eval's `low_band_centroid`, a pitch
    /// proxy that a buzzing vocoder does not hide (sample_eval reads it on the decoded mel before the
    /// vocoder; here it is read on the output waveform's own mel, frames 0 ..< samples/160).
    public static func lowBandCentroid(_ audio: [Float], below: Double = 1000) throws -> Double {
        let front = try LogMelSpectrogram(.ltx2)
        guard let mel = try front(audio).first else { return .nan }
        let bank = front.filterBank
        let nyquist = Double(front.settings.sampleRate) / 2
        // Band centres: the filter-weighted mean of the bins' frequencies.
        let centres = (0..<bank.melCount).map { m -> Double in
            var w = 0.0, wf = 0.0
            for b in 0..<bank.binCount {
                let v = Double(bank.weights[b * bank.melCount + m])
                w += v
                wf += v * nyquist * Double(b) / Double(bank.binCount - 1)
            }
            return wf / max(w, 1e-30)
        }
        let frames = min(mel.frameCount, audio.count / front.settings.hopLength)
        guard frames > 0 else { return .nan }
        // energy[t][m] = exp(log-mel)
        let energy = (0..<frames).map { t in (0..<mel.melCount).map { exp(Double(mel.values[$0 * mel.frameCount + t])) } }
        let totals = energy.map { $0.reduce(0, +) }
        let threshold = Statistics.median(totals)
        var weight = 0.0, weighted = 0.0
        for (t, row) in energy.enumerated() where totals[t] >= threshold {
            for m in 0..<mel.melCount where centres[m] < below {
                weight += row[m]
                weighted += row[m] * centres[m]
            }
        }
        return weighted / max(weight, 1e-12)
    }

    /// The mono mix of an audio buffer as doubles (the mean of its channels).
    public static func mono(_ buffer: AudioBuffer) -> [Double] {
        buffer.mixedToMono().samples.map(Double.init)
    }
}

public enum Statistics {
    /// The median (the mean of the two middle values for an even count, as numpy); NaN when empty.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Pearson's r; NaN when either side is (nearly) constant: standard deviations ≤ `minStd`.
    public static func pearson(_ a: [Double], _ b: [Double], minStd: (Double, Double) = (1e-9, 1e-9)) -> Double {
        let n = min(a.count, b.count)
        guard n >= 2 else { return .nan }
        let a = Array(a.prefix(n)), b = Array(b.prefix(n))
        let ma = a.reduce(0, +) / Double(n), mb = b.reduce(0, +) / Double(n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        let sa = (saa / Double(n)).squareRoot(), sb = (sbb / Double(n)).squareRoot()
        guard sa > minStd.0, sb > minStd.1 else { return .nan }
        return sab / (saa * sbb).squareRoot()
    }
}
