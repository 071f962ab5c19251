// OFXHost — images handed to a plugin: pixels in the clip's depth and components, laid out as the
// ABI says (pixel (x1,y1) at OfxImagePropData, signed row bytes, rows going up), with guard bytes
// around and padding after every row so a plugin that writes outside its window or ignores row
// bytes is caught.
import COpenFX
import Foundation

/// Frames as the host keeps them: RGBA float, interleaved, row 0 = top of the picture.
public struct FrameBuffer: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == width * height * 4, "FrameBuffer needs width*height*4 floats")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// A pixel depth the host can hand out.
public enum PixelDepth: String, CaseIterable, Sendable {
    case byte = "OfxBitDepthByte", short = "OfxBitDepthShort", float = "OfxBitDepthFloat"
    var bytes: Int {
        switch self {
        case .byte: 1
        case .short: 2
        case .float: 4
        }
    }
    /// Short names used on the command line.
    public init?(name: String) {
        switch name.lowercased() {
        case "byte", "8": self = .byte
        case "short", "16": self = .short
        case "float", "32": self = .float
        default: self.init(rawValue: name)
        }
    }
}

/// How image memory is laid out; tests of a plugin vary it.
public struct ImageLayoutOptions: Sendable {
    /// Store rows top-down in memory with a negative OfxImagePropRowBytes (ofx-abi.md §7).
    public var negativeRowBytes = false
    /// Extra bytes after each row, so a plugin assuming rowBytes = width × pixel size is caught.
    public var rowPadding = 16
    public init(negativeRowBytes: Bool = false, rowPadding: Int = 16) {
        self.negativeRowBytes = negativeRowBytes
        self.rowPadding = rowPadding
    }
}

final class ImageObject: @unchecked Sendable {
    static let canary: UInt8 = 0xA5
    /// Guard bytes before the first and after the last row: one row plus some, so a plugin writing one
    /// row too many is caught without corrupting the heap.
    let guardBytes: Int

    let props: PropertyStore
    let depth: PixelDepth
    let components: Int
    let bounds: OfxRectI
    let rowBytes: Int
    private let allocation: UnsafeMutableRawPointer
    private let allocationSize: Int
    let data: UnsafeMutableRawPointer
    /// clipGetImage calls not yet balanced by clipReleaseImage.
    var fetches = 0
    /// The instance that fetched it (for leak tracking).
    weak var effect: EffectObject?

    var width: Int { Int(bounds.x2 - bounds.x1) }
    var height: Int { Int(bounds.y2 - bounds.y1) }
    var pixelBytes: Int { depth.bytes * components }

    init(label: String, bounds: OfxRectI, depth: PixelDepth, componentsName: String, premultiplication: String,
         layout: ImageLayoutOptions, time: Double) {
        self.bounds = bounds
        self.depth = depth
        components = componentsName == kOfxImageComponentRGB ? 3 : componentsName == kOfxImageComponentAlpha ? 1 : 4
        let w = Int(bounds.x2 - bounds.x1), h = Int(bounds.y2 - bounds.y1)
        let stride = w * depth.bytes * components + layout.rowPadding
        rowBytes = layout.negativeRowBytes ? -stride : stride
        guardBytes = stride + 256
        allocationSize = guardBytes * 2 + stride * max(h, 1)
        allocation = UnsafeMutableRawPointer.allocate(byteCount: allocationSize, alignment: 64)
        allocation.initializeMemory(as: UInt8.self, repeating: Self.canary, count: allocationSize)
        data = allocation + guardBytes + (layout.negativeRowBytes ? stride * max(h - 1, 0) : 0)
        props = PropertyStore(label, open: false)
        props.set(kOfxPropType, .string([kOfxTypeImage]), readOnly: true)
        props.set(kOfxImageEffectPropPixelDepth, .string([depth.rawValue]), readOnly: true)
        props.set(kOfxImageEffectPropComponents, .string([componentsName]), readOnly: true)
        props.set(kOfxImageEffectPropPreMultiplication, .string([premultiplication]), readOnly: true)
        props.set(kOfxImageEffectPropRenderScale, .double([1, 1]), readOnly: true)
        props.set(kOfxImagePropPixelAspectRatio, .double([1]), readOnly: true)
        props.set(kOfxImagePropData, .pointer([UInt(bitPattern: data)]), readOnly: true)
        props.set(kOfxImagePropBounds, .int([bounds.x1, bounds.y1, bounds.x2, bounds.y2]), readOnly: true)
        props.set(kOfxImagePropRegionOfDefinition, .int([bounds.x1, bounds.y1, bounds.x2, bounds.y2]), readOnly: true)
        props.set(kOfxImagePropRowBytes, .int([Int32(rowBytes)]), readOnly: true)
        props.set(kOfxImagePropField, .string([kOfxImageFieldNone]), readOnly: true)
        props.set(kOfxImagePropUniqueIdentifier, .string(["\(label)@\(time)"]), readOnly: true)
        props.owner = self
    }

    deinit { allocation.deallocate() }

    private func pixel(_ x: Int, _ y: Int) -> UnsafeMutableRawPointer {
        data + (y - Int(bounds.y1)) * rowBytes + (x - Int(bounds.x1)) * pixelBytes
    }

