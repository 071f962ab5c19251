// The real-to-complex DFT for log-mel features, computed with libavutil's av_tx (no FFT of our
// own). Two routes, chosen by length:
// - direct: av_tx's real FFT (AV_TX_FLOAT_RDFT) where libavutil has a fast, correct transform;
// - chirp-z (Bluestein): for other lengths the DFT is rewritten as a convolution that av_tx's
//   power-of-two complex FFT computes. Needed because libavutil 57 (FFmpeg 5.1, Debian 12)
//   falls back to an O(n²) DFT for factors such as 25 (n_fft 400, Whisper's length, costs
//   0.9 ms per frame, 2.7 s per 30 s chunk) and returns wrong bins when n/2 is odd (n = 6, 10,
//   50, 882 …), both measured against a naive DFT on this machine.
import CAVUtil
import Foundation

/// A forward real DFT of a fixed length n: X[k] = Σ_{t<n} x[t] · e^{−2πi·k·t/n},
/// k = 0 … ⌊n/2⌋ (unscaled).
///
/// Chirp-z route: with w[j] = e^{−πi·j²/n}, k·t = (k² + t² − (k−t)²)/2 gives
/// X[k] = w[k] · Σ_t (x[t]·w[t]) · conj(w[k−t]), a linear convolution of length 2n−1 evaluated
/// with complex FFTs of size M = the next power of two ≥ 2n−1.
/// Every instance checks a few bins of a test signal against the DFT sum at creation, so a
/// wrong libavutil is reported instead of producing wrong features.
///
/// Not thread-safe: one instance per thread (it owns its scratch buffers).
final class RealFFT {
    /// Transform length n.
    let length: Int
    /// Bins per transform: ⌊n/2⌋ + 1.
    var binCount: Int { length / 2 + 1 }
    /// True when av_tx's real FFT is used directly (no chirp-z).
    let isDirect: Bool

    private var forwardContext: OpaquePointer?
    private var inverseContext: OpaquePointer?
    private let forward: av_tx_fn
    private let inverse: av_tx_fn?
    /// Chirp-z: the convolution size M (0 on the direct route).
    private let size: Int
    /// Scratch: direct route n+2 floats in / out; chirp-z M complex values each.
    private let bufferA: UnsafeMutablePointer<Float>
    private let bufferB: UnsafeMutablePointer<Float>
    /// Chirp-z: w[t] for t < n, as (re, im) pairs.
    private let chirp: [Float]
    /// Chirp-z: FFT_M of conj(w[j]) placed circularly, already divided by M.
    private let kernel: [Float]

    init(length: Int) throws {
        guard length >= 2, length <= 1 << 20 else { throw MediaError("FFT length \(length) is outside 2...1048576") }
        self.length = length
        isDirect = Self.directIsFastAndCorrect(length)
        size = isDirect ? 0 : Self.nextPowerOfTwo(2 * length - 1)
        let floats = isDirect ? length + 2 : 2 * size
        guard let a = av_mallocz(MemoryLayout<Float>.size * floats),
            let b = av_mallocz(MemoryLayout<Float>.size * floats)
        else { throw MediaError("out of memory for an FFT of length \(length)") }
        // av_malloc gives the alignment av_tx's SIMD code requires; zeroed because libavutil 57's
        // real FFT also reads the two floats after the frame.
        let scratchA = a.assumingMemoryBound(to: Float.self)
        let scratchB = b.assumingMemoryBound(to: Float.self)
        bufferA = scratchA
        bufferB = scratchB
        var scale: Float = 1
        var fn: av_tx_fn?
        if isDirect {
            let status = av_tx_init(&forwardContext, &fn, AV_TX_FLOAT_RDFT, 0, Int32(length), &scale, 0)
            guard status >= 0, let fn else {
                av_free(a)
                av_free(b)
                throw MediaError("libavutil av_tx cannot make a real FFT of length \(length) (error \(status))")
            }
            forward = fn
            inverse = nil
            chirp = []
            kernel = []
        } else {
            var inv: av_tx_fn?
            let s1 = av_tx_init(&forwardContext, &fn, AV_TX_FLOAT_FFT, 0, Int32(size), &scale, 0)
            let s2 = av_tx_init(&inverseContext, &inv, AV_TX_FLOAT_FFT, 1, Int32(size), &scale, 0)
            guard s1 >= 0, s2 >= 0, let fn, let inv else {
                av_tx_uninit(&forwardContext)
                av_tx_uninit(&inverseContext)
                av_free(a)
                av_free(b)
                throw MediaError("libavutil av_tx cannot make a complex FFT of length \(size)")
            }
            forward = fn
            inverse = inv
            // w[j] = e^{−πi·j²/n}; j² mod 2n keeps the angle small and exact.
            func w(_ j: Int) -> (Double, Double) {
                let angle = Double.pi * Double((j * j) % (2 * length)) / Double(length)
                return (cos(angle), -sin(angle))
            }
            var chirp = [Float](repeating: 0, count: 2 * length)
            for t in 0..<length {
                let (re, im) = w(t)
                chirp[2 * t] = Float(re)
                chirp[2 * t + 1] = Float(im)
            }
            self.chirp = chirp
            // b[j] = conj(w[j]) for j = 0 … n−1 and b[M − j] = conj(w[j]) for j = 1 … n−1.
            let m = size
            let kernelIn = scratchA
            kernelIn.update(repeating: 0, count: 2 * m)
            for j in 0..<length {
                let (re, im) = w(j)
                kernelIn[2 * j] = Float(re)
                kernelIn[2 * j + 1] = Float(-im)
                if j > 0 {
                    kernelIn[2 * (m - j)] = Float(re)
                    kernelIn[2 * (m - j) + 1] = Float(-im)
                }
            }
            fn(forwardContext, scratchB, kernelIn, MemoryLayout<Float>.stride * 2)
            kernel = (0..<(2 * m)).map { scratchB[$0] / Float(m) }
        }
        try selfCheck()
    }

