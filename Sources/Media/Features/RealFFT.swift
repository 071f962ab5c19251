// The real-to-complex FFT of libavutil's av_tx (no FFT of our own), wrapped for float frames.
import CAVUtil
import Foundation

/// A forward real DFT of a fixed even length n through `av_tx` (AV_TX_FLOAT_RDFT):
/// X[k] = Σ_{t<n} x[t] · e^{−2πi·k·t/n}, k = 0 … n/2 (n/2+1 complex bins, unscaled).
///
/// The length must be a multiple of 4: libavutil 57 (FFmpeg 5.1, Debian 12) returns wrong bins
/// for real transforms whose half-length is odd (n = 6, 10, 50, 882, …; measured against a naive
/// DFT). Every new instance also checks a few bins of a test signal against the DFT sum, so a
/// broken libavutil is reported instead of producing wrong features.
///
/// Not thread-safe: one instance per thread (it owns its scratch buffers).
final class RealFFT {
    /// Transform length n (even, ≥ 2).
    let length: Int
    private var context: OpaquePointer?
    private let transform: av_tx_fn
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>

    init(length: Int) throws {
        guard length >= 4, length % 4 == 0, length <= 1 << 20 else {
            throw MediaError("FFT length \(length) must be a multiple of 4 in 4...1048576")
        }
        self.length = length
        var fn: av_tx_fn?
        var scale: Float = 1
        let status = av_tx_init(&context, &fn, AV_TX_FLOAT_RDFT, 0, Int32(length), &scale, 0)
        guard status >= 0, let fn, context != nil else {
            throw MediaError("libavutil av_tx cannot make a real FFT of length \(length) (error \(status))")
        }
        transform = fn
        // av_malloc gives the alignment the SIMD transforms require.
        guard let inRaw = av_malloc(MemoryLayout<Float>.size * (length + 2)),
            let outRaw = av_malloc(MemoryLayout<Float>.size * (length + 2))
        else {
            av_tx_uninit(&context)
            throw MediaError("out of memory for an FFT of length \(length)")
        }
        input = inRaw.assumingMemoryBound(to: Float.self)
        output = outRaw.assumingMemoryBound(to: Float.self)
        // The two floats past the frame must be zero: libavutil 57's RDFT reads them.
        input.initialize(repeating: 0, count: length + 2)
        output.initialize(repeating: 0, count: length + 2)
        try selfCheck()
    }

    /// Compares bins 0, 1, n/4, n/2 − 1 and n/2 of a fixed signal with Σ x[t]·e^{−2πikt/n}.
    private func selfCheck() throws {
        let n = length
        let x = (0..<n).map { Float(sin(Double($0) * 0.37) + 0.25 * cos(Double($0 % 97) * 0.3)) }
        let bins = spectrum(x)
        let scale = x.reduce(0) { $0 + Double(abs($1)) }
        for k in Set([0, 1, n / 4, n / 2 - 1, n / 2]) {
            var re = 0.0, im = 0.0
            for t in 0..<n {
                let angle = -2 * Double.pi * Double((k * t) % n) / Double(n)
                re += Double(x[t]) * cos(angle)
                im += Double(x[t]) * sin(angle)
            }
            let error = abs(re - Double(bins[2 * k])) + abs(im - Double(bins[2 * k + 1]))
            guard error <= 1e-5 * scale else {
                throw MediaError("libavutil av_tx gives a wrong real FFT of length \(n) (bin \(k) off by \(error))")
            }
        }
    }

    deinit {
        av_free(input)
        av_free(output)
        av_tx_uninit(&context)
    }

    /// Power spectrum |X[k]|² (k = 0 … n/2) of `frame` (n values) written to `power`.
    func powerSpectrum(_ frame: UnsafePointer<Float>, into power: UnsafeMutablePointer<Float>) {
        input.update(from: frame, count: length)
        input[length] = 0
        input[length + 1] = 0
        transform(context, output, input, MemoryLayout<Float>.stride)
        for k in 0...(length / 2) {
            let re = output[2 * k], im = output[2 * k + 1]
            power[k] = re * re + im * im
        }
    }

    /// The complex bins (re, im interleaved, n/2+1 pairs) of `frame`; for tests and tools.
    func spectrum(_ frame: [Float]) -> [Float] {
        precondition(frame.count == length, "frame length must equal the FFT length")
        frame.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: length) }
        input[length] = 0
        input[length + 1] = 0
        transform(context, output, input, MemoryLayout<Float>.stride)
        return Array(UnsafeBufferPointer(start: output, count: length + 2))
    }
}
