// Triangular mel filter banks, computed from the formulas (no tables), in float64.
import Foundation

/// How frequencies map to mels.
public enum MelScale: Sendable, Equatable {
    /// Slaney (Auditory Toolbox): linear below 1 kHz (mel = 3f/200), logarithmic above
    /// (mel = 15 + ln(f/1000) / (ln 6.4 / 27)). Whisper uses this.
    case slaney
    /// HTK: mel = 2595 · log10(1 + f/700).
    case htk

    /// Hz → mel.
    public func mel(_ hz: Double) -> Double {
        switch self {
        case .htk: return 2595 * log10(1 + hz / 700)
        case .slaney:
            let linear = hz * 3 / 200
            return hz < 1000 ? linear : 15 + log(hz / 1000) / (log(6.4) / 27)
        }
    }

    /// mel → Hz (inverse of `mel(_:)`).
    public func hz(_ mel: Double) -> Double {
        switch self {
        case .htk: return 700 * (pow(10, mel / 2595) - 1)
        case .slaney: return mel < 15 ? mel * 200 / 3 : 1000 * exp((log(6.4) / 27) * (mel - 15))
        }
    }
}

/// How each triangle is scaled.
public enum MelNormalization: Sendable, Equatable {
    /// Peak 1 for every triangle.
    case none
    /// Slaney area normalisation: triangle m is scaled by 2 / (f[m+2] − f[m]), so each has
    /// unit area in Hz (librosa's and Whisper's `norm="slaney"`).
    case slaney
}

/// A bank of `melCount` triangles over the `binCount` = n_fft/2 + 1 bins of a real FFT.
///
/// Edges: f[i] = hz(linspace(mel(fMin), mel(fMax), melCount + 2)[i]); bin k sits at
/// k · (sampleRate/2) / (binCount − 1). Weight of bin k in band m:
/// w[k, m] = max(0, min((F_k − f[m]) / (f[m+1] − f[m]), (f[m+2] − F_k) / (f[m+2] − f[m+1]))),
/// times the normalisation.
public struct MelFilterBank: Sendable {
    /// Number of FFT bins (rows).
    public let binCount: Int
    /// Number of mel bands (columns).
    public let melCount: Int
    /// `[binCount, melCount]` weights (row-major), as Whisper's `mel_filters`.
    public let weights: [Float]
    /// For band m, the bins with a non-zero weight: `bandRanges[m]` (used to skip zeros).
    let bandRanges: [Range<Int>]

    /// Computes the bank; throws on empty sizes or a frequency range outside 0 … sampleRate/2.
    public init(
        binCount: Int, melCount: Int, sampleRate: Int, minFrequency: Double, maxFrequency: Double,
        scale: MelScale, normalization: MelNormalization
    ) throws {
        guard binCount >= 2, melCount >= 1 else {
            throw MediaError("mel filter bank needs ≥ 2 FFT bins and ≥ 1 band, not \(binCount) and \(melCount)")
        }
        guard minFrequency >= 0, maxFrequency > minFrequency, maxFrequency <= Double(sampleRate) / 2 + 1e-9 else {
            throw MediaError(
                "mel frequency range \(minFrequency)...\(maxFrequency) Hz is not inside 0...\(sampleRate / 2) Hz")
        }
        self.binCount = binCount
        self.melCount = melCount
        let lowMel = scale.mel(minFrequency)
        let highMel = scale.mel(maxFrequency)
        let edges = (0..<(melCount + 2)).map {
            scale.hz(lowMel + (highMel - lowMel) * Double($0) / Double(melCount + 1))
        }
        let nyquist = Double(sampleRate / 2)
        let binHz = (0..<binCount).map { nyquist * Double($0) / Double(binCount - 1) }
        var weights = [Float](repeating: 0, count: binCount * melCount)
        var ranges: [Range<Int>] = []
        for m in 0..<melCount {
            let gain = normalization == .slaney ? 2 / (edges[m + 2] - edges[m]) : 1
            var first = binCount
            var last = -1
            for k in 0..<binCount {
                let rising = (binHz[k] - edges[m]) / (edges[m + 1] - edges[m])
                let falling = (edges[m + 2] - binHz[k]) / (edges[m + 2] - edges[m + 1])
                let w = max(0, min(rising, falling)) * gain
                if w > 0 {
                    weights[k * melCount + m] = Float(w)
                    first = min(first, k)
                    last = max(last, k)
                }
            }
            ranges.append(last >= first ? first..<(last + 1) : 0..<0)
        }
        self.weights = weights
        bandRanges = ranges
    }
}
