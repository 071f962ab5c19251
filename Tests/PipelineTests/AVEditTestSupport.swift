// Until the LTX-2 video VAE is in the tree: a fixed, weight-free video autoencoder with its geometry
// (16× space by box means, 8× time keeping frames 0, 8, 16, …; 32 channels as signed mixes of RGB), so the
// AV job's whole path runs in tests.
import Foundation
@testable import Pipeline
import Tensor

struct BoxVideoAutoencoder: AVVideoAutoencoder {
    let latentChannels = 32
    let spatialCompression = 16
    let temporalCompression = 8
    let latentsMean: Tensor
    let latentsStd: Tensor

    init(backend: any Backend) throws {
        latentsMean = try backend.upload((0..<32).map { Float($0 % 3) * 0.01 }, shape: [32], dtype: .f32)
        latentsStd = try backend.upload((0..<32).map { 0.5 + Float($0 % 5) * 0.1 }, shape: [32], dtype: .f32)
    }

    func weight(_ k: Int, _ c: Int) -> Float { (k % 3 == c ? 1 : 0.1) * (k % 2 == 0 ? 1 : -1) }

    func encodeMean(_ pixels: Tensor, on backend: any Backend) throws -> Tensor {
        let (f, h, w) = (pixels.shape[1], pixels.shape[2], pixels.shape[3])
        let x = try backend.download(pixels)
        let (lf, lh, lw) = ((f - 1) / 8 + 1, h / 16, w / 16)
        var out = [Float](repeating: 0, count: 32 * lf * lh * lw)
        for t in 0..<lf {
            for y in 0..<lh {
                for xx in 0..<lw {
                    var rgb: [Float] = [0, 0, 0]
                    for c in 0..<3 {
                        for dy in 0..<16 { for dx in 0..<16 { rgb[c] += x[((c * f + 8 * t) * h + 16 * y + dy) * w + 16 * xx + dx] } }
                        rgb[c] /= 256
                    }
                    for k in 0..<32 {
                        out[((k * lf + t) * lh + y) * lw + xx] = (0..<3).reduce(0) { $0 + weight(k, $1) * rgb[$1] }
                    }
                }
            }
        }
        return try backend.upload(out, shape: [32, lf, lh, lw], dtype: .f32)
    }

    func decode(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        let (lf, lh, lw) = (latent.shape[1], latent.shape[2], latent.shape[3])
        let z = try backend.download(latent)
        let (f, h, w) = (8 * (lf - 1) + 1, 16 * lh, 16 * lw)
        var out = [Float](repeating: 0, count: 3 * f * h * w)
        for c in 0..<3 {
            for t in 0..<f {
                for y in 0..<h {
                    for x in 0..<w {
                        out[((c * f + t) * h + y) * w + x] = z[((c * lf + min(lf - 1, (t + 4) / 8)) * lh + y / 16) * lw + x / 16]
                    }
                }
            }
        }
        return try backend.upload(out, shape: [3, f, h, w], dtype: .f32)
    }
}

enum AVEditTestSupport {
    static func install() {
        AVModel.openVideoVAE = { _, backend in try BoxVideoAutoencoder(backend: backend) }
    }

    static func writeVideoVAE(_ folder: URL, _ seed: UInt64) throws {}
}
