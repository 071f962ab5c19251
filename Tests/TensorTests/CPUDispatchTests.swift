// The CPU backend chooses OpenBLAS's kernel set from the CPU's instruction sets (never from its model
// number), and the library it loads runs that choice.
import XCTest

@testable import TensorCPU

final class CPUDispatchTests: XCTestCase {
    /// A CPU with everything up to `level` (and the OS support for it).
    private func cpu(_ vendor: String, _ level: CPULevel) -> CPUFeatures {
        var f = CPUFeatures(vendor: vendor)
        (f.avx, f.osSavesYMM) = (level >= .avx, level >= .avx)
        (f.avx2, f.fma) = (level >= .avx2, level >= .avx2)
        (f.avx512f, f.avx512dq, f.avx512bw, f.avx512vl, f.osSavesZMM) = (
            level >= .avx512, level >= .avx512, level >= .avx512, level >= .avx512, level >= .avx512
        )
        f.avx512bf16 = level >= .avx512bf16
        return f
    }

    func testTheCoreFollowsTheInstructionSets() {
        let intel = "GenuineIntel"
        let amd = "AuthenticAMD"
        XCTAssertEqual(BLASCore.choose(for: cpu(intel, .avx512bf16)), .cooperlake)  // Sapphire Rapids, Cooper Lake
        XCTAssertEqual(BLASCore.choose(for: cpu(amd, .avx512bf16)), .cooperlake)  // Zen 4
        XCTAssertEqual(BLASCore.choose(for: cpu(intel, .avx512)), .skylakex)  // Skylake-SP, Ice Lake
        XCTAssertEqual(BLASCore.choose(for: cpu(intel, .avx2)), .haswell)
        XCTAssertEqual(BLASCore.choose(for: cpu(amd, .avx2)), .zen)
        XCTAssertEqual(BLASCore.choose(for: cpu("HygonGenuine", .avx2)), .zen)
        XCTAssertEqual(BLASCore.choose(for: cpu(intel, .avx)), .sandybridge)
        XCTAssertNil(BLASCore.choose(for: cpu(intel, .baseline)))
    }

    func testInstructionsTheOSDoesNotSaveDoNotCount() {
        var f = cpu("GenuineIntel", .avx512bf16)
        f.osSavesZMM = false  // e.g. a hypervisor that hides the AVX-512 state
        XCTAssertEqual(f.level, .avx2)
        XCTAssertEqual(BLASCore.choose(for: f), .haswell)
        f.osSavesYMM = false
        XCTAssertEqual(BLASCore.choose(for: f), nil)
        var partial = cpu("GenuineIntel", .avx512)
        partial.avx512bw = false  // Knights Landing: AVX-512F without BW/VL
        XCTAssertEqual(BLASCore.choose(for: partial), .haswell)
    }

    func testCappingForcesTheSlowerPaths() {
        let full = cpu("GenuineIntel", .avx512bf16)
        for level in CPULevel.allCases {
            XCTAssertEqual(full.capped(at: level).level, level)
            XCTAssertEqual(CPULevel(name: level.description), level)
        }
        XCTAssertEqual(BLASCore.choose(for: full.capped(at: .avx2)), .haswell)
        XCTAssertEqual(BLASCore.choose(for: full.capped(at: .avx512)), .skylakex)
        XCTAssertNil(CPULevel(name: "avx3"))
    }

    func testTheUsersChoiceAndAnEarlierLoadAreRespected() {
        let f = cpu("GenuineIntel", .avx512bf16)
        XCTAssertEqual(BLASCoreDecision.decide(features: f, userCoreType: nil, alreadyLoaded: false), .chosen(.cooperlake))
        XCTAssertEqual(BLASCoreDecision.decide(features: f, userCoreType: "", alreadyLoaded: false), .chosen(.cooperlake))
        XCTAssertEqual(BLASCoreDecision.decide(features: f, userCoreType: "Haswell", alreadyLoaded: false), .user("Haswell"))
        XCTAssertEqual(BLASCoreDecision.decide(features: f, userCoreType: "Haswell", alreadyLoaded: true), .alreadyLoaded)
        XCTAssertEqual(
            BLASCoreDecision.decide(features: cpu("GenuineIntel", .baseline), userCoreType: nil, alreadyLoaded: false),
            .libraryDefault)
    }

    func testBLASThreadsFollowTheCoresUnlessTheUserSetThem() {
        XCTAssertEqual(OpenBLAS.threadCount(environment: [:], cores: 6), 6)
        XCTAssertEqual(OpenBLAS.threadCount(environment: ["OPENBLAS_NUM_THREADS": ""], cores: 0), 1)
        XCTAssertNil(OpenBLAS.threadCount(environment: ["OPENBLAS_NUM_THREADS": "3"], cores: 6))
        XCTAssertNil(OpenBLAS.threadCount(environment: ["OMP_NUM_THREADS": "1"], cores: 6))
        XCTAssertNil(OpenBLAS.threadCount(environment: ["GOTO_NUM_THREADS": "2"], cores: 6))
    }

    /// On this machine: the library loaded by the backend runs the core chosen for this CPU.
    func testTheLoadedLibraryRunsTheChosenCore() throws {
        let blas = try CPUBackend().blas
        XCTAssertEqual(blas.features, try CPUFeatures.active.get())
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? ""
        if user.isEmpty, let expected = BLASCore.choose(for: blas.features) {
            // `alreadyLoaded`: the plugin bundle, loaded into this test process by the host tests,
            // carries its own copy of this code, which opened the library first with the same choice.
            XCTAssertTrue([.chosen(expected), .alreadyLoaded].contains(blas.decision), blas.summary)
            XCTAssertEqual(blas.runningCore.lowercased(), expected.rawValue.lowercased(), blas.summary)
        }
        XCTAssertTrue(blas.runsChosenCore, blas.summary)
        XCTAssertTrue(blas.config.contains("OpenBLAS"), blas.config)
    }

    /// The fused attention kernel for the widest vectors the CPU has (AVX-512, else AVX2 + FMA), the
    /// BLAS-tile one below that; asking for one the CPU cannot run is an error, and this machine's
    /// backend takes the choice and names it.
    func testAttentionKernelFollowsTheInstructionSets() throws {
        for level in CPULevel.allCases {
            let f = cpu("AuthenticAMD", level)
            let expected: CPUAttentionKernel =
                level >= .avx512 ? .fusedAVX512 : level >= .avx2 ? .fusedAVX2 : .blasTiles
            XCTAssertEqual(try CPUAttentionKernel.choose(nil, features: f), expected, "\(level)")
            XCTAssertEqual(try CPUAttentionKernel.choose(.blasTiles, features: f), .blasTiles)
            if level < .avx512 { XCTAssertThrowsError(try CPUAttentionKernel.choose(.fusedAVX512, features: f)) }
            if level < .avx2 { XCTAssertThrowsError(try CPUAttentionKernel.choose(.fusedAVX2, features: f)) }
        }
        let cpu = try CPUBackend()
        XCTAssertEqual(cpu.attentionKernel, try CPUAttentionKernel.choose(nil, features: cpu.blas.features))
        XCTAssertTrue(cpu.device.name.contains("attention \(cpu.attentionKernel.rawValue)"), cpu.device.name)
    }
}
