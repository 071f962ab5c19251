// What this process is writing and has not finished, so that a signal that ends the process (a second
// Ctrl-C, SIGTERM, SIGHUP) still leaves no half-written output: the hidden temporary video, the frames
// of an unfinished sequence, a temporary audio cut.
import Dispatch
import Foundation

/// Files this run created and has not finished. Every file is created (and renamed into place) while
/// holding the registry's lock, so a signal handler that takes the lock, removes what is listed and
/// ends the process can never race a file being created.
public final class RunOutputs: @unchecked Sendable {
    public static let shared = RunOutputs()

    // Recursive: `track` is called inside `creating`.
    private let lock = NSRecursiveLock()
    private var paths: Set<String> = []
    private var sources: [DispatchSourceSignal] = []

    /// Runs `body` (which creates or renames files) holding the lock; a signal waits until it is done.
    public func creating<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Lists `path` as created by this run and unfinished. Call inside `creating`, before creating it.
    public func track(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        paths.insert(path)
    }

    /// `path` is finished (renamed into place for good, or removed): a signal no longer removes it.
    public func untrack(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        paths.remove(path)
    }

    /// The files listed now (for tests).
    public var unfinished: [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths.sorted()
    }

    /// Removes every unfinished file and ends the process at once with `status`; never returns. Holds
    /// the lock to the end, so no file can be created between the removal and the exit.
    public func removeUnfinishedAndExit(_ status: Int32) -> Never {
        lock.lock()
        for path in paths { unlink(path) }
        _exit(status)
    }

    /// Handles SIGINT, SIGTERM and SIGHUP on a dispatch queue instead of dying mid-write: `handler`
    /// gets the signal number and decides (ask the render to stop, or `removeUnfinishedAndExit`).
    public func handleSignals(_ handler: @escaping @Sendable (Int32) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }
}
