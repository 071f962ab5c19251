import Tensor

/// How HuMo's reference image latent enters the DiT input (models.md §1.6, goldens §1.8).
///
/// - 1.7B (T2V layout): the sampler state `[16, F_video + n, H, W]` has its last n frames replaced
///   before every call by the reference latent (branches with the image) or zeros (without).
/// - 17B (I2V layout): the state is not touched; the image enters through
///   `y = mask ‖ concat_time(zeroVAE[:, :F_video], ref)` (or `mask ‖ zeroVAE[:, :F]` without it),
///   mask = 4 channels, 0 on video frames and 1 on reference frames.
///
/// Follows: Phantom-video/HuMo `humo/generate_1_7B.py` and `humo/generate.py`.
public enum HuMoReference {
    /// `state[:, :F−n] ‖ ref` along time (or zeros of ref's size when `ref` is nil), n = `refFrames`.
    public static func replaceLastFrames(
        _ state: Tensor, with ref: Tensor?, refFrames: Int = 1, on backend: any Backend
    ) throws -> Tensor {
        guard state.rank == 4, refFrames >= 1, refFrames < state.shape[1] else {
            throw WanError.invalidInput("state \(state.shape) must be [C, F, H, W] with more than \(refFrames) frames")
        }
        let video = try state.narrowed(axis: 1, start: 0, length: state.shape[1] - refFrames)
        var refShape = state.shape
        refShape[1] = refFrames
        let r = try ref ?? backend.zeros(refShape)
        guard r.shape == refShape else {
            throw WanError.invalidInput("reference latent \(r.shape), expected \(refShape)")
        }
        return try backend.concat([video, r], axis: 1)
    }

    /// The 4-channel mask `[4, F, H, W]`: 0 on the first `videoFrames` frames, 1 after.
    public static func mask(frames: Int, videoFrames: Int, height: Int, width: Int, on backend: any Backend) throws
        -> Tensor
    {
        guard frames > 0, videoFrames >= 0, videoFrames <= frames, height > 0, width > 0 else {
            throw WanError.invalidInput("mask: \(videoFrames) video frames of \(frames), \(height)×\(width)")
        }
        let zeros = try backend.zeros([4, videoFrames, height, width])
        let ones = try backend.fill(shape: [4, frames - videoFrames, height, width], value: 1, dtype: .f32)
        return try backend.concat([zeros, ones], axis: 1)
    }

    /// 17B conditioning `[20, F, H, W]` = mask ‖ (zeroVAE[:, :F−n] ‖ ref) with the image, or
    /// mask ‖ zeroVAE[:, :F] without (`ref` nil). zeroVAE `[16, ≥F, H, W]` is the VAE latent of an
    /// all-zero (mid-grey) video; ref `[16, n, H, W]`.
    public static func conditioning(
        zeroVAE: Tensor, ref: Tensor?, frames: Int, refFrames: Int = 1, on backend: any Backend
    ) throws -> Tensor {
        guard zeroVAE.rank == 4, zeroVAE.shape[1] >= frames, refFrames >= 1, refFrames < frames else {
            throw WanError.invalidInput(
                "zero-video latent \(zeroVAE.shape) for \(frames) frames (\(refFrames) reference)")
        }
        let (h, w) = (zeroVAE.shape[2], zeroVAE.shape[3])
        let m = try mask(frames: frames, videoFrames: frames - refFrames, height: h, width: w, on: backend)
        let latent: Tensor
        if let ref {
            guard ref.shape == [zeroVAE.shape[0], refFrames, h, w] else {
                throw WanError.invalidInput(
                    "reference latent \(ref.shape), expected [\(zeroVAE.shape[0]), \(refFrames), \(h), \(w)]")
            }
            latent = try backend.concat(
                [try zeroVAE.narrowed(axis: 1, start: 0, length: frames - refFrames), ref], axis: 1)
        } else {
            latent = try zeroVAE.narrowed(axis: 1, start: 0, length: frames)
        }
        return try backend.concat([m, latent], axis: 0)
    }
}
