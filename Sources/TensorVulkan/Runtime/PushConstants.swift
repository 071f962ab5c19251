// The push-constant block of every shader, declared once on the Swift side in the GLSL's own field
// names and order. Dispatch sites name each value; `PushLayout.words` checks the names against the
// declaration, and `ShaderInterfaceTests` checks the declaration against each `.comp` file's
// `layout(push_constant)` block, so Swift and GLSL cannot drift apart unnoticed.
import Tensor

/// A push-constant field's GLSL type (all 32 bits).
enum PushType: String, Sendable {
    case uint
    case float
}

/// A value for one push-constant field.
enum PushValue: Sendable {
    /// A size, count, stride or offset: must fit 32 bits unsigned.
    case uint(Int)
    case float(Float)
    /// A float already as its bit pattern.
    case floatBits(UInt32)

    var type: PushType {
        switch self {
        case .uint: .uint
        case .float, .floatBits: .float
        }
    }
}

/// Named push-constant values in the order of the shader's block, written as a dictionary literal
/// (`["rows": .uint(rows), "n": .uint(n)]`) that keeps its order.
struct PushValues: ExpressibleByDictionaryLiteral {
    var pairs: [(name: String, value: PushValue)]

    init(dictionaryLiteral elements: (String, PushValue)...) { pairs = elements.map { ($0.0, $0.1) } }
    init(_ pairs: [(name: String, value: PushValue)]) { self.pairs = pairs }
}

enum PushLayout {
    /// Shader name (file name without `.comp`) → its push-constant fields in declaration order.
    static let blocks: [String: [(name: String, type: PushType)]] = [
        "attention": fields("Lq Lk H HKV", float: "scale_log2e"),
        "attention_direct": fields("Lq Lk H HKV", float: "scale_log2e") + fields("chunk chunks q_begin rows"),
        "attention_combine": fields("Lq H B chunks q_begin rows"),
        "binary": fields("count a_offset b_offset"),
        "channel_rms_norm": fields("count C P", float: "eps"),
        "copy": fields("count in_offset out_offset"),
        "embedding": fields("count dim table_offset"),
        "gemm": fields("M N K sam sak sbk sbn ldc"),
        "gemm_direct": fields("M N K sam sak sbk sbn ldc"),
        "im2col": fields("count C T H W KT KH KW TO HO WO st sh sw dt dh dw pt ph pw x_offset first chunk"),
        "pack": fields("count"),
        "pad": fields("count", float: "value"),
        "reduce": fields("count n inner"),
        "resize": fields("count n m inner"),
        "rope": fields("pairs_total L H half_d"),
        "row_norm": fields("rows n groups spatial", float: "eps"),
        "softmax": fields("rows n"),
        "ternary": fields("count x_offset u_offset w_offset"),
        "unary": fields("count", float: "s s2"),
    ]

    /// `uint` fields named in `uints`, then `float` fields named in `float` (space separated).
    private static func fields(_ uints: String, float: String = "") -> [(name: String, type: PushType)] {
        uints.split(separator: " ").map { (String($0), .uint) } + float.split(separator: " ").map { (String($0), .float) }
    }

    /// The words of `shader`'s push block from named values, which must be exactly the declared fields
    /// in order. A mismatch is a programming error in a dispatch site and throws (never reaches a shader);
    /// a size that does not fit 32 bits throws `invalidArgument` naming the field.
    static func words(for shader: String, _ values: PushValues) throws -> [UInt32] {
        guard let block = blocks[shader] else {
            throw TensorError.backendFailure("\(shader): no push-constant layout declared in PushLayout")
        }
        let given = values.pairs.map { ($0.name, $0.value.type) }
        guard given.map(\.0) == block.map(\.name), given.map(\.1) == block.map(\.type) else {
            throw TensorError.backendFailure(
                "\(shader): push constants \(given.map { "\($0.1) \($0.0)" }) do not match the shader's block "
                    + "\(block.map { "\($0.type) \($0.name)" })")
        }
        return try values.pairs.map { name, value in
            switch value {
            case .uint(let v):
                guard let word = UInt32(exactly: v) else {
                    throw TensorError.invalidArgument("\(shader): \(name) = \(v) does not fit the shader's 32-bit field")
                }
                return word
            case .float(let v): return v.bitPattern
            case .floatBits(let bits): return bits
            }
        }
    }
}
