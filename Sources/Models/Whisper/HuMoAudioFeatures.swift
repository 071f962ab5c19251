import Tensor

/// HuMo's audio conditioning from Whisper hidden states: the 33 large-v3 states (or 4g+1 of a smaller
/// Whisper-structured encoder) grouped into 5,
/// resampled from 50 Hz to the video rate, and cut into one 8-frame window per latent frame.
///
/// 1. `group`: g0…g3 = mean of states [0,8), [8,16), [16,24), [24,32); g4 = state 32 → `[T50, 5, C]`.
/// 2. `resample`: linear interpolation with align_corners to T25 = ⌊T50/2⌋ frames:
///    `out[i] = (1−λ)·g[i₀] + λ·g[min(i₀+1, T50−1)]`, src = i·s with s = (T50−1)/(T25−1) and src
///    evaluated in f32 as torch does, i₀ = ⌊src⌋, λ = src − i₀ (interpolation, not decimation).
/// 3. `windows`: latent frame k gets video-rate rows a[4k−5 … 4k+2] (8 rows; a[i] = 0 outside
///    0..<T25, so window 0 is five zero rows then a[0…2]), then one all-zero window per reference
///    frame → `[F + nRef, 8, 5, C]`, the DiT's audio input.
///
/// Follows: Phantom-video/HuMo `humo/utils/audio_processor_whisper.py` and `humo/generate*.py`
/// (goldens README §3.4, models.md §1.5).
public enum HuMoAudioFeatures {
    /// Groups HuMo makes of the encoder's hidden states: four means of consecutive states, then the last.
    public static let groups = 5
    /// Rows per window and how the window sits around latent frame k: rows 4k−5 … 4k+2.
    public static let windowLength = 8
    public static let windowStartOffset = -5
    /// Audio samples per 25-fps video frame at 16 kHz.
    public static let samplesPerVideoFrame = 640

    /// States per group for an encoder with `stateCount` = layers + 1 hidden states: large-v3's 33
    /// give HuMo's groups of 8; a smaller encoder with 4g layers gives groups of g (the same rule:
    /// four equal runs of states, then the final-norm state alone). Nil when 4 does not divide layers.
    public static func groupSize(stateCount: Int) -> Int? {
        guard stateCount >= 5, (stateCount - 1) % 4 == 0 else { return nil }
        return (stateCount - 1) / 4
    }

    /// States `[4g+1]` of `[T, C]` → `[T, 5, C]` (HuMo: 33 states, g = 8).
    public static func group(_ states: [Tensor], on backend: any Backend) throws -> Tensor {
        guard let groupSize = groupSize(stateCount: states.count), let first = states.first, first.rank == 2,
            states.allSatisfy({ $0.shape == first.shape })
        else {
            throw WhisperError.invalidInput(
                "HuMo grouping needs 4g+1 hidden states (an encoder of 4g layers; large-v3: 33) of one shape [T, C]; got \(states.count) of \(states.map(\.shape))"
            )
        }
        var parts: [Tensor] = []
        for g in 0..<(groups - 1) {
            var sum = states[g * groupSize]
            for i in 1..<groupSize { sum = try backend.add(sum, states[g * groupSize + i]) }
            parts.append(try backend.scalar(.div, sum, Float(groupSize)).unsqueezed(1))
        }
        parts.append(try states[states.count - 1].unsqueezed(1))
        return try backend.concat(parts, axis: 1)
    }

    /// Hidden states of consecutive 30 s chunks (each chunk: 33 states `[1500, C]`) → the
    /// video-rate features `[T25, 5, C]` of a clip of `sampleCount` samples at 16 kHz: the chunks
    /// are joined in time, cut to T50 = 2·⌊sampleCount/640⌋, grouped and resampled to T50/2.
    public static func videoRateFeatures(
        chunks: [[Tensor]], sampleCount: Int, on backend: any Backend
    ) throws -> Tensor {
        let t50 = 2 * (sampleCount / samplesPerVideoFrame)
        guard sampleCount > 0, t50 >= 2, !chunks.isEmpty else {
            throw WhisperError.invalidInput(
                "\(sampleCount) samples give \(t50 / 2) video frames at 25 fps; at least one is needed")
        }
        let count = chunks[0].count
        guard chunks.allSatisfy({ $0.count == count && $0.allSatisfy { $0.rank == 2 } }) else {
            throw WhisperError.invalidInput(
                "chunks must hold the same number of [T, C] states; got \(chunks.map { $0.map(\.shape) })")
        }
        let available = chunks.reduce(0) { $0 + ($1.first.map { $0.shape[0] } ?? 0) }
        guard available >= t50 else {
            throw WhisperError.invalidInput(
                "\(available) encoder frames at 50 Hz for \(t50) needed by \(sampleCount) samples")
        }
        var states: [Tensor] = []
        for i in 0..<count {
            let joined = chunks.count == 1 ? chunks[0][i] : try backend.concat(chunks.map { $0[i] }, axis: 0)
            states.append(try joined.narrowed(axis: 0, start: 0, length: t50))
        }
        return try resample(group(states, on: backend), to: t50 / 2, on: backend)
    }

