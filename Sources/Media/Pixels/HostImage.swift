// An OpenFX-agnostic description of a host's image buffer and the planar float image the
// models take. The OFX plugin fills `HostImage` from the host's image properties.

/// Storage type of one component (OFX kOfxBitDepthByte/Short/Half/Float).
public enum PixelDepth: Sendable, Equatable {
    /// UInt8, 0…255 = 0…1 display-referred.
    case byte
    /// UInt16, 0…65535 = 0…1 display-referred.
    case short
    /// IEEE half float.
    case half
    /// IEEE single float.
    case float

    /// Bytes per component.
    public var byteCount: Int {
        switch self {
        case .byte: return 1
        case .short, .half: return 2
        case .float: return 4
        }
    }

    /// True for half and float: the depths a compositor fills with scene-linear values.
    public var isFloatingPoint: Bool { self == .half || self == .float }
}

/// Components of a pixel, in memory order (OFX kOfxImageComponentRGBA/RGB/Alpha).
public enum PixelComponents: Sendable, Equatable {
    case rgba
    case rgb
    case alpha

    /// Components per pixel.
    public var count: Int {
        switch self {
        case .rgba: return 4
        case .rgb: return 3
        case .alpha: return 1
        }
    }
}

/// How colour relates to alpha (OFX kOfxImageOpaque/PreMultiplied/UnPreMultiplied).
public enum Premultiplication: Sendable, Equatable {
    case opaque
    case premultiplied
    case unpremultiplied
}

/// What float (and half) pixel values mean. Byte and short pixels are always display-referred.
public enum FloatTransfer: Sendable, Equatable {
    /// Scene-linear (a compositor's float images): encoded with the sRGB transfer before the
    /// model, decoded after. sRGB: e = 12.92·c for c ≤ 0.0031308, else 1.055·c^(1/2.4) − 0.055;
    /// odd-symmetric for c < 0.
    case linear
    /// Already display-referred (a host that hands sRGB-encoded float): used as is.
    case displayReferred
}

/// What to put where the requested window reaches outside the image's bounds.
public enum OutsidePixels: Sendable, Equatable {
    /// Transparent black (OpenFX's meaning of pixels outside the region of definition):
    /// colour −1 (black in [−1, 1]), alpha 0.
    case transparentBlack
    /// Repeat the nearest edge pixel (keeps a model from seeing a black frame border).
    case clampToEdge
}

/// A pixel rectangle, half-open: x ∈ [x1, x2), y ∈ [y1, y2). OFX convention: y grows upwards,
/// so row y1 is the BOTTOM of the picture.
public struct PixelRect: Sendable, Equatable {
    public var x1: Int
    public var y1: Int
    public var x2: Int
    public var y2: Int

    public init(x1: Int, y1: Int, x2: Int, y2: Int) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    /// max(0, x2 − x1).
    public var width: Int { max(0, x2 - x1) }
    /// max(0, y2 − y1).
    public var height: Int { max(0, y2 - y1) }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The overlap of two rectangles (empty when they do not meet).
    public func intersection(_ other: PixelRect) -> PixelRect {
        PixelRect(x1: max(x1, other.x1), y1: max(y1, other.y1), x2: min(x2, other.x2), y2: min(y2, other.y2))
    }
}

/// A host's image buffer, described without OpenFX types. Does not own the memory.
///
/// Pixel (x, y) starts at `data + (y − bounds.y1)·rowBytes + (x − bounds.x1)·pixelBytes`,
/// pixelBytes = components.count · depth.byteCount. `rowBytes` may be negative (rows stored
/// top-down in memory).
public struct HostImage {
    /// Address of pixel (bounds.x1, bounds.y1).
    public var data: UnsafeMutableRawPointer
    /// The pixels that exist.
    public var bounds: PixelRect
    /// Signed byte distance from row y to row y + 1.
    public var rowBytes: Int
    public var depth: PixelDepth
    public var components: PixelComponents
    public var premultiplication: Premultiplication

    /// Describes a buffer; throws when |rowBytes| is smaller than a row of pixels or the bounds
    /// are inverted.
    public init(
        data: UnsafeMutableRawPointer, bounds: PixelRect, rowBytes: Int, depth: PixelDepth,
        components: PixelComponents, premultiplication: Premultiplication
    ) throws {
        guard bounds.x2 >= bounds.x1, bounds.y2 >= bounds.y1 else {
            throw MediaError("image bounds (\(bounds.x1),\(bounds.y1))-(\(bounds.x2),\(bounds.y2)) are inverted")
        }
        let rowLength = bounds.width * components.count * depth.byteCount
        guard bounds.height <= 1 || abs(rowBytes) >= rowLength else {
            throw MediaError("image rowBytes \(rowBytes) is smaller than one row of \(rowLength) bytes")
        }
        self.data = data
        self.bounds = bounds
        self.rowBytes = rowBytes
        self.depth = depth
        self.components = components
        self.premultiplication = premultiplication
    }

    /// Bytes per pixel.
    public var pixelBytes: Int { components.count * depth.byteCount }
}

/// A planar float image for the models: `values[c · height · width + row · width + col]`,
/// shape `[C, H, W]`, row 0 = TOP of the picture.
///
/// Colour channels (C = 3 for RGB/RGBA sources; C = 1 holding alpha for Alpha sources) are
/// display-referred, un-premultiplied and mapped to [−1, 1]: x = 2·v − 1. `alpha` (`[H, W]`,
/// 0…1, not premultiplied into anything) is kept for RGBA sources so it can be passed through.
public struct PlanarImage: Sendable, Equatable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// `[C, H, W]` values.
    public var values: [Float]
    /// `[H, W]` alpha of an RGBA source, else nil.
    public var alpha: [Float]?

    /// Wraps values; throws when the counts do not match the shape.
    public init(channels: Int, height: Int, width: Int, values: [Float], alpha: [Float]? = nil) throws {
        guard channels > 0, height >= 0, width >= 0, values.count == channels * height * width else {
            throw MediaError(
                "planar image of \(values.count) values does not have shape [\(channels), \(height), \(width)]")
        }
        if let alpha, alpha.count != height * width {
            throw MediaError("alpha plane of \(alpha.count) values does not have shape [\(height), \(width)]")
        }
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
        self.alpha = alpha
    }
}
