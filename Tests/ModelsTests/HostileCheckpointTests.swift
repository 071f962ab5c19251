// Files built to hurt the reader: each is refused quickly with a message, never a crash or a stall.
import Foundation
import Models
import Tensor
import XCTest

final class HostileCheckpointTests: XCTestCase {
    func write(_ header: String, data: Int, to name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)-\(name)")
        var bytes = [UInt8]()
        let h = Array(header.utf8)
        var n = UInt64(h.count)
        for _ in 0..<8 {
            bytes.append(UInt8(n & 0xff))
            n >>= 8
        }
        bytes += h + [UInt8](repeating: 0, count: data)
        try Data(bytes).write(to: url)
        return url
    }

    func testAHeaderListingMillionsOfTinyTensorsIsRefusedBeforeParsing() throws {
        let count = 250_000
        var header = "{"
        header.reserveCapacity(count * 60)
        for i in 0..<count {
            header += "\"t\(i)\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\(i),\(i + 1)]},"
        }
        header.removeLast()
        header += "}"
        let url = try write(header, data: count, to: "many.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let start = Date()
        XCTAssertThrowsError(try SafetensorsFile(url: url)) { XCTAssertTrue("\($0)".contains("more than 200000 tensors"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "refused before the JSON parser runs")
    }

    static let tinyDiT = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/humo_dit_tiny_1p7b.safetensors")
    static let goldenRules = KeyRules([.dropPrefix("weights/")] + KeyRules.wanDiT.rules)

    func testAModelThatDoesNotFitInMemoryIsRefusedWithItsSizeBeforeAnythingIsRead() throws {
        let cpu = try GoldenBackends.cpuBackend()
        XCTAssertThrowsError(try WanCheckpoint.load(Self.tinyDiT, on: cpu, rules: Self.goldenRules, memoryLimit: 10_000)) { error in
            guard case WeightsError.tooLarge = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("MB of memory and this machine has 0.01 MB"), "\(error)")
            XCTAssertTrue("\(error)".contains("humo_dit_tiny_1p7b.safetensors"), "\(error)")
        }
        // The same model within the limit loads.
        XCTAssertNoThrow(try WanCheckpoint.load(Self.tinyDiT, on: cpu, rules: Self.goldenRules))
    }

    /// Every loader of a multi-part model runs the shapes-only pass and the memory check first, not only
    /// the DiT's: the VAEs, the Whisper encoder and the LTX-2 transformer too.
    func testEveryModelLoaderRefusesAModelThatDoesNotFitNamingItsFile() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let loaders: [(String, () throws -> Void)] = [
            ("wan_vae_diffusers_tiny", {
                _ = try WanVAE.load(
                    checkpoint: GoldenFixture.folder.appendingPathComponent("wan_vae_diffusers_tiny"), backend: cpu,
                    memoryLimit: 10_000)
            }),
            ("whisper_hf_tiny", {
                _ = try WhisperEncoder.load(
                    checkpoint: GoldenFixture.folder.appendingPathComponent("whisper_hf_tiny"), backend: cpu,
                    memoryLimit: 10_000)
            }),
            ("transformer_tiny", {
                _ = try LTX2Checkpoint.loadTransformer(
                    LTX2Golden.folder.appendingPathComponent("transformer_tiny"), on: cpu, memoryLimit: 10_000)
            }),
            ("video_vae_a", {
                _ = try LTX2Checkpoint.loadVideoVAE(
                    LTX2Golden.folder.appendingPathComponent("video_vae_a"), on: cpu, memoryLimit: 10_000)
            }),
        ]
        for (name, load) in loaders {
            XCTAssertThrowsError(try load(), name) { error in
                guard case WeightsError.tooLarge = error else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue("\(error)".contains("this machine has 0.01 MB"), "\(error)")
                XCTAssertTrue("\(error)".contains(name), "\(error)")
            }
        }
    }

    func testAConfigImplyingMoreWeightsThanTheFileHoldsIsRefusedWithoutAllocatingThem() throws {
        let cpu = try GoldenBackends.cpuBackend()
        let reader = try WeightReader(checkpoint: try Checkpoint.open(Self.tinyDiT), rules: Self.goldenRules, backend: cpu)
        var config = try WanCheckpoint.config(reader)
        // 1000 layers at dim 2048 would be ~50 GB of weights; the file holds a few MB.
        config.numLayers = 1000
        config.dim = 2048
        config.ffnDim = 8192
        let start = Date()
        XCTAssertThrowsError(try WanCheckpoint.load(Self.tinyDiT, on: cpu, config: config, rules: Self.goldenRules)) { error in
            guard case WeightsError.incompatible(_, let missing, let misshaped) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(missing.contains("blocks.999.ffn.0.weight"), "\(missing.prefix(3))")
            XCTAssertFalse(misshaped.isEmpty)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "shape checks only, nothing of the implied size allocated")
    }

    func testTensorNamesWithTerminalEscapesArePrintedEscaped() throws {
        let name = "blocks.0.\u{1B}[2J\u{1B}[31mred"
        let url = try write(
            "{\"\(name.replacingOccurrences(of: "\u{1B}", with: "\\u001b"))\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
            data: 8, to: "escape.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafetensorsFile(url: url)
        XCTAssertThrowsError(try file.tensor(name, on: try GoldenBackends.cpuBackend())) {
            let text = "\($0)"
            XCTAssertFalse(text.unicodeScalars.contains { $0.value == 0x1B }, text)
            XCTAssertTrue(text.contains("\\u{1B}[2J"), text)
        }
    }
}
