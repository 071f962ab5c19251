import Foundation
import XCTest

@testable import Media

/// A host buffer owned by the test: `bounds`, tightly packed rows plus `padding` bytes, stored
/// bottom-up (positive rowBytes) or top-down (negative rowBytes, data pointing at the last row).
private final class HostBuffer {
    let storage: UnsafeMutableRawPointer
    let byteCount: Int
    let image: HostImage

    init(
        bounds: PixelRect, depth: PixelDepth, components: PixelComponents, premultiplication: Premultiplication,
        negativeRows: Bool, padding: Int = 8
    ) throws {
        let row = bounds.width * depth.byteCount * components.count + padding
        byteCount = max(1, row * bounds.height)
        storage = .allocate(byteCount: byteCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0xA5, count: byteCount)
        let data = negativeRows ? storage + row * (bounds.height - 1) : storage
        image = try HostImage(
            data: data, bounds: bounds, rowBytes: negativeRows ? -row : row, depth: depth, components: components,
            premultiplication: premultiplication)
    }

    deinit { storage.deallocate() }

    var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: storage, count: byteCount)) }

    /// Address of component c of pixel (x, y).
    func address(x: Int, y: Int, c: Int) -> UnsafeMutableRawPointer {
        image.data + (y - image.bounds.y1) * image.rowBytes + (x - image.bounds.x1) * image.pixelBytes + c
            * image.depth.byteCount
    }

    /// Stores v (0…1 normalised for byte/short) in component c of (x, y).
    func set(x: Int, y: Int, c: Int, _ v: Float) {
        let p = address(x: x, y: y, c: c)
        switch image.depth {
        case .byte: p.storeBytes(of: UInt8((v * 255).rounded()), as: UInt8.self)
        case .short: p.storeBytes(of: UInt16((v * 65535).rounded()), as: UInt16.self)
        case .half: p.storeBytes(of: Float16(v).bitPattern, as: UInt16.self)
        case .float: p.storeBytes(of: v, as: Float.self)
        }
    }

    func get(x: Int, y: Int, c: Int) -> Float {
        let p = address(x: x, y: y, c: c)
        switch image.depth {
        case .byte: return Float(p.load(as: UInt8.self)) / 255
        case .short: return Float(p.load(as: UInt16.self)) / 65535
        case .half: return Float(Float16(bitPattern: p.load(as: UInt16.self)))
        case .float: return p.load(as: Float.self)
        }
    }

    /// Fills every pixel with a deterministic valid pattern: premultiplied colour ≤ alpha,
    /// some alpha exactly 0 and 1; byte/short on their levels.
    func fillPattern(seed: Int) {
        let b = image.bounds
        let n = image.components.count
        for y in b.y1..<b.y2 {
            for x in b.x1..<b.x2 {
                var h = UInt64(truncatingIfNeeded: (x &* 73_856_093) ^ (y &* 19_349_663) ^ (seed &* 83_492_791))
                func next() -> Float {
                    h = h &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return Float(h >> 40) / Float(1 << 24)
                }
                let alphaChoice = next()
                let alpha: Float = alphaChoice < 0.1 ? 0 : (alphaChoice < 0.3 ? 1 : next())
                let quantum: Float = image.depth == .byte ? 255 : (image.depth == .short ? 65535 : 0)
                let a = quantum > 0 ? (alpha * quantum).rounded() / quantum : alpha
                for c in 0..<n {
                    var v = next()
                    if image.components == .alpha {
                        v = a
                    } else if c == 3 {
                        v = a
                    } else if image.components == .rgba && image.premultiplication == .premultiplied {
                        v *= a
                    }
                    if image.depth == .float && c < 3 && image.components != .alpha { v *= 1.5 }  // some HDR values
                    set(x: x, y: y, c: c, v)
                }
            }
        }
    }
}

final class PixelConversionTests: XCTestCase {
    private let depths: [PixelDepth] = [.byte, .short, .half, .float]
    private let layouts: [PixelComponents] = [.rgba, .rgb, .alpha]
    private let premultiplications: [Premultiplication] = [.premultiplied, .unpremultiplied, .opaque]

