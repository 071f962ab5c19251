// Evaluation — attributes read back from pixels where a generated case's labels say to look (the
// definitions of tools/data/mouth_metric.py and tools/data/av_measure.py, same constants, so Swift and
// Python figures of the same frames agree; checked by EvaluationTests against the Python functions).
import Foundation
import VideoIO

/// A box `x0, y0, x1, y1` in pixels, x1 and y1 exclusive (the generator's convention).
public typealias PixelBox = [Int]

public enum FrameMeasures {
    /// Luma (BT.601 weights) of pixel (x, y), in the image's units (0…1 for PNG frames).
    public static func luma(_ image: RGBAImage, _ x: Int, _ y: Int) -> Double {
        let i = 4 * (y * image.width + x)
        return 0.299 * Double(image.pixels[i]) + 0.587 * Double(image.pixels[i + 1]) + 0.114 * Double(image.pixels[i + 2])
    }

    /// The box clipped to the image; nil when nothing is left.
    static func clipped(_ box: PixelBox, _ image: RGBAImage) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        guard box.count == 4 else { return nil }
        let x0 = max(0, box[0]), y0 = max(0, box[1]), x1 = min(image.width, box[2]), y1 = min(image.height, box[3])
        return x1 > x0 && y1 > y0 ? (x0, y0, x1, y1) : nil
    }

    /// The mouth opening measured in a frame (`mouth_metric.measure_one`): the soft darkness of each pixel
    /// of the box relative to the box's border (skin), summed down each column; the mean of the tallest
    /// eighth of the columns over the box height.
    public static func mouthOpening(_ image: RGBAImage, box: PixelBox) -> Double {
        let (dark, lo, hi) = (0.04, 0.35, 0.85)
        guard let (x0, y0, x1, y1) = clipped(box, image), x1 - x0 >= 4, y1 - y0 >= 4 else { return 0 }
        var ring: [Double] = []
        for x in x0..<x1 { ring += [luma(image, x, y0), luma(image, x, y1 - 1)] }
        for y in (y0 + 1)..<(y1 - 1) { ring += [luma(image, x0, y), luma(image, x1 - 1, y)] }
        let skin = max(Statistics.median(ring), 0.05)
        var columns: [Double] = []
        for x in x0..<x1 {
            var sum = 0.0
            for y in y0..<y1 {
                let contrast = (skin - luma(image, x, y)) / max(skin - dark, 0.05)
                sum += min(1, max(0, (contrast - lo) / (hi - lo)))
            }
            columns.append(sum)
        }
        columns.sort(by: >)
        let k = max(1, columns.count / 8)
        return columns.prefix(k).reduce(0, +) / Double(k) / Double(y1 - y0)
    }

    /// Mean RGB (0…255) over every pixel inside each frame's box (`av_measure.box_colour`).
    public static func boxColour(_ frames: [RGBAImage], boxes: [PixelBox]) -> [Double] {
        var acc = [0.0, 0.0, 0.0], count = 0
        for (image, box) in zip(frames, boxes) {
            guard let (x0, y0, x1, y1) = clipped(box, image) else { continue }
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let i = 4 * (y * image.width + x)
                    for c in 0..<3 { acc[c] += Double(image.pixels[i + c]) * 255 }
                    count += 1
                }
            }
        }
        return acc.map { $0 / Double(max(count, 1)) }
    }

    /// The name of the colour nearest (Euclidean RGB) to `colour` (`av_measure.hair_colour`); ties go to
    /// the first name in alphabetical order.
    public static func nearestColour(_ colour: [Double], in table: [String: [Double]]) -> String? {
        table.keys.sorted().min { a, b in distance(colour, table[a]!) < distance(colour, table[b]!) }
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    }

    /// Where the jaw boxes' mean colour lies between the skin (0) and the hair colour (1), clipped to 0…1
    /// (`av_measure.beard_score`).
    public static func beardScore(_ frames: [RGBAImage], beardBoxes: [PixelBox], skin: [Double], hair: [Double]) -> Double {
        let c = boxColour(frames, boxes: beardBoxes)
        let axis = zip(hair, skin).map { $0 - $1 }
        let den = axis.map { $0 * $0 }.reduce(0, +)
        guard den >= 1e-6 else { return 0 }
        let t = zip(zip(c, skin).map { $0 - $1 }, axis).map { $0 * $1 }.reduce(0, +) / den
        return min(1, max(0, t))
    }

    /// PSNR over the RGB values of the pixels where `inside(frame, x, y)` holds, for frames in 0…1
    /// (= `sample_eval.psnr` on 8-bit frames); 99 dB for identical pixels, NaN when none is inside.
    public static func psnr(_ a: [RGBAImage], _ b: [RGBAImage], where inside: (Int, Int, Int) -> Bool) -> Double {
        var se = 0.0, n = 0
        for (f, (p, q)) in zip(a, b).enumerated() {
            for y in 0..<min(p.height, q.height) {
                for x in 0..<min(p.width, q.width) where inside(f, x, y) {
                    let i = 4 * (y * p.width + x), j = 4 * (y * q.width + x)
                    for c in 0..<3 {
                        let d = Double(p.pixels[i + c] - q.pixels[j + c])
                        se += d * d
                    }
                    n += 3
                }
            }
        }
        return n == 0 ? .nan : se == 0 ? 99 : 10 * log10(1 / (se / Double(n)))
    }

    /// The frame rounded to 8 bits per channel (what a PNG of it would hold; the Python readers see uint8).
    public static func quantised(_ image: RGBAImage) -> RGBAImage {
        RGBAImage(width: image.width, height: image.height, pixels: image.pixels.map { ($0.clamped * 255).rounded() / 255 })
    }
}

extension Float {
    fileprivate var clamped: Float { Swift.min(1, Swift.max(0, self)) }
}
