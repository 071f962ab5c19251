// The real-to-complex FFT of libavutil's av_tx (no FFT of our own), wrapped for float frames.
import CAVUtil

/// A forward real DFT of a fixed even length n through `av_tx` (AV_TX_FLOAT_RDFT):
/// X[k] = Σ_{t<n} x[t] · e^{−2πi·k·t/n}, k = 0 … n/2 (n/2+1 complex bins, unscaled).
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
        guard length >= 2, length % 2 == 0, length <= 1 << 20 else {
            throw MediaError("FFT length \(length) must be even and in 2...1048576")
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
    }

    deinit {
        av_free(input)
        av_free(output)
        av_tx_uninit(&context)
    }

    /// Power spectrum |X[k]|² (k = 0 … n/2) of `frame` (n values) written to `power`.
    func powerSpectrum(_ frame: UnsafePointer<Float>, into power: UnsafeMutablePointer<Float>) {
        input.update(from: frame, count: length)
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
        transform(context, output, input, MemoryLayout<Float>.stride)
        return Array(UnsafeBufferPointer(start: output, count: length + 2))
    }
}
