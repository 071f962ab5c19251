// The sRGB transfer pair for float pixels, applied to whole rows (plain loops the compiler can
// keep tight; no closures per pixel).
import Foundation

enum SRGB {
    /// Linear → sRGB-encoded, in place: e = 12.92·c (c ≤ 0.0031308) else 1.055·c^(1/2.4) − 0.055;
    /// odd-symmetric below 0 so negative (out-of-gamut) values survive a round trip.
    static func encode(_ v: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let c = v[i]
            let m = abs(c)
            let e = m <= 0.0031308 ? 12.92 * m : 1.055 * powf(m, 1 / 2.4) - 0.055
            v[i] = c < 0 ? -e : e
        }
    }

    /// sRGB-encoded → linear, in place: c = e/12.92 (e ≤ 0.04045) else ((e + 0.055)/1.055)^2.4;
    /// odd-symmetric below 0.
    static func decode(_ v: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let e = v[i]
            let m = abs(e)
            let c = m <= 0.04045 ? m / 12.92 : powf((m + 0.055) / 1.055, 2.4)
            v[i] = e < 0 ? -c : c
        }
    }
}
