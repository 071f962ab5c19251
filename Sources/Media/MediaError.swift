// The one error type of Media: every failure names the file or the value that is wrong.
import Foundation

/// A failure in Media (audio files, resampling, features, host pixels), with a message naming
/// the file or the argument at fault, e.g. "talk.wav: file is empty".
public struct MediaError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// Human-readable description.
    public let message: String
    /// Wraps `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
