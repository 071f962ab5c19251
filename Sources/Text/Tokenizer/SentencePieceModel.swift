import Foundation
import UserMessages

/// The parts of a SentencePiece `tokenizer.model` (`ModelProto`) that encoding needs, decoded by hand
/// from the protobuf: the pieces with their scores and types, the model type (unigram / BPE), byte
/// fallback, the special ids and the normalizer spec. Unknown fields are skipped, as protobuf does.
///
/// Follows: google/sentencepiece `sentencepiece_model.proto` (field numbers and proto2 defaults) and
/// the checks of `ModelInterface::InitializePieces` (one unknown piece, no duplicate piece, 256 byte
/// pieces when byte fallback is on).
public struct SentencePieceModel: Sendable {
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable, Hashable {
        public var text: String
        public var score: Float
        public var type: PieceType
    }

    public enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, char = 4
    }

    /// `NormalizerSpec`: how text is normalised before segmentation.
    public struct NormalizerSpec: Sendable {
        /// The rule set's name (`nmt_nfkc`, `identity`, …), for messages.
        public var name = ""
        /// The compiled rules: a Darts double-array trie + replacement strings (empty = none).
        public var precompiledCharsmap: [UInt8] = []
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = true
        public var escapeWhitespaces = true
    }

    public var pieces: [Piece]
    public var modelType: ModelType = .unigram
    public var byteFallback = false
    public var treatWhitespaceAsSuffix = false
    public var unkID = 0
    public var bosID = 1
    public var eosID = 2
    public var padID = -1
    public var normalizer = NormalizerSpec()

    /// A `tokenizer.model` is a few MB (Gemma-3: 4.7 MB, umT5: 4.5 MB); anything far larger is refused
    /// before it is read.
    public static let maxFileSize = 64 << 20
    /// Gemma-3 has 262,144 pieces, umT5 256,000-ish.
    public static let maxPieces = 1 << 20
    public static let maxPieceBytes = 1 << 12

    /// Reads and validates `url`.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
        } catch {
            throw TextError.invalidTokenizer(path: path, reason: "cannot read: \(UserMessage.reason(error))")
        }
        guard size >= 0, size <= Self.maxFileSize else {
            throw TextError.invalidTokenizer(path: path, reason: "\(size) bytes (a SentencePiece model is at most \(Self.maxFileSize))")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TextError.invalidTokenizer(path: path, reason: "cannot read: \(UserMessage.reason(error))")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// Decodes a serialized `ModelProto`; `path` names it in errors.
    public init(bytes: [UInt8], path: String) throws {
        func bad(_ reason: String) -> TextError { .invalidTokenizer(path: path, reason: reason) }
        var pieces: [Piece] = []
        var trainer: ArraySlice<UInt8>?
        var normalizerBytes: ArraySlice<UInt8>?
        do {
            var reader = ProtobufReader(bytes[...])
            while let (field, value) = try reader.next() {
                switch field {
                case 1:
                    guard let b = value.data else { throw bad("piece \(pieces.count) is not a message") }
                    guard pieces.count < Self.maxPieces else { throw bad("more than \(Self.maxPieces) pieces") }
                    pieces.append(try Self.piece(b, index: pieces.count, bad: bad))
                case 2: trainer = value.data
                case 3: normalizerBytes = value.data
                default: continue
                }
            }
        } catch let e as ProtobufReader.Malformed {
            throw bad("not a SentencePiece model (protobuf: \(e.reason))")
        }
        guard !pieces.isEmpty else { throw bad("no pieces (not a SentencePiece model)") }
        self.pieces = pieces
        do {
            if let trainer { try readTrainerSpec(trainer, bad: bad) }
            if let normalizerBytes { try readNormalizerSpec(normalizerBytes, bad: bad) }
        } catch let e as ProtobufReader.Malformed {
            throw bad("not a SentencePiece model (protobuf: \(e.reason))")
        }
        try validate(bad: bad)
    }

    private static func piece(
        _ bytes: ArraySlice<UInt8>, index: Int, bad: (String) -> TextError
    ) throws -> Piece {
        var reader = ProtobufReader(bytes)
        var piece = Piece(text: "", score: 0, type: .normal)
        while let (field, value) = try reader.next() {
            switch field {
            case 1:
                guard let s = value.string else { throw bad("piece \(index) is not valid UTF-8") }
                guard s.utf8.count <= maxPieceBytes else { throw bad("piece \(index) is \(s.utf8.count) bytes long") }
                piece.text = s
            case 2:
                guard let f = value.float, f.isFinite else { throw bad("piece \(index) has a score that is not a finite float") }
                piece.score = f
            case 3:
                guard let raw = value.int32, let t = PieceType(rawValue: raw) else {
                    throw bad("piece \(index) has an unknown type")
                }
                piece.type = t
            default: continue
            }
        }
        guard !piece.text.isEmpty else { throw bad("piece \(index) is empty") }
        return piece
    }

    private mutating func readTrainerSpec(_ bytes: ArraySlice<UInt8>, bad: (String) -> TextError) throws {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            switch field {
            case 3:
                guard let raw = value.int32, let t = ModelType(rawValue: raw) else { throw bad("unknown model_type") }
                modelType = t
            case 24: treatWhitespaceAsSuffix = value.bool ?? false
            case 35: byteFallback = value.bool ?? false
            case 40: unkID = value.int32 ?? unkID
            case 41: bosID = value.int32 ?? bosID
            case 42: eosID = value.int32 ?? eosID
            case 43: padID = value.int32 ?? padID
            default: continue
            }
        }
    }

    private mutating func readNormalizerSpec(_ bytes: ArraySlice<UInt8>, bad: (String) -> TextError) throws {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: normalizer.name = value.string ?? ""
            case 2: normalizer.precompiledCharsmap = Array(value.data ?? [])
            case 3: normalizer.addDummyPrefix = value.bool ?? true
            case 4: normalizer.removeExtraWhitespaces = value.bool ?? true
            case 5: normalizer.escapeWhitespaces = value.bool ?? true
            default: continue
            }
        }
    }

    func validate(bad: (String) -> TextError) throws {
        guard modelType == .unigram || modelType == .bpe else {
            throw bad("model type \(modelType) (only unigram and BPE models are supported)")
        }
        var seen = Set<String>()
        var unknown: [Int] = []
        var bytesFound = Set<Int>()
        for (i, p) in pieces.enumerated() {
            guard seen.insert(p.text).inserted else { throw bad("piece '\(p.text)' is defined twice") }
            if p.type == .unknown { unknown.append(i) }
            if p.type == .byte {
                guard byteFallback else { throw bad("byte piece '\(p.text)' although byte_fallback is off") }
                guard let b = Self.byteValue(of: p.text) else { throw bad("byte piece '\(p.text)' is not <0xHH>") }
                bytesFound.insert(b)
            }
        }
        guard unknown.count == 1 else { throw bad("\(unknown.count) unknown pieces (exactly one is needed)") }
        if byteFallback && bytesFound.count != 256 {
            throw bad("byte_fallback is on but only \(bytesFound.count) of the 256 byte pieces exist")
        }
        for (name, id) in [("unk_id", unkID), ("bos_id", bosID), ("eos_id", eosID), ("pad_id", padID)] {
            guard id >= -1, id < pieces.count else { throw bad("\(name) \(id) is outside the \(pieces.count) pieces") }
        }
    }

    /// `<0x41>` → 65 (SentencePiece's byte pieces are upper-case hex); nil for anything else.
    static func byteValue(of piece: String) -> Int? {
        let u = Array(piece.utf8)
        guard u.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">") else { return nil }
        return Int(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// The byte piece of byte b.
    static func bytePiece(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }
}

extension SentencePieceModel {
    /// A model built from another file's pieces (a tokenizer.json's Unigram); validate before use.
    init(pieces: [Piece]) { self.pieces = pieces }
}
