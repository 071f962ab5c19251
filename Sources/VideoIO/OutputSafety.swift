// Never write over an input: an overwritten source clip is lost footage.
import Foundation
import UserMessages

/// Throws unless `output` is safe to write while `inputs` are read: not the same file (compared by
/// device and inode, so `dir/../x`, `./x`, `dir//x` and symlinks are caught), not the same sequence
/// pattern, not inside an input folder (a model folder), and no input inside an output folder.
public func checkOutputIsNotAnInput(_ output: String, inputs: [String]) throws {
    func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
    func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        return stat(path, &st) == 0 ? (UInt64(st.st_dev), UInt64(st.st_ino)) : nil
    }
    func isFolder(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }
    let out = resolved(output)
    // A pattern's folder may not exist yet; resolve the folder and keep the name.
    let outFolder = resolved((output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent)
    let outPattern = outFolder + "/" + (output as NSString).lastPathComponent
    for input in inputs where !input.isEmpty {
        let inPath = resolved(input)
        let inFolder = resolved((input as NSString).deletingLastPathComponent.isEmpty ? "." : (input as NSString).deletingLastPathComponent)
        let inPattern = inFolder + "/" + (input as NSString).lastPathComponent
        if out == inPath || outPattern == inPattern {
            throw VideoIOError("the output \(output) is the input \(input); refusing to write over an input", status: .cannotCreate)
        }
        if let a = identity(out), let b = identity(inPath), a == b {
            throw VideoIOError("the output \(output) is the same file as the input \(input); refusing to write over an input", status: .cannotCreate)
        }
        if isFolder(inPath), outPattern.hasPrefix(inPath + "/") {
            throw VideoIOError("the output \(output) is inside the input folder \(input); refusing to write there", status: .cannotCreate)
        }
    }
}
