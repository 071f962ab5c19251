// The host catches a plugin breaking the rules: ignoring row bytes, leaking images, writing outside its
// window, passing bad handles; it surfaces a failing render's persistent message and honours abort.
import OFXHost
import OFXTestSupport
import XCTest

final class HostChecksTests: XCTestCase {
    private func render(misbehave: String, negativeRows: Bool = false) throws -> (problems: [String], error: Error?) {
        let plugin = try PluginBinary(bundle: try Fixtures.invertBundle.get()).plugins[0]
        let session = try RenderSession(
            plugin: plugin, input: Fixtures.gradientClip(),
            request: RenderRequest(parameters: [("misbehave", misbehave)], layout: ImageLayoutOptions(negativeRowBytes: negativeRows)))
        defer { session.close() }
        do {
            try session.render(frames: 1...1) { _, _ in }
            return (session.diagnostics.problems, nil)
        } catch {
            return (session.diagnostics.problems, error)
        }
    }

    func testAWellBehavedPluginHasNoProblems() throws {
        XCTAssertEqual(try render(misbehave: "none").problems, [])
    }

    func testIgnoringRowBytesIsReported() throws {
        let r = try render(misbehave: "ignore row bytes")
        XCTAssertTrue(r.problems.contains { $0.contains("row padding") }, "\(r.problems)")
    }

    func testLeakedImagesAreReported() throws {
        let r = try render(misbehave: "leak image")
        XCTAssertTrue(r.problems.contains { $0.contains("did not release 1 image") }, "\(r.problems)")
    }

    func testWritesOutsideTheWindowAreReportedForBothRowOrders() throws {
        for negative in [false, true] {
            let r = try render(misbehave: "write outside window", negativeRows: negative)
            XCTAssertTrue(r.problems.contains { $0.contains("outside the output image") }, "negative \(negative): \(r.problems)")
        }
    }

    func testBadHandlesAreAnsweredAndReported() throws {
        let r = try render(misbehave: "bad handle")
        XCTAssertTrue(r.problems.contains { $0.contains("invalid property set handle") }, "\(r.problems)")
    }

    func testAFailingRenderCarriesThePluginsPersistentMessage() throws {
        let r = try render(misbehave: "fail render")
        let message = "\(try XCTUnwrap(r.error))"
        XCTAssertTrue(message.contains("Render failed at frame 1"), message)
        XCTAssertTrue(message.contains("Invert: failing on purpose at frame 1"), message)
    }

    func testAbortStopsTheSequence() throws {
        let plugin = try PluginBinary(bundle: try Fixtures.invertBundle.get()).plugins[0]
        let session = try RenderSession(plugin: plugin, input: Fixtures.gradientClip(), request: RenderRequest())
        defer { session.close() }
        var frames: [Int] = []
        XCTAssertThrowsError(try session.render(frames: 1...3) { n, _ in
            frames.append(n)
            HostControl.requestAbort()
        }) { XCTAssertTrue("\($0)".contains("aborted"), "\($0)") }
        XCTAssertEqual(frames, [1])
    }
}
