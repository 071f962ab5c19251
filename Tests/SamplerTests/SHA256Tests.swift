// SHA-256 gives the FIPS 180-4 / NIST example digests, however the message is split into updates.
@testable import Sampler
import XCTest

final class SHA256Tests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func testKnownDigests() {
        let cases: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (message, digest) in cases {
            var h = SHA256()
            h.update(data: Array(message.utf8))
            XCTAssertEqual(hex(h.finalize()), digest, message)
        }
    }

    func testOneMillionAsInUnevenPieces() {
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var h = SHA256()
        var i = 0, piece = 1
        while i < million.count {
            let n = min(piece, million.count - i)
            million[i..<i + n].withUnsafeBytes { h.update(bufferPointer: $0) }
            i += n
            piece = piece * 3 % 1000 + 1
        }
        XCTAssertEqual(hex(h.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testBlockBoundaryLengthsMatchByteByByteUpdates() {
        for n in [55, 56, 63, 64, 65, 119, 120, 128] {
            let message = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var whole = SHA256(), bytes = SHA256()
            message.withUnsafeBytes { whole.update(bufferPointer: $0) }
            for b in message { bytes.update(data: [b]) }
            XCTAssertEqual(whole.finalize(), bytes.finalize(), "length \(n)")
        }
    }
}
