// Pipeline — where an effect's model comes from: a user folder of safetensors, or the model
// embedded in the bundle. Never downloaded.

/// Why an effect cannot render with the model it was pointed at; `message` is shown to the user.
public struct ModelUnavailable: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// A model family the pipeline can run.
public enum ModelFamily: String, Sendable {
    case humo = "HuMo (Wan2.1 audio-to-video)"
    case ltx2 = "LTX-2 (audio-video)"
}

/// Finds the model an effect should run.
public struct ModelSource: Sendable {
    public let family: ModelFamily
    /// The user's folder, or empty for the built-in model.
    public let folder: String
    /// `Contents/Resources` of the bundle, where the built-in model lives.
    public let bundleResources: String?

    public init(family: ModelFamily, folder: String, bundleResources: String?) {
        self.family = family
        self.folder = folder
        self.bundleResources = bundleResources
    }

    /// Checks the model can be run and throws a `ModelUnavailable` saying why not.
    /// Inference for the model families lands with their issues; until then every path ends in an
    /// honest error that says what is missing, never in a fake result.
    public func requireRunnable(fileExists: (String) -> Bool, listFolder: (String) -> [String]?) throws {
        if folder.isEmpty {
            let builtIn = (bundleResources ?? "") + "/models/" + (family == .humo ? "lipsync" : "avedit")
            guard bundleResources != nil, fileExists(builtIn + "/config.json") else {
                throw ModelUnavailable(
                    message: "No model is installed yet: this build has no built-in \(family.rawValue) model. "
                        + "Set 'Model folder' to a folder of \(family.rawValue) safetensors once model support is available.")
            }
        } else {
            guard let entries = listFolder(folder) else {
                throw ModelUnavailable(message: "Model folder '\(folder)' does not exist or cannot be read.")
            }
            guard entries.contains(where: { $0.hasSuffix(".safetensors") }) else {
                throw ModelUnavailable(message: "Model folder '\(folder)' holds no .safetensors file.")
            }
        }
        throw ModelUnavailable(
            message: "\(family.rawValue) inference is not available in this build yet; no frame was rendered.")
    }
}
