// Shared by the VAE, Whisper and audio-chain tests: golden files, backends, whole-tensor comparison.
import Foundation
import Models
import Tensor
import TensorCPU
import TensorVulkan
import XCTest

/// Golden files under `Fixtures/` (copied from shared/goldens; conventions in its README).
enum GoldenFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The golden `name` (without extension) as a checkpoint whose `weights/` prefix is dropped.
    static func open(_ name: String) throws -> Checkpoint {
        try Checkpoint.open(folder.appendingPathComponent("\(name).safetensors"))
    }

    static let weightRules = KeyRules([.dropPrefix("weights/")])

    /// The golden's `config` metadata decoded as `T`.
    static func config<T: Decodable>(_ checkpoint: Checkpoint, as type: T.Type) throws -> T {
        guard let text = checkpoint.metadata["config"] else { throw TestFailure("no config metadata") }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// Tensor `name` on `backend` in its stored shape.
    static func tensor(_ checkpoint: Checkpoint, _ name: String, on backend: any Backend) throws -> Tensor {
        try checkpoint.tensor(name, on: backend)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

