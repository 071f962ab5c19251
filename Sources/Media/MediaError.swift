// The one error type of Media: every failure names the file or the value that is wrong.
import Foundation
import UserMessages

/// A failure in Media (audio files, resampling, features, host pixels), with a message naming
/// the file or the argument at fault, e.g. "talk.wav: file is empty".
public struct MediaError: Error, CustomStringConvertible, LocalizedError, Sendable, ExitStatusProviding {
    /// Human-readable description.
    public let message: String
    /// `.dataError` (a malformed file or value), `.noInput` (a missing file) or `.cannotCreate` (an output).
    public let exitStatus: ExitStatus
    /// Wraps `message`.
    public init(_ message: String, status: ExitStatus = .dataError) {
        self.message = message
        exitStatus = status
    }
    public var description: String { message }
    public var errorDescription: String? { message }
}