    deinit {
        av_free(bufferA)
        av_free(bufferB)
        av_tx_uninit(&forwardContext)
        av_tx_uninit(&inverseContext)
    }

    /// Power spectrum |X[k]|² (k = 0 … ⌊n/2⌋) of `frame` (n values) written to `power`.
    func powerSpectrum(_ frame: UnsafePointer<Float>, into power: UnsafeMutablePointer<Float>) {
        let bins = transform(frame)
        for k in 0..<binCount {
            let re = bins[2 * k]
            let im = bins[2 * k + 1]
            power[k] = re * re + im * im
        }
    }

    /// The complex bins (re, im interleaved, ⌊n/2⌋+1 pairs) of `frame`; for tests and tools.
    func spectrum(_ frame: [Float]) -> [Float] {
        precondition(frame.count == length, "frame length must equal the FFT length")
        let bins = frame.withUnsafeBufferPointer { transform($0.baseAddress!) }
        return Array(UnsafeBufferPointer(start: bins, count: 2 * binCount))
    }

    /// Runs the transform; returns a pointer to ⌊n/2⌋+1 (re, im) pairs valid until the next call.
    private func transform(_ frame: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let complexStride = MemoryLayout<Float>.stride * 2
        if isDirect {
            bufferA.update(from: frame, count: length)
            bufferA[length] = 0
            bufferA[length + 1] = 0
            forward(forwardContext, bufferB, bufferA, MemoryLayout<Float>.stride)
            return UnsafePointer(bufferB)
        }
        // a[t] = x[t]·w[t], zero-padded to M.
        let m = size
        chirp.withUnsafeBufferPointer { w in
            for t in 0..<length {
                bufferA[2 * t] = frame[t] * w[2 * t]
                bufferA[2 * t + 1] = frame[t] * w[2 * t + 1]
            }
        }
        (bufferA + 2 * length).update(repeating: 0, count: 2 * (m - length))
        forward(forwardContext, bufferB, bufferA, complexStride)
        // Pointwise product with the kernel's spectrum (which carries the 1/M of the inverse).
        kernel.withUnsafeBufferPointer { k in
            for i in 0..<m {
                let ar = bufferB[2 * i]
                let ai = bufferB[2 * i + 1]
                let br = k[2 * i]
                let bi = k[2 * i + 1]
                bufferA[2 * i] = ar * br - ai * bi
                bufferA[2 * i + 1] = ar * bi + ai * br
            }
        }
        inverse!(inverseContext, bufferB, bufferA, complexStride)
        // X[k] = w[k] · c[k].
        chirp.withUnsafeBufferPointer { w in
            for k in 0..<binCount {
                let cr = bufferB[2 * k]
                let ci = bufferB[2 * k + 1]
                let wr = w[2 * k]
                let wi = w[2 * k + 1]
                bufferA[2 * k] = cr * wr - ci * wi
                bufferA[2 * k + 1] = cr * wi + ci * wr
            }
        }
        return UnsafePointer(bufferA)
    }

    /// Compares bins 0, 1, n/4, ⌊n/2⌋ − 1 and ⌊n/2⌋ of a fixed signal with Σ x[t]·e^{−2πikt/n}.
    private func selfCheck() throws {
        let n = length
        let x = (0..<n).map { Float(sin(Double($0) * 0.37) + 0.25 * cos(Double($0 % 97) * 0.3)) }
        let bins = spectrum(x)
        let scale = x.reduce(0) { $0 + Double(abs($1)) }
        for k in Set([0, 1, n / 4, max(0, n / 2 - 1), n / 2]) {
            var re = 0.0
            var im = 0.0
            for t in 0..<n {
                let angle = -2 * Double.pi * Double((k * t) % n) / Double(n)
                re += Double(x[t]) * cos(angle)
                im += Double(x[t]) * sin(angle)
            }
            let error = abs(re - Double(bins[2 * k])) + abs(im - Double(bins[2 * k + 1]))
            guard error <= 1e-5 * scale else {
                throw MediaError("libavutil av_tx gives a wrong DFT of length \(n) (bin \(k) off by \(error))")
            }
        }
    }

    /// Lengths where libavutil 57's real FFT is both right and fast: n a multiple of 4 whose
    /// half has an odd part of 1, 3, 5, 7, 9 or 15 (its power-of-two and prime-factor codelets).
    static func directIsFastAndCorrect(_ n: Int) -> Bool {
        guard n % 4 == 0 else { return false }
        var odd = n / 2
        while odd % 2 == 0 { odd /= 2 }
        return [1, 3, 5, 7, 9, 15].contains(odd)
    }

    static func nextPowerOfTwo(_ v: Int) -> Int {
        var p = 1
        while p < v { p <<= 1 }
        return p
    }
}
