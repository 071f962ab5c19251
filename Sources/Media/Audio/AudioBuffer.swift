// Audio as plain Swift values: interleaved float samples with their rate and channel count.

/// Interleaved float audio: `samples[frame * channels + channel]`, shape `[frames, channels]`,
/// full scale = ±1.
public struct AudioBuffer: Sendable, Equatable {
    /// Samples per second per channel.
    public var sampleRate: Int
    /// Number of interleaved channels (≥ 1).
    public var channels: Int
    /// `[frames, channels]` interleaved.
    public var samples: [Float]

    /// Wraps interleaved samples; throws when the count is not a multiple of `channels` or the
    /// rate/channel count is not positive.
    public init(sampleRate: Int, channels: Int, samples: [Float]) throws {
        guard sampleRate > 0 else { throw MediaError("audio sample rate \(sampleRate) is not positive") }
        guard channels > 0 else { throw MediaError("audio channel count \(channels) is not positive") }
        guard samples.count % channels == 0 else {
            throw MediaError("\(samples.count) samples do not split into \(channels) channels")
        }
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// Frames (samples per channel).
    public var frameCount: Int { samples.count / channels }

    /// Duration in seconds: frameCount / sampleRate.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The mono mix: m[t] = (1/C) · Σ_c x[t, c] (an average, so a full-scale signal stays ≤ 1).
    public func mixedToMono() -> AudioBuffer {
        guard channels > 1 else { return self }
        return
            (try? AudioBuffer(sampleRate: sampleRate, channels: 1, samples: Self.monoMix(samples, channels: channels)))
            ?? self
    }

    /// m[t] = (1/C) · Σ_c x[t, c] for interleaved `[frames, C]` input.
    static func monoMix(_ interleaved: [Float], channels: Int) -> [Float] {
        if channels == 1 { return interleaved }
        let frames = interleaved.count / channels
        var mono = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        interleaved.withUnsafeBufferPointer { x in
            mono.withUnsafeMutableBufferPointer { m in
                for c in 0..<channels {
                    for t in 0..<frames { m[t] += x[t * channels + c] }
                }
                for t in 0..<frames { m[t] *= scale }
            }
        }
        return mono
    }
}
