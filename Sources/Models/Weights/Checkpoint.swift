import Foundation
import Tensor
import UserMessages

/// The safetensors files of one model, seen as one name → tensor map: a single file, a sharded
/// checkpoint through its `*.index.json` (`{"weight_map": {tensor: shard file}}`), or a folder
/// (its one index file if it has one, else every `*.safetensors` in it).
///
/// Follows: the Hugging Face shard-index convention (`model.safetensors.index.json`).
public struct Checkpoint: Sendable {
    /// What was opened (file, index or folder), for messages.
    public let path: String
    /// The mapped files.
    public let files: [SafetensorsFile]
    private let location: [String: Int]

    /// Opens `url`: a `.safetensors` file, an `*.index.json`, or a folder holding either.
    public static func open(_ url: URL) throws -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw WeightsError.io(path: url.path, reason: "no such file or folder")
        }
        if isDirectory.boolValue {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() } catch {
                throw WeightsError.io(path: url.path, reason: "cannot list the folder: \(UserMessage.reason(error))")
            }
            let indexes = names.filter { $0.hasSuffix(".index.json") }
            if indexes.count > 1 {
                throw WeightsError.invalidIndex(
                    path: url.path, reason: "several index files (\(indexes.joined(separator: ", "))); name one")
            }
            if let index = indexes.first { return try openIndex(url.appendingPathComponent(index)) }
            let shards = names.filter { $0.hasSuffix(".safetensors") }
            guard !shards.isEmpty else {
                throw WeightsError.io(path: url.path, reason: "the folder holds no .safetensors or .index.json file")
            }
            return try Checkpoint(
                path: url.path, files: shards.map { try SafetensorsFile(url: url.appendingPathComponent($0)) })
        }
        if url.lastPathComponent.hasSuffix(".index.json") { return try openIndex(url) }
        return try Checkpoint(path: url.path, files: [SafetensorsFile(url: url)])
    }

    /// One map over `files`; a tensor name found in two files is an error.
    public init(path: String, files: [SafetensorsFile]) throws {
        var location: [String: Int] = [:]
        for (i, f) in files.enumerated() {
            for name in f.header.entries.keys {
                if let j = location[name] {
                    throw WeightsError.invalidIndex(
                        path: path, reason: "tensor '\(name)' is in both \(files[j].path) and \(f.path)")
                }
                location[name] = i
            }
        }
        self.init(path: path, files: files, location: location)
    }

    private init(path: String, files: [SafetensorsFile], location: [String: Int]) {
        self.path = path
        self.files = files
        self.location = location
    }

    private static func openIndex(_ url: URL) throws -> Checkpoint {
        func bad(_ reason: String) -> WeightsError { .invalidIndex(path: url.path, reason: reason) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WeightsError.io(path: url.path, reason: "cannot read: \(UserMessage.reason(error))")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        guard let map = root["weight_map"] as? [String: Any], !map.isEmpty else { throw bad("no weight_map object") }
        let folder = url.deletingLastPathComponent()
        var shardIndex: [String: Int] = [:]
        var files: [SafetensorsFile] = []
        var location: [String: Int] = [:]
        for (tensor, value) in map.sorted(by: { $0.key < $1.key }) {
            guard let shard = value as? String, !shard.isEmpty, !shard.hasPrefix("/"),
                !shard.split(separator: "/").contains("..")
            else { throw bad("tensor '\(tensor)' maps to \(value), not a file name inside the folder") }
            let i: Int
            if let known = shardIndex[shard] {
                i = known
            } else {
                i = files.count
                shardIndex[shard] = i
                files.append(try SafetensorsFile(url: folder.appendingPathComponent(shard)))
            }
            guard files[i].header.entries[tensor] != nil else {
                throw bad("tensor '\(tensor)' is listed in shard \(shard), which does not hold it")
            }
            location[tensor] = i
        }
        return Checkpoint(path: url.path, files: files, location: location)
    }

    /// Every tensor name, sorted.
    public var names: [String] { location.keys.sorted() }

    /// The file holding `name` and its entry, or `notFound`.
    public func locate(_ name: String) throws -> (file: SafetensorsFile, entry: SafetensorsEntry) {
        guard let i = location[name] else { throw WeightsError.notFound(tensor: name, checkpoint: path) }
        return (files[i], try files[i].entry(name))
    }

    /// Tensor `name` uploaded to `backend` in its stored dtype.
    public func tensor(_ name: String, on backend: some MemoryOps) throws -> Tensor {
        try locate(name).file.tensor(name, on: backend)
    }

    /// Tensor `name` as f32 values on the host.
    public func floats(_ name: String) throws -> [Float] { try locate(name).file.floats(name) }

    /// The union of the files' `__metadata__` maps (the first file wins a clash).
    public var metadata: [String: String] {
        files.reversed().reduce(into: [:]) { m, f in m.merge(f.header.metadata) { _, new in new } }
    }
}
