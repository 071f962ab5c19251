// The entry point of ofx-host and omniedit. ArgumentParser alone would exit 1 with "Error: <dump>" for
// every error a command throws; here only the command line itself exits 64 with a usage line, and every
// other error prints one message (UserMessage) and exits with the status it warrants (ExitStatus).
import ArgumentParser
import Foundation
import UserMessages

/// A mistake in the command line found after parsing (a malformed --set, --frames outside the clip):
/// exits 64 with the message and a usage line, like a parse error.
public typealias CommandLineError = ValidationError

/// Parses the arguments, runs the command, and exits.
public func runCommandLine<Root: ParsableCommand>(_ root: Root.Type, name: String) -> Never {
    var command: ParsableCommand
    do {
        command = try root.parseAsRoot()
    } catch {
        root.exit(withError: error)  // usage 64, --help 0
    }
    do {
        try command.run()
        exit(0)
    } catch let error as ValidationError {
        root.exit(withError: error)
    } catch let error as ExitCode {
        exit(error.rawValue)
    } catch let error as CleanExit {
        root.exit(withError: error)
    } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
        // `--help` on a command with subcommands parses to ArgumentParser's help command, whose run()
        // throws ArgumentParser's own (internal) error type: ArgumentParser prints the help and exits 0.
        root.exit(withError: error)
    } catch {
        FileHandle.standardError.write(Data("\(name): \(UserMessage.text(error))\n".utf8))
        exit(UserMessage.exitStatus(error).rawValue)
    }
}

/// A failure with a message and the exit status it warrants.
public struct CommandFailure: Error, CustomStringConvertible, ExitStatusProviding {
    public let description: String
    public let exitStatus: ExitStatus
    public init(_ message: String, status: ExitStatus) {
        description = message
        exitStatus = status
    }
}