    /// Fills the image from `frame`, whose pixel (0,0) is the top-left of a picture covering
    /// x ∈ [0, width), y ∈ [0, height) in OFX pixel coordinates (y up). Outside the frame: transparent black.
    func fill(from frame: FrameBuffer) {
        for y in Int(bounds.y1)..<Int(bounds.y2) {
            let row = frame.height - 1 - y
            for x in Int(bounds.x1)..<Int(bounds.x2) {
                var rgba: (Float, Float, Float, Float) = (0, 0, 0, 0)
                if row >= 0, row < frame.height, x >= 0, x < frame.width {
                    let i = (row * frame.width + x) * 4
                    rgba = (frame.pixels[i], frame.pixels[i + 1], frame.pixels[i + 2], frame.pixels[i + 3])
                }
                let values: [Float] = components == 1 ? [rgba.3] : components == 3 ? [rgba.0, rgba.1, rgba.2] : [rgba.0, rgba.1, rgba.2, rgba.3]
                store(values, at: pixel(x, y))
            }
        }
    }

    /// The image's pixels inside `window` written into `frame` (same coordinate convention as `fill`).
    func copy(window: OfxRectI, into frame: inout FrameBuffer) {
        for y in max(Int(window.y1), 0)..<min(Int(window.y2), frame.height) {
            let row = frame.height - 1 - y
            for x in max(Int(window.x1), 0)..<min(Int(window.x2), frame.width) {
                let v = load(pixel(x, y))
                let i = (row * frame.width + x) * 4
                switch components {
                case 1: frame.pixels[i + 3] = v[0]
                case 3: frame.pixels.replaceSubrange(i..<i + 4, with: [v[0], v[1], v[2], 1])
                default: frame.pixels.replaceSubrange(i..<i + 4, with: v)
                }
            }
        }
    }

    /// Whether component `c` is colour (not alpha) in this image's layout.
    private func isColour(_ c: Int) -> Bool { components != 1 && c < 3 }

    /// Frames are display-referred (what 8/16-bit files and video store); float images are handed out
    /// scene-linear, as compositors do (Natron, Nuke): colour is sRGB-decoded into a float image and
    /// sRGB-encoded out of one, so a plugin sees the same picture at every depth.
    private func store(_ values: [Float], at p: UnsafeMutableRawPointer) {
        for (c, v) in values.enumerated() {
            switch depth {
            case .byte: p.storeBytes(of: UInt8((min(max(v, 0), 1) * 255).rounded()), toByteOffset: c, as: UInt8.self)
            case .short: p.storeBytes(of: UInt16((min(max(v, 0), 1) * 65535).rounded()), toByteOffset: c * 2, as: UInt16.self)
            case .float: p.storeBytes(of: isColour(c) ? SRGBTransfer.decode(v) : v, toByteOffset: c * 4, as: Float.self)
            }
        }
    }

    private func load(_ p: UnsafeMutableRawPointer) -> [Float] {
        (0..<components).map { c in
            switch depth {
            case .byte: Float(p.load(fromByteOffset: c, as: UInt8.self)) / 255
            case .short: Float(p.loadUnaligned(fromByteOffset: c * 2, as: UInt16.self)) / 65535
            case .float:
                isColour(c)
                    ? SRGBTransfer.encode(p.loadUnaligned(fromByteOffset: c * 4, as: Float.self))
                    : p.loadUnaligned(fromByteOffset: c * 4, as: Float.self)
            }
        }
    }

    /// Problems with an output image after Render: bytes changed in the guards, in row padding, or
    /// in pixels of the bounds outside the render window.
    func writesOutside(window: OfxRectI) -> [String] {
        var problems: [String] = []
        let stride = abs(rowBytes)
        let bytes = allocation.assumingMemoryBound(to: UInt8.self)
        let rowsStart = guardBytes, rowsEnd = guardBytes + stride * max(height, 1)
        if (0..<rowsStart).contains(where: { bytes[$0] != Self.canary })
            || (rowsEnd..<allocationSize).contains(where: { bytes[$0] != Self.canary })
        {
            problems.append("the plugin wrote outside the output image's memory (before its first or after its last row)")
        }
        let used = width * pixelBytes
        var padding = false, outside = false
        for y in Int(bounds.y1)..<Int(bounds.y2) {
            let rowStart = pixel(Int(bounds.x1), y).assumingMemoryBound(to: UInt8.self)
            if (used..<stride).contains(where: { rowStart[$0] != Self.canary }) { padding = true }
            for x in Int(bounds.x1)..<Int(bounds.x2)
            where !(x >= Int(window.x1) && x < Int(window.x2) && y >= Int(window.y1) && y < Int(window.y2)) {
                let p = pixel(x, y).assumingMemoryBound(to: UInt8.self)
                if (0..<pixelBytes).contains(where: { p[$0] != Self.canary }) { outside = true }
            }
        }
        if padding { problems.append("the plugin wrote into row padding (it ignores OfxImagePropRowBytes)") }
        if outside { problems.append("the plugin wrote pixels outside the render window") }
        return problems
    }
}

/// The sRGB transfer pair (IEC 61966-2-1), odd-symmetric below 0 so out-of-gamut values survive.
enum SRGBTransfer {
    static func decode(_ e: Float) -> Float {
        let m = abs(e)
        let c = m <= 0.04045 ? m / 12.92 : powf((m + 0.055) / 1.055, 2.4)
        return e < 0 ? -c : c
    }

    static func encode(_ c: Float) -> Float {
        let m = abs(c)
        let e = m <= 0.0031308 ? 12.92 * m : 1.055 * powf(m, 1 / 2.4) - 0.055
        return c < 0 ? -e : e
    }
}