    /// `[T, …]` resampled along axis 0 to `frames` rows (linear, align_corners, f32 positions).
    public static func resample(_ x: Tensor, to frames: Int, on backend: any Backend) throws -> Tensor {
        guard x.rank >= 1, x.shape[0] >= 1, frames >= 1 else {
            throw WhisperError.invalidInput("resample: \(x.shape) to \(frames) frames")
        }
        let n = x.shape[0]
        let rest = Array(x.shape.dropFirst())
        let table = try backend.reshape(x, [n, rest.reduce(1, *)])
        // torch upsample_linear1d (align_corners): scale and source index in the input's precision.
        let scale: Float = frames > 1 ? Float(n - 1) / Float(frames - 1) : 0
        var lower: [Int32] = []
        var upper: [Int32] = []
        var weightLow: [Float] = []
        var weightHigh: [Float] = []
        for i in 0..<frames {
            let src = scale * Float(i)
            let i0 = min(Int(src.rounded(.down)), n - 1)
            let lambda = min(max(src - Float(i0), 0), 1)
            lower.append(Int32(i0))
            upper.append(Int32(min(i0 + 1, n - 1)))
            weightLow.append(1 - lambda)
            weightHigh.append(lambda)
        }
        let a = try backend.mul(
            try backend.embedding(table, indices: lower),
            try backend.upload(weightLow, shape: [frames, 1], dtype: .f32))
        let b = try backend.mul(
            try backend.embedding(table, indices: upper),
            try backend.upload(weightHigh, shape: [frames, 1], dtype: .f32))
        return try backend.add(a, b).reshaped([frames] + rest)
    }

    /// Latent frames of a clip of `videoFrames` = 4m+1 frames: m + 1.
    public static func latentFrames(videoFrames: Int) throws -> Int {
        guard videoFrames >= 1, (videoFrames - 1) % 4 == 0 else {
            throw WhisperError.invalidInput("\(videoFrames) video frames; HuMo needs 4m+1")
        }
        return (videoFrames - 1) / 4 + 1
    }

    /// HuMo's default clip length for `featureFrames` video-rate features: the largest 4m+1 ≤ it.
    public static func defaultVideoFrames(featureFrames: Int) -> Int { max(1, ((featureFrames - 1) / 4) * 4 + 1) }

    /// Features `a` `[T25, 5, C]` → windows `[F + referenceFrames, 8, 5, C]` for a clip of
    /// `videoFrames` (4m+1; nil = `defaultVideoFrames`), F = m + 1.
    public static func windows(
        _ a: Tensor, videoFrames: Int? = nil, referenceFrames: Int = 0, on backend: any Backend
    ) throws -> Tensor {
        guard a.rank == 3, a.shape[0] >= 1, a.shape[1] == groups, referenceFrames >= 0 else {
            throw WhisperError.invalidInput(
                "windows: features \(a.shape) must be [T25, \(groups), C]; \(referenceFrames) reference frames")
        }
        let t25 = a.shape[0]
        let latent = try latentFrames(videoFrames: videoFrames ?? defaultVideoFrames(featureFrames: t25))
        let width = groups * a.shape[2]
        // Row t25 of the table is the zero row every out-of-range index reads.
        let table = try backend.concat(
            [try backend.reshape(a, [t25, width]), try backend.zeros([1, width])], axis: 0)
        var indices: [Int32] = []
        for k in 0..<(latent + referenceFrames) {
            for r in 0..<windowLength {
                let i = 4 * k + windowStartOffset + r
                indices.append(k < latent && i >= 0 && i < t25 ? Int32(i) : Int32(t25))
            }
        }
        return try backend.embedding(table, indices: indices)
            .reshaped([latent + referenceFrames, windowLength, groups, a.shape[2]])
    }
}
