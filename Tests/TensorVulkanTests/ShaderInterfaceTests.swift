import Foundation
import XCTest

@testable import TensorVulkan

/// The Swift push-constant declarations (`PushLayout`) agree with every shader's GLSL block.
final class ShaderInterfaceTests: XCTestCase {
    private static let shaders = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/TensorVulkan/Shaders")

    /// The fields of the `layout(push_constant) uniform … { … }` block of a shader's GLSL source.
    static func pushBlock(_ source: String) throws -> [(name: String, type: String)] {
        guard let start = source.range(of: "layout(push_constant)"),
            let open = source.range(of: "{", range: start.upperBound..<source.endIndex),
            let close = source.range(of: "}", range: open.upperBound..<source.endIndex)
        else { throw XCTSkip("no push_constant block") }
        return try source[open.upperBound..<close.lowerBound].split(separator: ";").compactMap { declaration in
            let words = declaration.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if words.isEmpty { return nil }
            guard words.count == 2 else {
                throw NSError(domain: "ShaderInterfaceTests", code: 1, userInfo: [
                    NSLocalizedDescriptionKey: "cannot read push-constant field '\(declaration)'"
                ])
            }
            return (String(words[1]), String(words[0]))
        }
    }

    func testEveryShaderPushBlockMatchesItsSwiftDeclaration() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.shaders.path).filter { $0.hasSuffix(".comp") }
        XCTAssertGreaterThan(files.count, 15, "shader folder not found at \(Self.shaders.path)")
        var seen: Set<String> = []
        for file in files.sorted() {
            let shader = String(file.dropLast(".comp".count))
            seen.insert(shader)
            let source = try String(contentsOf: Self.shaders.appendingPathComponent(file), encoding: .utf8)
            let glsl = try Self.pushBlock(source)
            guard let declared = PushLayout.blocks[shader] else {
                XCTFail("\(file): no PushLayout.blocks entry (GLSL block \(glsl))")
                continue
            }
            XCTAssertEqual(
                glsl.map { "\($0.type) \($0.name)" }, declared.map { "\($0.type.rawValue) \($0.name)" },
                "\(file): GLSL push-constant block vs PushLayout.blocks[\"\(shader)\"]")
        }
        for shader in PushLayout.blocks.keys where !seen.contains(shader) {
            XCTFail("PushLayout declares \(shader), but Shaders/\(shader).comp does not exist")
        }
    }

    func testParserReadsMultiLineBlocks() throws {
        let fields = try Self.pushBlock(
            "layout(push_constant) uniform Push {\n    uint M; uint N;\n    float eps;\n} p;\nvoid main() {}")
        XCTAssertEqual(fields.map(\.name), ["M", "N", "eps"])
        XCTAssertEqual(fields.map(\.type), ["uint", "uint", "float"])
    }

    func testADispatchWithMisnamedPushValuesIsRefused() throws {
        XCTAssertThrowsError(try PushLayout.words(for: "softmax", ["n": .uint(3), "rows": .uint(2)]))
        XCTAssertThrowsError(try PushLayout.words(for: "softmax", ["rows": .uint(2)]))
        XCTAssertThrowsError(try PushLayout.words(for: "pad", ["count": .uint(2), "value": .uint(1)]))
        XCTAssertThrowsError(try PushLayout.words(for: "softmax", ["rows": .uint(1 << 33), "n": .uint(2)]))
        XCTAssertEqual(
            try PushLayout.words(for: "pad", ["count": .uint(7), "value": .float(1.5)]), [7, Float(1.5).bitPattern])
    }
}
