// Which exit status each Models failure warrants on the command line (UserMessages.ExitStatus): a
// checkpoint, config or folder that is wrong is the user's data; a missing file is a missing input.
import Tensor
import UserMessages

extension WeightsError: ExitStatusProviding {
    public var exitStatus: ExitStatus {
        switch self {
        case .io(_, let reason): reason.hasPrefix("cannot write") ? .cannotCreate : .noInput
        default: .dataError
        }
    }
}

extension ModelFolderError: ExitStatusProviding {}
extension WanError: ExitStatusProviding { public var exitStatus: ExitStatus { .dataError } }
extension WanVAEError: ExitStatusProviding { public var exitStatus: ExitStatus { .dataError } }
extension WhisperError: ExitStatusProviding { public var exitStatus: ExitStatus { .dataError } }
extension LTX2Error: ExitStatusProviding { public var exitStatus: ExitStatus { .dataError } }

extension TensorError: ExitStatusProviding {
    /// Shapes and sizes come from the user's model and inputs; a backend that fails is ours.
    public var exitStatus: ExitStatus {
        switch self {
        case .backendFailure, .unsupported, .foreignStorage, .notAView: .software
        default: .dataError
        }
    }
}
