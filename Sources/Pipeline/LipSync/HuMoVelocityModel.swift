// Pipeline — the HuMo DiT as the sampler's velocity field for one window: the latent `[16, F+1, h, w]`
// holds the window's F latent frames and the reference frame last (HuMo's layouts, models.md §1.6);
// c_src and c_tgt share the text context and the reference and differ only in the audio.
import Dispatch
import Models
import Sampler
import Tensor

struct HuMoVelocityModel: VelocityModel {
    let model: HuMoModel
    /// The reference latent `[16, 1, h, w]` (1.7B layout: written over the last frame before every call).
    let reference: Tensor
    /// `[20, F+1, h, w]` mask ‖ conditioning (17B layout), else nil.
    let conditioning: Tensor?
    let source: WanDiT.Condition
    let target: WanDiT.Condition

    func velocities(for batch: [VelocityRequest]) throws -> [Latent] {
        let backend = model.backend
        let started = DispatchTime.now().uptimeNanoseconds
        let out = try batch.map { request -> Latent in
            guard let part = request.latent.parts.first, request.latent.parts.count == 1 else {
                throw PipelineError.model("a HuMo latent has one part, got \(request.latent.layout)")
            }
            var x = try backend.upload(part.values, shape: part.shape, dtype: .f32)
            if conditioning == nil { x = try HuMoReference.replaceLastFrames(x, with: reference, on: backend) }
            let v = try model.dit.velocity(
                x: x, y: conditioning, timestep: 1000 * request.sigma,
                condition: request.role == .source ? source : target, on: backend)
            return try Latent(name: part.name, shape: part.shape, values: backend.download(v))
        }
        model.countCalls(batch.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        return out
    }
}
