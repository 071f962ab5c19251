// The LTX-2 transformer as the sampler's multi-part velocity field: one request gives both velocities,
// equal to a direct joint forward at t = 1000·σ, in the request's two-part layout; the role picks the
// captions; a latent without the two parts is refused by name.
import Foundation
import Models
import Pipeline
import Sampler
import Tensor
import TensorCPU
import XCTest

final class LTX2VelocityModelTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../ModelsTests/Fixtures/ltx2")

    func testOneRequestGivesBothVelocitiesOfADirectForwardAndTheRolePicksTheCaptions() throws {
        let backend = try CPUBackend()
        let (dit, _) = try LTX2Checkpoint.loadTransformer(
            Self.fixtures.appendingPathComponent("transformer_tiny"), on: backend)
        let io = try Checkpoint.open(Self.fixtures.appendingPathComponent("transformer_tiny_io.safetensors"))
        let text = try io.tensor("inputs/text", on: backend)
        let audioText = try io.tensor("inputs/audio_text", on: backend)
        let model = LTX2VelocityModel(
            transformer: dit, backend: backend, fps: 25, source: LTX2Captions(video: text, audio: audioText),
            target: LTX2Captions(video: audioText, audio: text))
        let video = (0..<(7 * 30)).map { Float(sin(Double($0) * 0.37)) }
        let audio = (0..<(12 * 11)).map { Float(cos(Double($0) * 0.21)) }
        let latent = try Latent(parts: [
            try LatentPart(name: "video", shape: [7, 3, 2, 5], values: video),
            try LatentPart(name: "audio", shape: [3, 11, 4], values: audio),
        ])
        let out = try model.velocities(for: [
            VelocityRequest(latent: latent, sigma: 0.625, role: .source),
            VelocityRequest(latent: latent, sigma: 0.625, role: .target),
        ])
        XCTAssertEqual(out[0].layout, latent.layout)
        let direct = try dit(
            LTX2TransformerInputs(
                video: try LTX2Transformer.packVideo(
                    try backend.upload(video, shape: [7, 3, 2, 5], dtype: .f32), on: backend),
                frames: 3, height: 2, width: 5, fps: 25,
                audio: try LTX2Transformer.packAudio(
                    try backend.upload(audio, shape: [3, 11, 4], dtype: .f32), on: backend),
                text: text, audioText: audioText, videoTimestep: 625, audioTimestep: 625), on: backend)
        let v = try backend.download(
            try LTX2Transformer.unpackVideo(direct.video, frames: 3, height: 2, width: 5, on: backend))
        let a = try backend.download(try LTX2Transformer.unpackAudio(direct.audio, channels: 3, on: backend))
        XCTAssertEqual(out[0].parts[0].values, v)
        XCTAssertEqual(out[0].parts[1].values, a)
        XCTAssertNotEqual(out[1].parts[0].values, v, "the target captions change the velocity")
        let single = try Latent(name: "video", shape: [7, 3, 2, 5], values: video)
        XCTAssertThrowsError(try model.velocities(for: [VelocityRequest(latent: single, sigma: 0.5, role: .source)])) {
            XCTAssertTrue("\($0)".contains("video [C, F, H, W] and audio [C, L, M]"), "\($0)")
        }
    }
}
