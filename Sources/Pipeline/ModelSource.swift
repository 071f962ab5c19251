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

    /// The folder to load: the user's, or the built-in model inside the bundle
    /// (`Contents/Resources/models/lipsync` or `…/avedit`). Throws a `ModelUnavailable` saying why
    /// there is none.
    public func resolvedFolder(fileExists: (String) -> Bool) throws -> String {
        if !folder.isEmpty {
            guard fileExists(folder) else {
                throw ModelUnavailable(message: "Model folder '\(folder)' does not exist or cannot be read.")
            }
            return folder
        }
        let builtIn = (bundleResources ?? "") + "/models/" + (family == .humo ? "lipsync" : "avedit")
        guard bundleResources != nil, fileExists(builtIn) else {
            throw ModelUnavailable(
                message: "This build has no built-in \(family.rawValue) model (looked in '\(builtIn)'). "
                    + "Set 'Model folder' to a folder of \(family.rawValue) weights.")
        }
        return builtIn
    }
}
