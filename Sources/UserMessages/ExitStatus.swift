// Exit statuses of the command-line tools (ofx-host, omniedit), after BSD sysexits.h, so scripts and
// render farms can tell "fix the command" from "fix the file" from "fix the disk".

/// What a command's exit status says. The README's "Exit statuses" section lists the same table.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Done.
    case success = 0
    /// ofx-host: a render failed inside the plugin (the plugin's message is printed).
    case renderFailed = 1
    /// ofx-host: the plugin broke the OpenFX rules (the problems found are printed).
    case pluginProblem = 3
    /// The command line itself is wrong (unknown option, missing argument, malformed value); a usage line is printed.
    case usage = 64
    /// An input file or a value in it is wrong: a malformed image, audio, checkpoint, config or job file,
    /// a parameter out of range, a model that does not fit in memory.
    case dataError = 65
    /// An input file or folder does not exist or cannot be read.
    case noInput = 66
    /// Something failed that is not the user's data: a compute backend, an internal check.
    case software = 70
    /// An output cannot be created: its folder is missing or read-only, it would replace an input, the disk is full.
    case cannotCreate = 73
    /// Stopped by Ctrl-C (SIGINT); 128 + the signal number for SIGTERM (143) and SIGHUP (129).
    case interrupted = 130
}

/// An error that knows which exit status it warrants; errors that do not conform exit with `.software`
/// unless `UserMessage.exitStatus` recognises them (Foundation file and JSON errors).
public protocol ExitStatusProviding: Error {
    var exitStatus: ExitStatus { get }
}
