// Four component rows (R, G, B, A) of floats, loaded from / stored to one row of host pixels of
// any depth and layout. The only code that touches host memory.

/// Planar scratch for one row span: channel c at `storage[c · capacity ..< (c+1) · capacity]`.
/// Loaded values are normalised storage (byte/255, short/65535, half/float as stored); RGB rows
/// get alpha 1; Alpha rows put their value in channel 0 (and 3).
final class RowScratch {
    let capacity: Int
    private let base: UnsafeMutablePointer<Float>

    init(count: Int) {
        capacity = max(count, 1)
        base = .allocate(capacity: 4 * capacity)
        base.initialize(repeating: 0, count: 4 * capacity)
    }

    deinit { base.deallocate() }

    /// Pointer to channel `c` (valid while `self` lives).
    func channel(_ c: Int) -> UnsafeMutablePointer<Float> { base + c * capacity }

    /// Reads `count` pixels starting at `row` (pixel-aligned, possibly unaligned for the type).
    func load(_ row: UnsafeRawPointer, count: Int, depth: PixelDepth, components: PixelComponents) {
        let n = components.count
        let out = base
        let cap = capacity
        if components == .rgb { (out + 3 * cap).update(repeating: 1, count: count) }
        switch depth {
        case .byte:
            let p = row.assumingMemoryBound(to: UInt8.self)
            Levels.byte.withUnsafeBufferPointer { table in
                for i in 0..<count {
                    for c in 0..<n { out[c * cap + i] = table[Int(p[i * n + c])] }
                }
            }
        case .short:
            Levels.short.withUnsafeBufferPointer { table in
                for i in 0..<count {
                    for c in 0..<n {
                        out[c * cap + i] =
                            table[Int(row.loadUnaligned(fromByteOffset: (i * n + c) * 2, as: UInt16.self))]
                    }
                }
            }
        case .half:
            Levels.half.withUnsafeBufferPointer { table in
                for i in 0..<count {
                    for c in 0..<n {
                        out[c * cap + i] =
                            table[Int(row.loadUnaligned(fromByteOffset: (i * n + c) * 2, as: UInt16.self))]
                    }
                }
            }
        case .float:
            for i in 0..<count {
                for c in 0..<n { out[c * cap + i] = row.loadUnaligned(fromByteOffset: (i * n + c) * 4, as: Float.self) }
            }
        }
    }

    /// Writes `count` pixels to `row`: byte/short values are clamped to 0…1 and rounded to the
    /// nearest level (NaN → 0); half/float are stored as they are.
    func store(_ row: UnsafeMutableRawPointer, count: Int, depth: PixelDepth, components: PixelComponents) {
        let n = components.count
        let cap = capacity
        do {
            let src = UnsafePointer(base)
            switch depth {
            case .byte:
                let p = row.assumingMemoryBound(to: UInt8.self)
                for c in 0..<n {
                    let s = src + c * cap
                    for i in 0..<count {
                        let v = s[i]
                        p[i * n + c] = UInt8((v.isNaN ? 0 : min(max(v, 0), 1)) * 255 + 0.5)
                    }
                }
            case .short:
                for c in 0..<n {
                    let s = src + c * cap
                    for i in 0..<count {
                        let v = s[i]
                        let q = UInt16((v.isNaN ? 0 : min(max(v, 0), 1)) * 65535 + 0.5)
                        row.storeBytes(of: q, toByteOffset: (i * n + c) * 2, as: UInt16.self)
                    }
                }
            case .half:
                for c in 0..<n {
                    let s = src + c * cap
                    for i in 0..<count {
                        row.storeBytes(of: Float16(s[i]).bitPattern, toByteOffset: (i * n + c) * 2, as: UInt16.self)
                    }
                }
            case .float:
                for c in 0..<n {
                    let s = src + c * cap
                    for i in 0..<count { row.storeBytes(of: s[i], toByteOffset: (i * n + c) * 4, as: Float.self) }
                }
            }
        }
    }
}

/// Exact decoded values of every stored level: q/255, q/65535 and the float of each half bit
/// pattern (tables replace a division or a software half conversion per component).
enum Levels {
    static let byte: [Float] = (0..<256).map { Float($0) / 255 }
    static let short: [Float] = (0..<65536).map { Float($0) / 65535 }
    static let half: [Float] = (0..<65536).map { Float(Float16(bitPattern: UInt16($0))) }
}
