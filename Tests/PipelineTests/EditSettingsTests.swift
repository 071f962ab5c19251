// The parameters LipSync and AV Edit share (`EditSettings`): one spelling, one range check and one
// message for both effects, each with its own defaults, and result-cache keys unchanged by the sharing.
@testable import Pipeline
import XCTest

final class EditSettingsTests: XCTestCase {
    func testBothEffectsTakeEverySharedParameterByNameWithTheirOwnDefaults() throws {
        var lip = LipSyncSettings(), av = AVEditSettings()
        XCTAssertEqual([lip.steps, lip.startStep, lip.endStep], [20, 6, 16])
        XCTAssertEqual([av.steps, av.startStep, av.endStep], [40, 12, 39])
        XCTAssertEqual([lip.guidance, av.guidance], [4.5, 10])
        let assignments = [
            "steps=30", "startStep=4", "endStep=20", "guidance=3.5", "seed=9", "windowLength=33", "windowOverlap=6",
            "sampler=FlowEdit", "previewStep=2", "audioOffset=0.5", "composite=modelOutput", "stepCacheThreshold=0.2",
        ]
        XCTAssertEqual(assignments.map { String($0.prefix { $0 != "=" }) }, EditSettings.names)
        try lip.set(assignments: assignments)
        try av.set(assignments: assignments)
        XCTAssertEqual(lip.shared, av.shared)
        XCTAssertEqual(av.sampler, .flowEdit)
        XCTAssertEqual(av.stepCacheThreshold, 0.2)
    }

    func testUnknownNamesAndOutOfRangeValuesAreNamedInTheMessage() {
        var lip = LipSyncSettings(), av = AVEditSettings()
        XCTAssertThrowsError(try lip.set("stepz", "3")) { e in
            XCTAssertTrue("\(e)".contains("unknown LipSync parameter 'stepz'") && "\(e)".contains("stepCacheThreshold"), "\(e)")
        }
        XCTAssertThrowsError(try av.set("guidance", "lots")) { e in XCTAssertTrue("\(e)".contains("'guidance' needs a finite number"), "\(e)") }
        av.sourcePrompt = "a"
        av.targetPrompt = "b"
        av.steps = 1
        XCTAssertThrowsError(try av.validate()) { e in XCTAssertTrue("\(e)".contains("between 2 and 1000"), "\(e)") }
        (lip.steps, lip.startStep, lip.endStep) = (1, 0, 0)
        XCTAssertNoThrow(try lip.validate(), "LipSync allows a single step")
        lip.windowLength = 7
        av.steps = 40
        av.windowLength = 7
        XCTAssertNoThrow(try lip.validate())
        XCTAssertThrowsError(try av.validate()) { e in XCTAssertTrue("\(e)".contains("between 9 and 1025"), "\(e)") }
    }

    func testResultKeysAreThoseOfTheSettingsBeforeTheyWereShared() {
        // Written out as the fingerprints were spelled before `EditSettings`: caches made then stay valid.
        XCTAssertEqual(
            LipSyncSettings().fingerprint,
            "steps=20 start=6 end=16 cfg=\(4.5.bitPattern) shift=\(5.0.bitPattern) seed=0 ref=first sampler=omniEdit "
                + "preview=0 offset=\(0.0.bitPattern) composite=keepSourceDetail")
        var av = AVEditSettings()
        XCTAssertEqual(
            av.fingerprint,
            "steps=40 start=12 end=39 cfg=\(10.0.bitPattern) seed=0 sampler=omniEdit preview=0 offset=\(0.0.bitPattern) "
                + "composite=keepSourceDetail")
        av.stepCacheThreshold = 0.25
        XCTAssertTrue(av.fingerprint.hasSuffix(" stepCache=\(0.25.bitPattern)"))
    }
}
