// The host is generic: it finds, describes and renders a plugin that is not ours (a C invert), in
// every pixel depth and row layout, and drives its parameters as a user would.
import COpenFX
@testable import OFXHost
import OFXTestSupport
import XCTest

final class GenericHostTests: XCTestCase {
    private func invertPlugin() throws -> LoadedPlugin {
        let bundle = try Fixtures.invertBundle.get()
        let binary = try PluginBinary(bundle: bundle)
        XCTAssertEqual(binary.plugins.count, 1)
        return binary.plugins[0]
    }

    func testSearchPathFindsBundlesRecursivelyAndSkipsAtFolders() throws {
        let bundle = try Fixtures.invertBundle.get()
        let root = (bundle as NSString).deletingLastPathComponent
        let hidden = root + "/@hidden/Other.ofx.bundle"
        try FileManager.default.createDirectory(atPath: hidden, withIntermediateDirectories: true)
        let path = PluginSearch.searchPath(extra: [], environment: ["OFX_PLUGIN_PATH": "/nonexistent;\((root as NSString).deletingLastPathComponent)"])
        XCTAssertEqual(path.last, "/usr/OFX/Plugins")
        let found = PluginSearch.bundles(in: path)
        XCTAssertTrue(found.contains { $0.hasSuffix("plugins/Invert.ofx.bundle") }, "\(found)")
        XCTAssertFalse(found.contains { $0.contains("@hidden") })
    }

    func testDescribesAPluginThatIsNotOurs() throws {
        let s = try invertPlugin().summary(parameters: true)
        XCTAssertEqual(s.identifier, "org.omniedit.test.Invert")
        XCTAssertEqual(s.label, "Invert")
        XCTAssertEqual(s.grouping, "Test")
        XCTAssertEqual(s.contexts, [kOfxImageEffectContextFilter])
        XCTAssertEqual(s.depths, [kOfxBitDepthByte, kOfxBitDepthShort, kOfxBitDepthFloat])
        let amount = try XCTUnwrap(s.parameters?.first { $0.name == "amount" })
        XCTAssertEqual(amount.defaultValue, "1.0")
        XCTAssertEqual(amount.min, "0.0")
        XCTAssertEqual(amount.max, "1.0")
        XCTAssertEqual(amount.hint, "1 = inverted, 0 = unchanged")
    }

    func testRendersEveryDepthAndRowLayoutWithTheParameterValue() throws {
        let plugin = try invertPlugin()
        let clip = Fixtures.gradientClip()
        for depth in PixelDepth.allCases {
            for negative in [false, true] {
                let session = try RenderSession(
                    plugin: plugin, input: clip,
                    request: RenderRequest(depth: depth, parameters: [("amount", "0.25")],
                                           layout: ImageLayoutOptions(negativeRowBytes: negative)))
                var rendered = 0
                try session.render(frames: 2...3) { n, out in
                    let src = try! clip.provider(n)!
                    let tolerance: Float = depth == .byte ? 1.0 / 255 : depth == .short ? 1.0 / 65535 : 1e-6
                    for i in stride(from: 0, to: src.pixels.count, by: 4) {
                        for c in 0..<3 {
                            // Float images are scene-linear: the plugin inverts the sRGB-decoded value.
                            let v = depth == .float ? SRGBTransfer.decode(src.pixels[i + c]) : src.pixels[i + c]
                            let mixed = 0.25 * (1 - v) + 0.75 * v
                            XCTAssertEqual(out.pixels[i + c], depth == .float ? SRGBTransfer.encode(mixed) : mixed, accuracy: tolerance * 2,
                                           "depth \(depth) negative rows \(negative) pixel \(i / 4) channel \(c)")
                        }
                        XCTAssertEqual(out.pixels[i + 3], 1, accuracy: tolerance)
                    }
                    rendered += 1
                }
                XCTAssertEqual(rendered, 2)
                XCTAssertEqual(session.diagnostics.problems, [], "depth \(depth) negative rows \(negative)")
                session.close()
            }
        }
    }

    func testParameterValuesAreCheckedAgainstTheirRange() throws {
        let plugin = try invertPlugin()
        XCTAssertThrowsError(
            try RenderSession(plugin: plugin, input: Fixtures.gradientClip(), request: RenderRequest(parameters: [("amount", "2")]))
        ) { XCTAssertTrue("\($0)".contains("above its maximum"), "\($0)") }
        XCTAssertThrowsError(
            try RenderSession(plugin: plugin, input: Fixtures.gradientClip(), request: RenderRequest(parameters: [("nope", "1")]))
        ) { XCTAssertTrue("\($0)".contains("no parameter 'nope'"), "\($0)") }
        XCTAssertThrowsError(
            try RenderSession(plugin: plugin, input: Fixtures.gradientClip(), request: RenderRequest(parameters: [("misbehave", "sometimes")]))
        ) { XCTAssertTrue("\($0)".contains("is not one of"), "\($0)") }
    }

    func testChoiceParametersAcceptOptionLabels() throws {
        let session = try RenderSession(
            plugin: try invertPlugin(), input: Fixtures.gradientClip(),
            request: RenderRequest(parameters: [("misbehave", "Fail Render")]))
        XCTAssertEqual(session.instance.paramSet.param("misbehave")?.value, .ints([5]))
        session.close()
    }

    func testUnsupportedContextIsRefused() throws {
        XCTAssertThrowsError(
            try RenderSession(plugin: try invertPlugin(), input: Fixtures.gradientClip(),
                              request: RenderRequest(context: kOfxImageEffectContextGeneral))
        ) { XCTAssertTrue("\($0)".contains("does not support"), "\($0)") }
    }
}
