// Shared by the libFuzzer harnesses (Sources/fuzz-*): readers that take a path get each input through one
// scratch file per process, in /dev/shm when there is one (no disk traffic at thousands of runs a second).
import CLibFuzzer
import Foundation

public enum ScratchFile {
    private static let folder: String = {
        var isFolder: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isFolder) && isFolder.boolValue
        return shm ? "/dev/shm" : NSTemporaryDirectory()
    }()

    /// Writes the fuzzer's bytes to this process's scratch file named `…-NAME` and returns its path.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> String {
        let path = "\(folder)/omniedit-fuzz-\(getpid())-\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var written = 0
        while written < size {
            let n = Foundation.write(fd, data + written, size - written)
            precondition(n > 0, "cannot write \(path)")
            written += n
        }
        close(fd)
        return path
    }

    /// Removes this process's scratch files (at exit).
    public static func removeAll() {
        let prefix = "omniedit-fuzz-\(getpid())-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            unlink("\(folder)/\(name)")
        }
    }
}

/// Runs libFuzzer with this process's arguments, calling `body` for every input; never returns.
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    atexit { ScratchFile.removeAll() }
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}
