import Foundation
import Sampler

/// A naive transcription of spec §4 and §5 in Double on flat vectors: the independent reference the
/// sampler's fused Float kernels are compared against. It shares only the noise generator (verified on its
/// own against Philox known answers and a naive Box–Muller) and the grid (verified against the spec's
/// check values).
struct ReferenceSampler {
    let configuration: SamplerConfiguration
    let x0: Latent

    /// Element ranges of the parts in the flat vector.
    var partRanges: [(name: String, range: Range<Int>)] {
        var offset = 0
        return x0.parts.map { part in
            defer { offset += part.count }
            return (part.name, offset..<offset + part.count)
        }
    }

    func noise(step: Int, stream: NoiseStream) -> [Double] {
        x0.parts.flatMap { part in
            let key = NoiseKey(
                seed: configuration.seed, window: configuration.window, step: step, stream: stream, part: part.name)
            return try! GaussianNoise.values(count: part.count, key: key).map(Double.init)
        }
    }

    /// Per part: `x·√numel / ‖x‖₂`.
    func rms1(_ x: [Double]) -> [Double] {
        var out = x
        for (_, range) in partRanges {
            let norm = range.reduce(0.0) { $0 + x[$1] * x[$1] }.squareRoot()
            for j in range { out[j] = x[j] * Double(range.count).squareRoot() / norm }
        }
        return out
    }

    func run(_ field: some DoubleField) -> [Double] {
        let c = configuration
        let sig = try! c.grid.sigmas()
        let t = c.steps
        let end = min(c.end, t - 1)
        let x = flat(x0)
        func lin(_ a: Double, _ u: [Double], _ b: Double, _ w: [Double]) -> [Double] {
            zip(u, w).map { a * $0 + b * $1 }
        }
        func vp(_ z: [Double], _ s: Double) -> [Double] {
            let vt = field.velocity(z, sigma: s, role: .target)
            guard c.cfg != 1 else { return vt }
            let vs = field.velocity(z, sigma: s, role: .source)
            return zip(vs, vt).map { $0 + c.cfg * ($1 - $0) }
        }
        switch c.variant {
        case .omniEdit, .omniEditRandomNoise:
            var n = lin(1, x, 1, field.velocity(x, sigma: sig[t - 1], role: .source))
            if c.rescaleInitialNoise { n = rms1(n) }
            var z = lin(1 - sig[c.start], x, sig[c.start], n)
            for i in c.start..<t {
                let (s, s2) = (sig[i], sig[i + 1])
                let p = vp(z, s)
                if i <= end {
                    let src = lin(1 - s, x, s, n)
                    let q = field.velocity(src, sigma: s, role: .source)
                    let eps = noise(step: i, stream: .editMixing)
                    let n2: [Double]
                    if c.variant == .omniEdit {
                        let nHat = lin(1, src, 1 - s, q)
                        n2 = rms1(lin(1 - s, nHat, s, eps))
                    } else {
                        n2 = eps
                    }
                    z = z.indices.map { j in z[j] + (s2 - s) * (p[j] - q[j]) + (s - s2) * x[j] + s2 * n2[j] - s * n[j] }
                    n = n2
                } else {
                    z = lin(1, z, s2 - s, p)
                }
            }
            return z
        case .flowEdit:
            var e = x
            var zt: [Double]? = nil
            for i in c.start..<t {
                let (s, s2) = (sig[i], sig[i + 1])
                if i <= end {
                    let src = lin(1 - s, x, s, noise(step: i, stream: .flowEditStep))
                    let target = e.indices.map { e[$0] + src[$0] - x[$0] }
                    let p = vp(target, s)
                    let q = field.velocity(src, sigma: s, role: .source)
                    e = e.indices.map { e[$0] + (s2 - s) * (p[$0] - q[$0]) }
                } else {
                    var z: [Double]
                    if let current = zt {
                        z = current
                    } else {
                        let src = lin(1 - s, x, s, noise(step: i, stream: .flowEditRenoise))
                        z = e.indices.map { e[$0] + src[$0] - x[$0] }
                    }
                    z = lin(1, z, s2 - s, vp(z, s))
                    zt = z
                }
            }
            return zt ?? e
        }
    }
}
