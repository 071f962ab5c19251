/// Part-by-part arithmetic on latents of one layout (callers have checked the layouts).
extension Latent {
    /// A latent with this layout whose part `i` holds `values(i)`.
    func mapParts(_ values: (Int) -> [Float]) -> Latent {
        Latent(
            uncheckedParts: parts.indices.map { i in
                LatentPart(unchecked: parts[i].name, shape: parts[i].shape, values: values(i))
            })
    }

    /// `a·x + b·y`.
    static func axpby(_ a: Double, _ x: Latent, _ b: Double, _ y: Latent) -> Latent {
        x.mapParts { i in Kernels.axpby(Float(a), x.parts[i].values, Float(b), y.parts[i].values) }
    }

    /// `x + y - w`.
    static func addSub(_ x: Latent, _ y: Latent, _ w: Latent) -> Latent {
        x.mapParts { i in Kernels.addSub(x.parts[i].values, y.parts[i].values, w.parts[i].values) }
    }

    /// `x + c·(y - z)`.
    static func addScaledDifference(_ x: Latent, _ c: Double, _ y: Latent, _ z: Latent) -> Latent {
        x.mapParts { i in Kernels.addScaledDifference(x.parts[i].values, Float(c), y.parts[i].values, z.parts[i].values)
        }
    }

    /// Rescales every part to RMS 1: `x ← x·√numel / ‖x‖₂` per part (spec §4).
    /// - Throws: ``SamplerError/numerical(_:)`` when a part's norm is zero or not finite; `what` names it.
    func rescaledToUnitRMS(what: String) throws -> Latent {
        var out = self
        for i in out.parts.indices {
            let ss = out.parts[i].values.withUnsafeBufferPointer { Kernels.sumOfSquares($0) }
            let k = try Latent.unitRMSScale(
                sumOfSquares: ss, count: out.parts[i].count, what: "\(what) '\(parts[i].name)'")
            Kernels.scale(&out.parts[i].values, k)
        }
        return out
    }

    /// `√numel / √Σx²`, checked.
    static func unitRMSScale(sumOfSquares ss: Double, count: Int, what: String) throws -> Float {
        guard ss.isFinite else { throw SamplerError.numerical("\(what) has non-finite values (NaN or ∞)") }
        guard ss > 0 else { throw SamplerError.numerical("\(what) has zero norm and cannot be rescaled to RMS 1") }
        return Float((Double(count) / ss).squareRoot())
    }

    /// Throws ``SamplerError/numerical(_:)`` naming `what` and the part when any value is NaN or ∞.
    func checkFinite(_ what: String) throws {
        for part in parts where !part.values.withUnsafeBufferPointer({ Kernels.allFinite($0) }) {
            throw SamplerError.numerical("\(what) part '\(part.name)' has non-finite values (NaN or ∞)")
        }
    }
}
