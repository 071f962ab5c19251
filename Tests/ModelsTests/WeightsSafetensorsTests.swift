// The safetensors reader: round trips in every loadable dtype, and corrupt, truncated, mislabelled
// and hostile files rejected with errors that name the file and the tensor (never a crash).
import Foundation
import Models
import Tensor
import XCTest

final class WeightsSafetensorsTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("weights-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A file made of a raw JSON header and raw data bytes (no validation on the writing side).
    private func raw(_ header: String, data: [UInt8], name: String = "t.safetensors") throws -> URL {
        var bytes = Data()
        let json = Data(header.utf8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        bytes.append(contentsOf: data)
        let url = folder.appendingPathComponent(name)
        try bytes.write(to: url)
        return url
    }

    private func assertRejected(
        _ url: URL, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try SafetensorsFile(url: url), file: file, line: line) { error in
            XCTAssertTrue(error is WeightsError, "\(error)", file: file, line: line)
            for w in words {
                XCTAssertTrue("\(error)".contains(w), "'\(error)' should mention '\(w)'", file: file, line: line)
            }
        }
    }

    func testWrittenTensorsReadBackInEveryDType() throws {
        var w = SafetensorsWriter()
        let values: [Float] = [0, 1, -2.5, 3.25, 1e-3, -65504, 0.1, 7]
        try w.add("a/f32", shape: [2, 4], values: values)
        // f16 1.5 = 0x3E00, bf16 −2 = 0xC000 (bit patterns written by hand, independent of our converters).
        try w.add("b/f16", dtype: .f16, shape: [2], bytes: [0x00, 0x3E, 0x00, 0x3C])
        try w.add("c/bf16", dtype: .bf16, shape: [1, 2], bytes: [0x00, 0xC0, 0x80, 0x3F])
        try w.add("d/empty", shape: [0, 3], values: [])
        w.metadata = ["config": "{\"dim\": 4}"]
        let url = folder.appendingPathComponent("ok.safetensors")
        try w.write(to: url)

        let f = try SafetensorsFile(url: url)
        XCTAssertEqual(f.names, ["a/f32", "b/f16", "c/bf16", "d/empty"])
        XCTAssertEqual(f.header.metadata["config"], "{\"dim\": 4}")
        XCTAssertEqual(f.header.dataStart % 8, 0)
        XCTAssertEqual(try f.floats("a/f32"), values)
        XCTAssertEqual(try f.floats("b/f16"), [1.5, 1])
        XCTAssertEqual(try f.floats("c/bf16"), [-2, 1])
        let cpu = try GoldenBackends.cpuBackend()
        let t = try f.tensor("c/bf16", on: cpu)
        XCTAssertEqual(t.dtype, .bf16)
        XCTAssertEqual(t.shape, [1, 2])
        XCTAssertEqual(try cpu.download(t), [-2, 1])
        XCTAssertEqual(try f.tensor("d/empty", on: cpu).shape, [0, 3])
        XCTAssertThrowsError(try f.tensor("nope", on: cpu)) { XCTAssertTrue("\($0)".contains("nope")) }
    }

    func testTruncatedAndTooShortFilesAreRejected() throws {
        let empty = folder.appendingPathComponent("empty.safetensors")
        try Data().write(to: empty)
        assertRejected(empty, mentioning: ["too short"])
        // A header length pointing past the end of the file.
        var big = Data()
        withUnsafeBytes(of: UInt64(1000).littleEndian) { big.append(contentsOf: $0) }
        big.append(Data("{}".utf8))
        let url = folder.appendingPathComponent("big.safetensors")
        try big.write(to: url)
        assertRejected(url, mentioning: ["larger than the file"])
        // A hostile length near 2⁶⁴.
        var huge = Data(repeating: 0xFF, count: 8)
        huge.append(Data("{}".utf8))
        let hugeURL = folder.appendingPathComponent("huge.safetensors")
        try huge.write(to: hugeURL)
        assertRejected(hugeURL, mentioning: ["exceeds"])
        // Data cut short: the header promises 16 bytes, 8 are there.
        let cut = try raw(
            #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 8))
        assertRejected(cut, mentioning: ["'w'", "past the data section"])
        XCTAssertThrowsError(try SafetensorsFile(url: folder.appendingPathComponent("missing.safetensors"))) {
            XCTAssertTrue("\($0)".contains("missing.safetensors"))
        }
    }

    func testMislabelledEntriesNameTheTensor() throws {
        let z = [UInt8](repeating: 0, count: 16)
        let cases: [(String, [String])] = [
            (#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, ["'w'", "needs 12 bytes"]),
            (#"{"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}"#, ["'w'", "unknown dtype 'Q4'"]),
            (#"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#, ["'w'", "non-negative"]),
            (#"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]}}"#, ["'w'", "non-negative"]),
            (#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}"#, ["'w'", "ordered"]),
            (#"{"w":{"dtype":"F32","shape":[4]}}"#, ["'w'", "data_offsets"]),
            (#"{"w":{"shape":[4],"data_offsets":[0,16]}}"#, ["'w'", "dtype"]),
            (#"{"w":[1,2]}"#, ["'w'", "not a JSON object"]),
            (#"{"w":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,16]}}"#, ["'w'"]),
            (
                #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                ["'b'", "overlap", "'a'"]
            ),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, ["'a'", "gap"]),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, ["cover 8 bytes of a 16-byte"]),
            (#"{"__metadata__":{"k":3},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, ["__metadata__"]),
            (#"[1, 2, 3]"#, ["JSON object"]),
            (#"{"a": nonsense}"#, ["JSON"]),
        ]
        for (i, (header, words)) in cases.enumerated() {
            assertRejected(try raw(header, data: z, name: "case\(i).safetensors"), mentioning: words + ["case\(i)"])
        }
        // A dtype we can describe but not compute with: the file opens, loading it is the error.
        let ints = try raw(#"{"steps":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: z)
        let f = try SafetensorsFile(url: ints)
        XCTAssertThrowsError(try f.tensor("steps", on: try GoldenBackends.cpuBackend())) {
            XCTAssertTrue("\($0)".contains("I64") && "\($0)".contains("'steps'"), "\($0)")
        }
    }

    func testMutatedHeadersNeverCrashTheReader() throws {
        var w = SafetensorsWriter()
        try w.add("blocks.0.q.weight", shape: [3, 4], values: (0..<12).map(Float.init))
        try w.add("blocks.0.q.bias", shape: [3], values: [1, 2, 3])
        try w.add("head", dtype: .bf16, shape: [2, 2], bytes: [0, 0x3F, 0, 0x40, 0, 0x3F, 0, 0xC0])
        let original = [UInt8](try w.encoded())
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let interesting: [UInt8] = Array("0123456789-.,:[]{}\"e ".utf8) + [0, 0xFF]
        var rejected = 0
        let cpu = try GoldenBackends.cpuBackend()
        for trial in 0..<400 {
            var bytes = original
            for _ in 0...next(3) {
                let at = next(4) == 0 ? next(8) : 8 + next(headerEnd - 8)
                bytes[at] = next(2) == 0 ? interesting[next(interesting.count)] : UInt8(next(256))
            }
            if next(10) == 0 { bytes.removeLast(next(bytes.count)) }
            let url = folder.appendingPathComponent("fuzz\(trial).safetensors")
            try Data(bytes).write(to: url)
            do {
                let f = try SafetensorsFile(url: url)
                // Whatever survives validation must be fully readable.
                for name in f.names where f.header.entries[name]?.dtype.tensorDType != nil {
                    _ = try f.floats(name)
                    _ = try f.tensor(name, on: cpu)
                }
            } catch let e as WeightsError {
                rejected += 1
                XCTAssertFalse("\(e)".isEmpty)
            }
            try? FileManager.default.removeItem(at: url)
        }
        XCTAssertGreaterThan(rejected, 200, "most mutations should be caught")
    }
}
