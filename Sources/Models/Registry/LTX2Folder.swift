import Foundation

/// The files of an LTX-2 model folder (the registry's LTX-2 row): the transformer and the text
/// connectors, either as diffusers components (`transformer/`, `connectors/`, each with its
/// `config.json`) or as the single-file LTX-2 checkpoint that holds both (config in its metadata).
/// The vocoder, the audio VAE and the video VAE (`vocoder/`, `audio_vae/`, `vae/`, or inside the
/// single file) are optional here.
public struct LTX2Folder: Sendable, Hashable {
    public let folder: URL
    public let transformer: FolderComponent
    /// The same file as `transformer` for a single-file checkpoint.
    public let connectors: FolderComponent
    /// `vocoder/`, or the single file when it holds `vocoder.*`; nil when the folder has none.
    public let vocoder: FolderComponent?
    /// `audio_vae/`, or the single file when it holds `audio_vae.*`; nil when the folder has none.
    public let audioVAE: FolderComponent?
    /// `vae/`, or the single file when it holds `vae.*`; nil when the folder has none.
    public let videoVAE: FolderComponent?

    /// The registry row: what each component is and how a user recognises the file.
    public static let requirements: [(FolderComponent.Kind, String)] = [
        (
            .ltx2Transformer,
            "the LTX-2 transformer: transformer/ in diffusers layout (config.json + safetensors) or the single ltx-2-19b-*.safetensors"
        ),
        (
            .ltx2Connectors,
            "the LTX-2 text connectors: connectors/ in diffusers layout, or inside the single-file checkpoint"
        ),
    ]

    /// Finds each component in `folder` or throws a message naming what is missing or ambiguous.
    public init(folder: URL) throws {
        let (components, ignored) = try ModelFolder.scan(folder)
        func one(_ kind: FolderComponent.Kind) throws -> FolderComponent? {
            let found = components.filter { $0.kind == kind }
            guard found.count <= 1 else {
                throw ModelFolderError(
                    "Model folder '\(folder.path)' holds several \(kind.rawValue) checkpoints (\(found.map(\.url.path).joined(separator: ", "))); keep one."
                )
            }
            return found.first
        }
        func missing(_ kind: FolderComponent.Kind, _ what: String) -> ModelFolderError {
            let others = components.filter { !$0.kind.rawValue.hasPrefix("LTX-2") }
            let family =
                others.isEmpty
                ? "" : " It holds \(others.map(\.kind.rawValue).joined(separator: ", ")): another family."
            let also =
                ignored.isEmpty
                ? ""
                : " (not recognised: \(ignored.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")))"
            return ModelFolderError(
                "Model folder '\(folder.path)' has no \(kind.rawValue): it needs \(what).\(family)\(also)")
        }
        let (tKind, tWhat) = Self.requirements[0]
        let (cKind, cWhat) = Self.requirements[1]
        guard let transformer = try one(tKind) else { throw missing(tKind, tWhat) }
        var connectors = try one(cKind)
        if connectors == nil, LTX2Checkpoint.hasConnectors(try Checkpoint.open(transformer.url).names) {
            connectors = transformer
        }
        guard let connectors else { throw missing(cKind, cWhat) }
        self.folder = folder
        self.transformer = transformer
        self.connectors = connectors
        var vocoder = try one(.ltx2Vocoder)
        if vocoder == nil, LTX2Checkpoint.hasVocoder(try Checkpoint.open(transformer.url).names) {
            vocoder = transformer
        }
        self.vocoder = vocoder
        var audioVAE = try one(.ltx2AudioVAE)
        if audioVAE == nil, LTX2Checkpoint.hasAudioVAE(try Checkpoint.open(transformer.url).names) {
            audioVAE = transformer
        }
        self.audioVAE = audioVAE
        var videoVAE = try one(.ltx2VideoVAE)
        if videoVAE == nil,
            LTX2Checkpoint.hasVideoVAE(try Checkpoint.open(transformer.url).names.filter { $0.hasPrefix("vae.") })
        {
            videoVAE = transformer
        }
        self.videoVAE = videoVAE
    }
}
