import Tensor

/// What one causal layer of the Wan VAE remembers between chunks of the same clip.
///
/// The VAE runs a clip in chunks (encoder: the first frame, then 4 frames at a time; decoder: one
/// latent frame at a time). A causal layer that looks at past frames replaces the zero frames of
/// its causal padding by the last frames of the previous chunk's input; this value carries them.
/// Running chunk after chunk with the cache gives the same result as the whole clip at once.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` (`feat_cache` / `CACHE_T`), made an explicit
/// per-layer value instead of a shared list threaded with a running index.
public struct FrameCache: Sendable {
    /// The last frames of the layer's input stream, `[B, C, n, H, W]` with n ≤ kernel depth − 1
    /// (2 for a 3×3×3 conv, 1 for a downsampling time conv); nil before the first chunk.
    public var tail: Tensor?
    /// Whether the clip's first chunk has gone through the layer (Down3d and Up3d treat frame 0 of
    /// the clip differently from later frames).
    public var started: Bool

    /// The state before the first chunk of a clip.
    public init() {
        tail = nil
        started = false
    }

    /// Bytes held by the cached frames (4 per f32 element), for the memory budget.
    public var byteCount: Int { tail.map { $0.count * $0.dtype.byteSize } ?? 0 }
}

/// The caches of every layer of a `VAEStack`, one entry per layer (a layer owns
/// `layers[i]`, an array of as many `FrameCache` values as it has causal sub-layers).
public struct CausalCache: Sendable {
    /// `layers[i]` belongs to layer i of the stack.
    public var layers: [[FrameCache]]

    /// Fresh caches (start of a clip) for `stack`.
    public init(for stack: VAEStack) {
        layers = stack.layers.map { Array(repeating: FrameCache(), count: $0.cacheCount) }
    }

    /// Bytes held by all cached frames.
    public var byteCount: Int { layers.reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteCount } } }
}
