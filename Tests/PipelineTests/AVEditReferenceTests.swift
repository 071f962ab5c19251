// The AV Edit job against an independent PyTorch implementation (tools/fixtures/avedit/make_avedit_job.py):
// the built-in AV model on the example clip's first window, the same prompts, guidance, seed and noise. This
// checks what the component goldens cannot: frame resizing, the mel front end, prompt encoding, latent
// normalisation and packing, the sigma grid, the sampler's joint audio-video arithmetic and the decoders.
import Foundation
import Media
import Models
@testable import Pipeline
import VideoIO
import XCTest

final class AVEditReferenceTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A decoded RGBA frame (0…1) as the job's planar RGB in [−1, 1].
    static func planar(_ image: RGBAImage) throws -> PlanarImage {
        let count = image.width * image.height
        var planes = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count { for c in 0..<3 { planes[c * count + i] = 2 * image.pixels[4 * i + c] - 1 } }
        return try PlanarImage(channels: 3, height: image.height, width: image.width, values: planes)
    }

    static let example = repository.appendingPathComponent("Examples/avedit")

    static func builtInModel() throws -> AVModel {
        try AVModel.shared(
            folder: repository.appendingPathComponent("plugin-manifest/Resources/models/avedit").path, backend: .cpu,
            precision: .f32)
    }

    /// The AV Edit job of the example clip's first 25 frames and its sound on the built-in model (CPU, f32),
    /// uncached.
    static func exampleJob(_ settings: AVEditSettings) throws -> AVEditJob {
        let clip = try openFrameSource(example.appendingPathComponent("clip/face####.png").path, frameRate: 25)
        return try AVEditJob(
            model: try builtInModel(),
            inputs: AVEditInputs(
                frames: clip.firstFrame...(clip.firstFrame + 24), frameRate: 25,
                sourceAudio: example.appendingPathComponent("source.wav").path, settings: settings),
            cache: try CacheStore(folder: nil, budgetMB: 0),
            fetch: { try planar(clip.frame($0)) })
    }

    func testTheBuiltInModelsEditMatchesThePyTorchReference() throws {
        let golden = try Checkpoint.open(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/avedit_job.safetensors"))
        let example = Self.example
        let prompts = try JSONSerialization.jsonObject(
            with: Data(contentsOf: example.appendingPathComponent("prompts.json"))) as? [String: Any]
        var s = AVEditSettings()
        s.sourcePrompt = try XCTUnwrap(prompts?["source"] as? String)
        s.targetPrompt = try XCTUnwrap(prompts?["target"] as? String)
        s.guidance = 4
        s.seed = 7
        s.windowLength = 25
        s.composite = .modelOutput
        let job = try Self.exampleJob(s)
        XCTAssertEqual(job.plan.windows.count, 1)
        let result = try job.windowResult(0)

        let video = try golden.floats("video")
        XCTAssertEqual(result.video.values.count, video.count, "3 × 25 × 64 × 64")
        let videoError = zip(result.video.values, video).map { abs($0 - $1) }
        let worst = videoError.max() ?? .infinity
        let mean = videoError.reduce(0, +) / Float(videoError.count)
        print("AV Edit vs PyTorch: video worst |Δ| \(worst), mean \(mean) (pixels in [−1, 1])")
        XCTAssertLessThan(worst, 2e-3, "the reference is stored as f16 (spacing 4.9e-4 near 1)")
        XCTAssertLessThan(mean, 2e-4)

        // Audio: the reference decodes the window's 25 latent frames alone (97 mel frames); the job also decodes
        // one repeated latent frame to cover the span's end (see `compute`). The decoders see a few frames ahead,
        // so the two differ in the last ~7 mel frames of the reference; the comparison stops at 85.
        let reference = try golden.floats("audio")
        let referenceLength = reference.count / 2
        let compared = 85 * 160
        var audioWorst: Float = 0
        for c in 0..<2 {
            XCTAssertGreaterThanOrEqual(result.audio[c].count, compared)
            for i in 0..<compared {
                audioWorst = max(audioWorst, abs(result.audio[c][i] - reference[c * referenceLength + i]))
            }
        }
        let audioScale = reference.map { abs($0) }.max() ?? 0
        print("AV Edit vs PyTorch: audio worst |Δ| \(audioWorst) (peak \(audioScale))")
        XCTAssertLessThan(audioWorst, 2e-3 * max(audioScale, 1e-3))
    }

    func testAGuidanceOtherThanTheModelsOwnIsSaid() throws {
        XCTAssertEqual(try Self.builtInModel().settings.guidance, 4, "the built-in model's omniedit.json")
        func notes(guidance: Double) throws -> [String] {
            var s = AVEditSettings()
            (s.sourcePrompt, s.targetPrompt) = ("a woman speaks", "a man speaks")
            (s.steps, s.startStep, s.endStep, s.guidance) = (4, 1, 2, guidance)
            let job = try Self.exampleJob(s)
            final class Said: @unchecked Sendable { var list: [String] = [] }
            let said = Said()
            _ = try job.render(frame: job.inputs.frames.lowerBound, hooks: JobHooks(note: { said.list.append($0) }))
            return said.list
        }
        let overdriven = try notes(guidance: 10)
        XCTAssertTrue(
            overdriven.contains { $0.contains("meant to run at guidance 4") && $0.contains("uses 10") && $0.contains("overdrive") },
            "\(overdriven)")
        XCTAssertFalse(try notes(guidance: 4).contains { $0.contains("meant to run at guidance") })
    }
}
