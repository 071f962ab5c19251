// Log-mel spectrograms: centred STFT (reflect padding) → power → mel bank → log compression.
// One parameterised implementation serves Whisper/HuMo and LTX-2's audio front end.
// Follows: transformers WhisperFeatureExtractor (torch path), as documented in
// shared/goldens/README.md §3.2.
import Foundation

/// How mel power is compressed.
public enum LogMelCompression: Sendable, Equatable {
    /// Whisper: L = log10(max(mel, 1e−10)); L = max(L, max(L) − 8) with max over the whole
    /// chunk; out = (L + 4) / 4.
    case whisper
    /// out = ln(max(mel, floor)).
    case naturalLog(floor: Float)
}

/// What the mel bank is applied to.
public enum SpectrumKind: Sendable, Equatable {
    /// |X[k]|² (Whisper).
    case power
    /// |X[k]| (torchaudio `power=1.0`, LTX-2).
    case magnitude
}

/// Settings of a log-mel front end. Presets: `.whisper` (HuMo's audio path) and `.ltx2`.
public struct LogMelSettings: Sendable, Equatable {
    /// Expected input rate in Hz (the caller resamples to it).
    public var sampleRate: Int
    /// FFT length n_fft (even); the periodic Hann window has this length too.
    public var fftSize: Int
    /// Samples between frame starts.
    public var hopLength: Int
    /// Mel bands.
    public var melCount: Int
    /// Lowest and highest band edge in Hz.
    public var minFrequency: Double
    public var maxFrequency: Double
    public var melScale: MelScale
    public var normalization: MelNormalization
    /// Zero-pad (at the end) every chunk to this many samples; nil = no padding, one chunk.
    public var chunkSamples: Int?
    /// Drop the STFT's last frame (Whisper: 3001 → 3000 frames).
    public var dropLastFrame: Bool
    /// Power or magnitude spectrum under the mel bank.
    public var spectrum: SpectrumKind
    public var compression: LogMelCompression

    /// Whisper large-v3 / HuMo: 16 kHz, n_fft 400, hop 160, 128 Slaney mels (Slaney norm)
    /// 0–8000 Hz, 30 s chunks, last frame dropped, Whisper compression → [128, 3000] per chunk.
    public static let whisper = LogMelSettings(
        sampleRate: 16000, fftSize: 400, hopLength: 160, melCount: 128, minFrequency: 0, maxFrequency: 8000,
        melScale: .slaney, normalization: .slaney, chunkSamples: 480_000, dropLastFrame: true, spectrum: .power,
        compression: .whisper)

    /// LTX-2's audio VAE input (one channel; LTX-2 feeds left and right separately): 16 kHz,
    /// n_fft 1024, hop 160, 64 mels, Slaney scale and norm over 0–8000 Hz, centred reflect-padded
    /// STFT with a periodic Hann window, **magnitude** spectrum, out = ln(max(mel, 1e−5)), every
    /// frame kept. Follows LTX-2's audio processor (torchaudio `MelSpectrogram(power=1.0,
    /// mel_scale="slaney", norm="slaney")` then `log(clamp(·, 1e−5))`), read in a public port
    /// (SimpleTuner `ltxvideo2/audio_autoencoder.py`); no LTX-2 golden has been checked yet.
    public static let ltx2 = LogMelSettings(
        sampleRate: 16000, fftSize: 1024, hopLength: 160, melCount: 64, minFrequency: 0, maxFrequency: 8000,
        melScale: .slaney, normalization: .slaney, chunkSamples: nil, dropLastFrame: false, spectrum: .magnitude,
        compression: .naturalLog(floor: 1e-5))
}

/// A log-mel spectrogram `[melCount, frameCount]` (row-major: `values[m * frameCount + t]`).
public struct MelFeatures: Sendable, Equatable {
    public var melCount: Int
    public var frameCount: Int
    /// `[mel, frame]` row-major.
    public var values: [Float]
}

/// The log-mel front end for one `LogMelSettings`. A value: create once, use from any thread
/// (each call makes its own FFT context).
///
/// Frame t covers padded samples [t·hop, t·hop + n_fft) of the signal reflect-padded by n_fft/2
/// on each side (mirror without repeating the edge sample), times the periodic Hann window
/// w[i] = 0.5 − 0.5·cos(2πi/n_fft); S = |rfft|² (or |rfft|); mel = bankᵀ · S.
public struct LogMelSpectrogram: Sendable {
    public let settings: LogMelSettings
    public let filterBank: MelFilterBank
    /// Periodic Hann window of length n_fft.
    public let window: [Float]

