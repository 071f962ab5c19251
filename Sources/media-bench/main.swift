// media-bench: speed of Media's per-frame and per-clip work, printed as figures.
//   OMNIEDIT_TARGETS=media-bench swift run -c release --scratch-path .build-media media-bench
// Each figure is the median of several runs on synthetic data (no files are touched); CPU time
// (all threads) is printed beside wall time because wall time depends on how busy the machine is.
import Foundation
import Media

/// Process CPU time (all threads) in milliseconds.
func cpuMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) * 1e-6
}

/// Median wall time in milliseconds of `runs` calls of `body`; `cpu` receives the median CPU
/// time of the process (all threads), which is steadier than wall time on a shared machine.
func medianMilliseconds(runs: Int, cpu: inout Double, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    var cpuTimes: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let cpuStart = cpuMilliseconds()
        let elapsed = try clock.measure(body)
        cpuTimes.append(cpuMilliseconds() - cpuStart)
        times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    cpu = cpuTimes.sorted()[runs / 2]
    return times.sorted()[runs / 2]
}

func pixels(depth: PixelDepth, transfer: FloatTransfer) throws {
    let width = 1920
    let height = 1080
    let bounds = PixelRect(x1: 0, y1: 0, x2: width, y2: height)
    let rowBytes = width * 4 * depth.byteCount
    let storage = UnsafeMutableRawPointer.allocate(byteCount: rowBytes * height, alignment: 64)
    defer { storage.deallocate() }
    storage.initializeMemory(as: UInt8.self, repeating: 0x3C, count: rowBytes * height)
    // Top-down storage, as many hosts hand it: data points at the last row, rowBytes negative.
    let image = try HostImage(
        data: storage + rowBytes * (height - 1), bounds: bounds, rowBytes: -rowBytes, depth: depth, components: .rgba,
        premultiplication: .premultiplied)
    let conversion = PixelConversion(floatTransfer: transfer)
    var planar = try conversion.read(image, window: bounds)
    var readCPU = 0.0
    var writeCPU = 0.0
    let read = try medianMilliseconds(runs: 9, cpu: &readCPU) { planar = try conversion.read(image, window: bounds) }
    let write = try medianMilliseconds(runs: 9, cpu: &writeCPU) {
        try conversion.write(planar, to: image, window: bounds)
    }
    let megapixels = Double(width * height) / 1e6
    print(
        String(
            format: "pixels 1920x1080 RGBA %@ premultiplied%@: read %.1f ms wall / %.1f ms cpu (%.0f Mpx/s per core), "
                + "write %.1f ms wall / %.1f ms cpu (%.0f Mpx/s per core)",
            "\(depth)", depth.isFloatingPoint ? " \(transfer)" : "", read, readCPU, megapixels / readCPU * 1e3, write,
            writeCPU, megapixels / writeCPU * 1e3))
}

func logMel() throws {
    let samples = (0..<480_000).map { Float(0.3 * sin(Double($0) * 0.05) + 0.1 * sin(Double($0) * 0.31)) }
    for (name, settings) in [
        ("whisper (30 s chunk, 128x3000)", LogMelSettings.whisper), ("ltx2 (30 s, 64 mels)", .ltx2),
    ] {
        let spectrogram = try LogMelSpectrogram(settings)
        var cpu = 0.0
        let ms = try medianMilliseconds(runs: 5, cpu: &cpu) { _ = try spectrogram(samples) }
        print(String(format: "log-mel %@: %.1f ms wall / %.1f ms cpu (%.0fx real time)", name, ms, cpu, 30_000 / ms))
    }
}

func resampling() throws {
    for rate in [44100, 48000] {
        let input = (0..<(rate * 10)).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / Double(rate))) }
        let resampler = try Resampler(from: rate, to: 16000)
        var cpu = 0.0
        let ms = try medianMilliseconds(runs: 5, cpu: &cpu) { _ = try resampler.resample(input) }
        print(
            String(
                format: "resample 10 s mono %d -> 16000 Hz: %.1f ms wall / %.1f ms cpu (%.0fx real time)", rate, ms,
                cpu, 10_000 / ms))
    }
}

do {
    for depth in [PixelDepth.byte, .short, .half, .float] {
        try pixels(depth: depth, transfer: .linear)
    }
    try pixels(depth: .float, transfer: .displayReferred)
    try logMel()
    try resampling()
} catch {
    print("media-bench failed: \(error)")
    exit(1)
}