    func testEveryDepthAndLayoutRoundTripsWithNegativeRowBytesAndOffsetBounds() throws {
        let bounds = PixelRect(x1: -3, y1: 5, x2: 14, y2: 16)
        for depth in depths {
            for layout in layouts {
                for premultiplication in premultiplications {
                    for negative in [true, false] {
                        for transfer in [FloatTransfer.linear, .displayReferred] {
                            let label = "\(depth) \(layout) \(premultiplication) negative=\(negative) \(transfer)"
                            let source = try HostBuffer(
                                bounds: bounds, depth: depth, components: layout, premultiplication: premultiplication,
                                negativeRows: negative)
                            source.fillPattern(seed: 7)
                            let conversion = PixelConversion(floatTransfer: transfer)
                            let planar = try conversion.read(source.image, window: bounds)
                            XCTAssertEqual(planar.channels, layout == .alpha ? 1 : 3, label)
                            XCTAssertEqual(planar.alpha != nil, layout == .rgba, label)
                            let target = try HostBuffer(
                                bounds: bounds, depth: depth, components: layout, premultiplication: premultiplication,
                                negativeRows: negative)
                            try conversion.write(planar, to: target.image, window: bounds)
                            var worst: Float = 0
                            for y in bounds.y1..<bounds.y2 {
                                for x in bounds.x1..<bounds.x2 {
                                    for c in 0..<layout.count {
                                        worst = max(
                                            worst, abs(source.get(x: x, y: y, c: c) - target.get(x: x, y: y, c: c)))
                                    }
                                }
                            }
                            switch depth {
                            case .byte, .short, .half: XCTAssertEqual(worst, 0, label)
                            case .float: XCTAssertLessThanOrEqual(worst, 1e-6, label)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Images of ≥ 2^17 pixels are converted in row bands on several threads; the result must
    /// be the same as pixel-by-pixel expectations (exact byte round trip, rows in order).
    func testLargeImageConvertedInBandsRoundTripsExactlyWithRowsInOrder() throws {
        let bounds = PixelRect(x1: -100, y1: 40, x2: 540, y2: 340)  // 640 x 300 = 192 000 pixels
        let source = try HostBuffer(
            bounds: bounds, depth: .byte, components: .rgba, premultiplication: .premultiplied, negativeRows: true)
        source.fillPattern(seed: 3)
        let planar = try PixelConversion().read(source.image, window: bounds)
        for (x, y) in [(-100, 339), (0, 200), (539, 40), (17, 41)] {
            let r = bounds.y2 - 1 - y
            let j = x - bounds.x1
            let a = source.get(x: x, y: y, c: 3)
            XCTAssertEqual(planar.alpha?[r * 640 + j], a)
            let expected = a > 0 ? 2 * (source.get(x: x, y: y, c: 1) / a) - 1 : -1
            XCTAssertEqual(planar.values[300 * 640 + r * 640 + j], expected, accuracy: 1e-6, "G at (\(x), \(y))")
        }
        let target = try HostBuffer(
            bounds: bounds, depth: .byte, components: .rgba, premultiplication: .premultiplied, negativeRows: true)
        try PixelConversion().write(planar, to: target.image, window: bounds)
        XCTAssertEqual(target.bytes, source.bytes)
    }

    func testRenderWindowSmallerThanTheImageIsTheMatchingRegionOfTheWholeImage() throws {
        let bounds = PixelRect(x1: 3, y1: -7, x2: 23, y2: 9)  // 20 x 16
        for depth in depths {
            let buffer = try HostBuffer(
                bounds: bounds, depth: depth, components: .rgba, premultiplication: .premultiplied,
                negativeRows: depth == .short)
            buffer.fillPattern(seed: 11)
            let whole = try PixelConversion().read(buffer.image, window: bounds)
            let window = PixelRect(x1: 8, y1: -2, x2: 15, y2: 4)  // 7 x 6
            let part = try PixelConversion().read(buffer.image, window: window)
            for c in 0..<3 {
                for r in 0..<6 {
                    for j in 0..<7 {
                        // Same picture row: window row r is host y = 3 − r, i.e. whole-image row 8 − 3 + r.
                        let wholeRow = (bounds.y2 - 1) - (window.y2 - 1 - r)
                        let wholeColumn = j + window.x1 - bounds.x1
                        XCTAssertEqual(
                            part.values[c * 42 + r * 7 + j], whole.values[c * 320 + wholeRow * 20 + wholeColumn],
                            "\(depth)")
                    }
                }
            }
        }
    }

    func testPlanarRowZeroIsTheTopOfThePictureAndValuesMapToMinusOneOne() throws {
        // 2 x 2 RGB bytes: OFX row y1 (bottom) is black, the top row white / mid grey.
        let buffer = try HostBuffer(
            bounds: PixelRect(x1: 10, y1: 20, x2: 12, y2: 22), depth: .byte, components: .rgb,
            premultiplication: .opaque, negativeRows: true)
        for c in 0..<3 {
            buffer.set(x: 10, y: 20, c: c, 0)
            buffer.set(x: 11, y: 20, c: c, 0)
            buffer.set(x: 10, y: 21, c: c, 1)
            buffer.set(x: 11, y: 21, c: c, 51.0 / 255)
        }
        let planar = try PixelConversion().read(buffer.image, window: buffer.image.bounds)
        XCTAssertEqual(Array(planar.values[0..<4]), [1, 2 * 51 / 255 - 1, -1, -1])
        XCTAssertNil(planar.alpha)
    }

    func testPremultipliedColourIsDividedByAlphaAndLinearFloatIsSRGBEncoded() throws {
        let rect = PixelRect(x1: 0, y1: 0, x2: 1, y2: 1)
        let bytes = try HostBuffer(
            bounds: rect, depth: .byte, components: .rgba, premultiplication: .premultiplied, negativeRows: false)
        for (c, v) in [Float(64), 32, 0, 128].enumerated() { bytes.set(x: 0, y: 0, c: c, v / 255) }
        let p = try PixelConversion().read(bytes.image, window: rect)
        let expected: [Float] = [0, -0.5, -1]  // 64/128 → 0.5 → 0; 32/128 → 0.25 → −0.5; 0 → −1
        XCTAssertEqual(p.values, expected)
        XCTAssertEqual(p.alpha, [128.0 / 255])

        // sRGB closed form: linear 0.21404114 encodes to 0.5; 0.0031308 · 12.92 = 0.04044994.
        let floats = try HostBuffer(
            bounds: rect, depth: .float, components: .rgb, premultiplication: .opaque, negativeRows: false)
        for (c, v) in [Float(0.21404114), 0.0031308, 1].enumerated() { floats.set(x: 0, y: 0, c: c, v) }
        let linear = try PixelConversion(floatTransfer: .linear).read(floats.image, window: rect)
        XCTAssertEqual(linear.values[0], 0, accuracy: 1e-6)
        XCTAssertEqual(linear.values[1], 2 * 0.04044994 - 1, accuracy: 1e-6)
        XCTAssertEqual(linear.values[2], 1, accuracy: 1e-6)
        let display = try PixelConversion(floatTransfer: .displayReferred).read(floats.image, window: rect)
        XCTAssertEqual(display.values[0], 2 * 0.21404114 - 1, accuracy: 1e-7)
    }

    func testWindowBeyondTheImageIsTransparentBlackOrClampedToTheEdge() throws {
        let bounds = PixelRect(x1: 2, y1: 2, x2: 4, y2: 4)
        let buffer = try HostBuffer(
            bounds: bounds, depth: .byte, components: .rgba, premultiplication: .unpremultiplied, negativeRows: false)
        for y in 2..<4 {
            for x in 2..<4 {
                for c in 0..<3 { buffer.set(x: x, y: y, c: c, Float(x * 10 + y) / 255) }
                buffer.set(x: x, y: y, c: 3, 1)
            }
        }
        let window = PixelRect(x1: 1, y1: 1, x2: 5, y2: 5)  // one pixel all round
        let black = try PixelConversion(outside: .transparentBlack).read(buffer.image, window: window)
        // Planar row 0 = y 4 (outside), row 1 = y 3; column 0 = x 1 (outside), column 1 = x 2.
        XCTAssertEqual(black.values[0 * 4 + 1], -1)
        XCTAssertEqual(black.alpha?[0 * 4 + 1], 0)
        XCTAssertEqual(black.values[1 * 4 + 0], -1)
        XCTAssertEqual(black.values[1 * 4 + 1], 2 * Float(23) / 255 - 1)
        XCTAssertEqual(black.alpha?[1 * 4 + 1], 1)
        let clamped = try PixelConversion(outside: .clampToEdge).read(buffer.image, window: window)
        XCTAssertEqual(clamped.values[0 * 4 + 0], 2 * Float(23) / 255 - 1)  // corner (1, 4) → (2, 3)
        XCTAssertEqual(clamped.values[3 * 4 + 3], 2 * Float(32) / 255 - 1)  // corner (4, 1) → (3, 2)
        XCTAssertEqual(clamped.alpha?[0], 1)
        // A window entirely beside the image: clamping repeats the nearest column.
        let beside = try PixelConversion(outside: .clampToEdge).read(
            buffer.image, window: PixelRect(x1: 7, y1: 2, x2: 9, y2: 3))
        XCTAssertEqual(beside.values[0..<2].map { $0 }, [2 * Float(32) / 255 - 1, 2 * Float(32) / 255 - 1])
    }

    func testWriteTouchesOnlyTheRenderWindowInsideTheBounds() throws {
        let bounds = PixelRect(x1: -4, y1: -2, x2: 6, y2: 5)
        let buffer = try HostBuffer(
            bounds: bounds, depth: .short, components: .rgba, premultiplication: .premultiplied, negativeRows: true)
        let before = buffer.bytes
        let window = PixelRect(x1: 3, y1: 1, x2: 9, y2: 3)  // reaches past x2
        let values = [Float](repeating: 0, count: 3 * 6 * 2)
        let planar = try PlanarImage(
            channels: 3, height: 2, width: 6, values: values, alpha: [Float](repeating: 0.5, count: 12))
        try PixelConversion().write(planar, to: buffer.image, window: window)
        for y in bounds.y1..<bounds.y2 {
            for x in bounds.x1..<bounds.x2 {
                let inside = x >= 3 && x < 6 && y >= 1 && y < 3
                for c in 0..<4 {
                    if inside {
                        XCTAssertEqual(
                            buffer.get(x: x, y: y, c: c), c == 3 ? 32768.0 / 65535 : 16384.0 / 65535,
                            "(\(x), \(y), \(c))")
                    } else {
                        XCTAssertEqual(
                            buffer.address(x: x, y: y, c: c).load(as: UInt16.self), 0xA5A5,
                            "(\(x), \(y), \(c)) was written")
                    }
                }
            }
        }
        XCTAssertEqual(buffer.bytes.count, before.count)
    }

    func testMismatchedShapesAndBadDescriptionsAreErrors() throws {
        let buffer = try HostBuffer(
            bounds: PixelRect(x1: 0, y1: 0, x2: 4, y2: 4), depth: .float, components: .alpha,
            premultiplication: .opaque, negativeRows: false)
        let rgb = try PlanarImage(channels: 3, height: 4, width: 4, values: [Float](repeating: 0, count: 48))
        assertThrowsMessage(["3 channels", "needs 1"]) {
            try PixelConversion().write(rgb, to: buffer.image, window: buffer.image.bounds)
        }
        assertThrowsMessage(["4x4", "window is 2x4"]) {
            try PixelConversion().write(rgb, to: buffer.image, window: PixelRect(x1: 0, y1: 0, x2: 2, y2: 4))
        }
        assertThrowsMessage(["rowBytes 8 is smaller"]) {
            _ = try HostImage(
                data: buffer.storage, bounds: PixelRect(x1: 0, y1: 0, x2: 4, y2: 4), rowBytes: 8, depth: .float,
                components: .rgba, premultiplication: .opaque)
        }
        assertThrowsMessage(["does not have shape"]) {
            _ = try PlanarImage(channels: 3, height: 2, width: 2, values: [1])
        }
    }
}

final class PixelWindowLimitTests: XCTestCase {
    func testNonFiniteAndSubnormalFloatInputBecomesFinite() throws {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 4 * 4 * 4, alignment: 16)
        defer { storage.deallocate() }
        let pixels = storage.assumingMemoryBound(to: Float.self)
        let values: [Float] = [
            .nan, .infinity, -.infinity, 1, 0.5, 0, 0.25, Float.leastNonzeroMagnitude, 0.2, 0.2, 0.2, .nan, 0, 0, 0, 0,
        ]
        for (i, v) in values.enumerated() { pixels[i] = v }
        let image = try HostImage(
            data: storage, bounds: PixelRect(x1: 0, y1: 0, x2: 4, y2: 1), rowBytes: 64, depth: .float,
            components: .rgba, premultiplication: .premultiplied)
        let planar = try PixelConversion().read(image, window: image.bounds)
        XCTAssertTrue(planar.values.allSatisfy(\.isFinite), "\(planar.values)")
        XCTAssertTrue(planar.alpha!.allSatisfy(\.isFinite), "\(planar.alpha!)")
        XCTAssertEqual(planar.values[0], -1)  // NaN colour → 0 → −1
        XCTAssertEqual(planar.values[1], -1)  // colour under a subnormal alpha → 0
        XCTAssertEqual(planar.alpha?[2], 0)  // NaN alpha → 0
    }

    func testAbsurdWindowIsAnErrorNotAnAllocation() throws {
        let byte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { byte.deallocate() }
        let image = try HostImage(
            data: byte, bounds: PixelRect(x1: 0, y1: 0, x2: 1, y2: 1), rowBytes: 1, depth: .byte, components: .alpha,
            premultiplication: .opaque)
        assertThrowsMessage(["larger than 65536"]) {
            _ = try PixelConversion().read(image, window: PixelRect(x1: 0, y1: 0, x2: 1 << 20, y2: 1 << 20))
        }
        assertThrowsMessage(["is inverted"]) {
            _ = try PixelConversion().read(image, window: PixelRect(x1: 5, y1: 0, x2: 1, y2: 1))
        }
    }
}