    public init(_ settings: LogMelSettings) throws {
        guard settings.fftSize >= 4, settings.fftSize % 2 == 0 else {
            throw MediaError("n_fft \(settings.fftSize) must be even and ≥ 4")
        }
        guard settings.hopLength >= 1 else { throw MediaError("hop length \(settings.hopLength) must be ≥ 1") }
        if let chunk = settings.chunkSamples, chunk <= settings.fftSize / 2 {
            throw MediaError("chunk of \(chunk) samples is too short for n_fft \(settings.fftSize)")
        }
        self.settings = settings
        filterBank = try MelFilterBank(
            binCount: settings.fftSize / 2 + 1, melCount: settings.melCount, sampleRate: settings.sampleRate,
            minFrequency: settings.minFrequency, maxFrequency: settings.maxFrequency, scale: settings.melScale,
            normalization: settings.normalization)
        let n = settings.fftSize
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
    }

    /// Log-mel features of `samples` (mono at `settings.sampleRate`): one `MelFeatures` per
    /// chunk of `chunkSamples` (the last zero-padded), or one for the whole input.
    public func callAsFunction(_ samples: [Float]) throws -> [MelFeatures] {
        try chunks(of: samples).map { compress(try melPower($0)) }
    }

    /// The chunks the input is cut into, each padded with zeros to `chunkSamples`.
    func chunks(of samples: [Float]) throws -> [[Float]] {
        guard let size = settings.chunkSamples else {
            guard samples.count > settings.fftSize / 2 else {
                throw MediaError(
                    "\(samples.count) audio samples are too few for a centred STFT with n_fft \(settings.fftSize)")
            }
            return [samples]
        }
        let count = max(1, (samples.count + size - 1) / size)
        return (0..<count).map { i in
            let part = samples[min(samples.count, i * size)..<min(samples.count, (i + 1) * size)]
            return Array(part) + [Float](repeating: 0, count: size - part.count)
        }
    }

    /// mel = bankᵀ · |STFT|² (or |STFT| for `.magnitude`) for one chunk, before compression:
    /// `[melCount, frames]`.
    public func melPower(_ samples: [Float]) throws -> MelFeatures {
        let n = settings.fftSize
        let hop = settings.hopLength
        let pad = n / 2
        guard samples.count > pad else {
            throw MediaError("\(samples.count) audio samples are too few for a centred STFT with n_fft \(n)")
        }
        // Reflect padding: padded[i] = x[pad − i] on the left, x[2(L−1) − j] on the right.
        let length = samples.count
        var padded = [Float](repeating: 0, count: length + 2 * pad)
        for i in 0..<pad { padded[i] = samples[pad - i] }
        padded.replaceSubrange(pad..<(pad + length), with: samples)
        for i in 0..<pad { padded[pad + length + i] = samples[length - 2 - i] }
        var frames = 1 + (padded.count - n) / hop
        if settings.dropLastFrame { frames -= 1 }
        let bins = n / 2 + 1
        let mels = settings.melCount
        let fft = try RealFFT(length: n)
        let magnitude = settings.spectrum == .magnitude
        var values = [Float](repeating: 0, count: mels * frames)
        var frame = [Float](repeating: 0, count: n)
        var power = [Float](repeating: 0, count: bins)
        padded.withUnsafeBufferPointer { x in
            window.withUnsafeBufferPointer { w in
                filterBank.weights.withUnsafeBufferPointer { bank in
                    frame.withUnsafeMutableBufferPointer { f in
                        power.withUnsafeMutableBufferPointer { p in
                            values.withUnsafeMutableBufferPointer { out in
                                for t in 0..<frames {
                                    let start = t * hop
                                    for i in 0..<n { f[i] = x[start + i] * w[i] }
                                    fft.powerSpectrum(f.baseAddress!, into: p.baseAddress!)
                                    if magnitude {
                                        for k in 0..<bins { p[k] = p[k].squareRoot() }
                                    }
                                    for m in 0..<mels {
                                        // Float64 sums: the bank has ≤ a few dozen taps per band.
                                        var sum = 0.0
                                        for k in filterBank.bandRanges[m] {
                                            sum += Double(bank[k * mels + m]) * Double(p[k])
                                        }
                                        out[m * frames + t] = Float(sum)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return MelFeatures(melCount: mels, frameCount: frames, values: values)
    }

    /// Applies `settings.compression` to mel power.
    public func compress(_ power: MelFeatures) -> MelFeatures {
        var out = power
        switch settings.compression {
        case .whisper:
            var peak = -Float.infinity
            for i in out.values.indices {
                let l = log10(max(out.values[i], 1e-10))
                out.values[i] = l
                peak = max(peak, l)
            }
            let floor = peak - 8
            for i in out.values.indices { out.values[i] = (max(out.values[i], floor) + 4) / 4 }
        case .naturalLog(let floor):
            for i in out.values.indices { out.values[i] = log(max(out.values[i], floor)) }
        }
        return out
    }
}
