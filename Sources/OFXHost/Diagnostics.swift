// OFXHost — errors the host raises and the problems it finds in a plugin's behaviour.
import Foundation
import UserMessages

/// A failure of the host or of a plugin action, with the message a user should see.
public struct HostError: Error, CustomStringConvertible, Sendable, ExitStatusProviding {
    public let message: String
    /// `.renderFailed` for a plugin action that failed; the host's own checks of its inputs say theirs.
    public let exitStatus: ExitStatus
    public init(_ message: String, status: ExitStatus = .renderFailed) {
        self.message = message
        exitStatus = status
    }
    public var description: String { message }
}

/// Problems and messages collected while a plugin runs. Thread-safe: plugins call suites from any thread.
public final class Diagnostics: @unchecked Sendable {
    private let lock = NSLock()
    private var problemList: [String] = []
    private var messageList: [HostMessage] = []
    /// Called for every message as it arrives (the CLI prints them).
    public var onMessage: ((HostMessage) -> Void)?

    public init() {}

    /// Plugin misbehaviour found by the host (bad handle, leaked image, write outside the window…).
    public var problems: [String] { lock.withLock { problemList } }
    public var messages: [HostMessage] { lock.withLock { messageList } }

    func problem(_ text: String) { lock.withLock { problemList.append(text) } }
    func message(_ m: HostMessage) {
        lock.withLock {
            messageList.append(m)
            if m.persistent { persistent = m }
        }
        onMessage?(m)
    }
    private var persistent: HostMessage?
    func clearPersistent() { lock.withLock { persistent = nil } }

    /// The persistent error or fatal message the plugin set and has not cleared.
    public var persistentError: HostMessage? {
        lock.withLock { persistent.flatMap { $0.type == "OfxMessageError" || $0.type == "OfxMessageFatal" ? $0 : nil } }
    }
}

/// A message a plugin sent through the message suite.
public struct HostMessage: Sendable, CustomStringConvertible {
    public let type: String
    public let id: String
    public let text: String
    public let persistent: Bool
    public var description: String {
        let kind = type.replacingOccurrences(of: "OfxMessage", with: "").lowercased()
        return "\(persistent ? "persistent " : "")\(kind): \(text)"
    }
}
