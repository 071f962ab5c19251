// Step caching through the per-step cache: a state's step-cache memory survives the disk format exactly
// (so a render resumed from disk decides as an uninterrupted one), entries without it read as before,
// and damaged memory is refused.
import Foundation
@testable import Pipeline
import Sampler
import XCTest

final class StepCacheStoreTests: XCTestCase {
    private func latent(_ base: Float) throws -> Latent {
        try Latent(parts: [
            LatentPart(name: "video", shape: [2, 3], values: (0..<6).map { base + Float($0) }),
            LatentPart(name: "audio", shape: [4], values: (0..<4).map { base - Float($0) / 3 }),
        ])
    }

    func testStatesWithAndWithoutStepCacheMemoryRoundTrip() throws {
        let key = CacheKey(bytes: Array(repeating: 7, count: 32))
        let memory = StepCacheMemory(
            estimates: [
                ReusedEstimate(slot: .sourceOnTarget, cleanEstimate: try latent(1)),
                ReusedEstimate(slot: .sourceOnSource, cleanEstimate: try latent(-2)),
            ],
            lastCallStep: 9, rate: 0.1 + 0.2, accumulated: 1.0 / 3, requestsReused: 6)
        let states = [
            StepState(step: 10, z: try latent(0), noise: try latent(5), cacheKey: key, reuse: memory),
            StepState(step: 10, z: try latent(0), noise: nil, cacheKey: key, reuse: memory),
            StepState(
                step: 7, z: try latent(0), noise: try latent(5), cacheKey: key,
                reuse: StepCacheMemory(estimates: [], lastCallStep: 6, rate: nil, accumulated: 0, requestsReused: 0)),
            StepState(step: 10, z: try latent(0), noise: try latent(5), cacheKey: key),
        ]
        for state in states {
            let payload = CacheStore.encodeStep(state)
            XCTAssertEqual(try CacheStore.decodeStep(payload), state)
            // Any cut is a damaged entry, never a state.
            for cut in stride(from: 0, to: payload.count, by: 13) {
                XCTAssertThrowsError(try CacheStore.decodeStep(Array(payload[..<cut])))
            }
        }
        // An unknown slot or an estimate of the wrong size is damage.
        var payload = CacheStore.encodeStep(states[1])
        let tail = payload.count - 2 * (8 + 8 + 6 * 4 + 8 + 4 * 4)  // the two estimates: slot, 2 float arrays
        payload[tail] = 9
        XCTAssertThrowsError(try CacheStore.decodeStep(payload))
    }
}
