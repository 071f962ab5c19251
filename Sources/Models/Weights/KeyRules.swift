/// An ordered list of small renames from checkpoint tensor names to a model's own names, applied
/// in order to every key (later rules see the result of earlier ones).
///
/// Follows the shape of apple/mlx-swift-examples StableDiffusion `Load.swift` (lists of tiny rules
/// per component); the Wan tables are ours, from the key lists in docs/models.md §1.9 and diffusers'
/// `WanTransformer3DModel` parameter names.
public struct KeyRules: Sendable, Hashable {
    public enum Rule: Sendable, Hashable {
        /// Removes `prefix` from keys that start with it.
        case dropPrefix(String)
        /// Replaces a leading `from` with `to`.
        case replacePrefix(String, String)
        /// Replaces every occurrence of `from` with `to` (use dotted fragments such as ".attn1.to_q.").
        case replace(String, String)
    }

    public var rules: [Rule]

    public init(_ rules: [Rule]) { self.rules = rules }

    /// The model name of checkpoint key `key`.
    public func apply(_ key: String) -> String {
        var k = key
        for rule in rules {
            switch rule {
            case .dropPrefix(let p):
                if k.hasPrefix(p) { k = String(k.dropFirst(p.count)) }
            case .replacePrefix(let from, let to):
                if k.hasPrefix(from) { k = to + k.dropFirst(from.count) }
            case .replace(let from, let to):
                k = k.replacingOccurrences(of: from, with: to)
            }
        }
        return k
    }

    /// No renames.
    public static let identity = KeyRules([])

    /// Wan2.1 / HuMo DiT: original names pass through; the `model.diffusion_model.` prefix of
    /// ComfyUI repacks is dropped; diffusers `WanTransformer3DModel` names map to the original ones
    /// (norm2 of diffusers is the affine cross-attention norm, Wan's `norm3`).
    public static let wanDiT = KeyRules([
        .dropPrefix("model.diffusion_model."),
        .dropPrefix("diffusion_model."),
        .replacePrefix("condition_embedder.time_embedder.linear_1.", "time_embedding.0."),
        .replacePrefix("condition_embedder.time_embedder.linear_2.", "time_embedding.2."),
        .replacePrefix("condition_embedder.time_proj.", "time_projection.1."),
        .replacePrefix("condition_embedder.text_embedder.linear_1.", "text_embedding.0."),
        .replacePrefix("condition_embedder.text_embedder.linear_2.", "text_embedding.2."),
        .replacePrefix("proj_out.", "head.head."),
        .replacePrefix("scale_shift_table", "head.modulation"),
        .replace(".scale_shift_table", ".modulation"),
        .replace(".attn1.to_out.0.", ".self_attn.o."),
        .replace(".attn2.to_out.0.", ".cross_attn.o."),
        .replace(".attn1.to_", ".self_attn."),
        .replace(".attn2.to_", ".cross_attn."),
        .replace(".attn1.norm_", ".self_attn.norm_"),
        .replace(".attn2.norm_", ".cross_attn.norm_"),
        .replace(".norm2.", ".norm3."),
        .replace(".ffn.net.0.proj.", ".ffn.0."),
        .replace(".ffn.net.2.", ".ffn.2."),
    ])
}
