// swift-tools-version:6.1
// OmniEdit-OFX: an OpenFX plugin (LipSync, AV Edit) and a generic headless OpenFX host.
// Module graph and import rules: ../shared/docs/architecture.md and README.md ("Layout").
import Foundation
import PackageDescription

// The plugin binary must load in hosts that have never seen Swift: the Swift runtime is linked
// statically and only the two OpenFX entry points are exported (plugin-manifest/exports.map).
let pluginLinkerFlags: [LinkerSetting] = [
    .unsafeFlags([
        "-static-stdlib",
        // Foundation (used by Models, Media and Pipeline) is linked into the plugin too, and every
        // reference inside the plugin binds to the plugin's own copy (-Bsymbolic, --exclude-libs): a
        // host that has its own Foundation loaded (a Swift host such as ofx-host) must never serve
        // the plugin's CoreFoundation calls, and a host without one (Natron) must find nothing missing.
        "-Xlinker", "--start-group",
        "-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials", "-lCoreFoundation",
        "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
        "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime",
        "-Xlinker", "--end-group",
        "-Xlinker", "-Bsymbolic",
        "-Xlinker", "--version-script=plugin-manifest/exports.map",
        "-Xlinker", "-z", "-Xlinker", "nodelete",
    ])
]

func system(_ name: String, _ pkgConfig: String, _ apt: String) -> Target {
    .systemLibrary(
        name: name, path: "Sources/\(name)", pkgConfig: pkgConfig,
        providers: [.apt([apt])])
}

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

var targets: [Target] = [
    // C declarations of the OpenFX ABI (include/) and the C shims for system libraries.
    .systemLibrary(name: "COpenFX", path: "include"),
    .target(
        name: "COFXHostShim", dependencies: ["COpenFX"], path: "Sources/COFXHostShim",
        cSettings: [.headerSearchPath("../../include")]),
    // CPU feature probe and the AVX-512 kernels Swift cannot express; OpenBLAS itself is opened at
    // run time (TensorCPU/OpenBLAS.swift) so that its kernel set is ours to choose.
    .target(name: "CCPUKernels", path: "Sources/CCPUKernels"),
    system("CSndFile", "sndfile", "libsndfile1-dev"),
    system("CAVUtil", "libavutil", "libavutil-dev"),
    system("CFFmpeg", "libavformat", "libavformat-dev"),
    system("CSwResample", "libswresample", "libswresample-dev"),
    // Vulkan headers only: the loader (libvulkan.so.1) is opened at run time, so a machine without
    // Vulkan still runs everything on the CPU backend.
    .systemLibrary(name: "CVulkan", path: "Sources/CVulkan", providers: [.apt(["libvulkan-dev"])]),

    // What a user sees when something fails: error messages and the tools' exit statuses.
    .target(name: "UserMessages", exclude: ["README.md"]),
    // The command-line tools' entry point: usage errors exit 64 with a usage line, every other error
    // exits with its documented status and a message (UserMessages).
    .target(name: "CommandLineMain", dependencies: ["UserMessages", argumentParser], exclude: ["README.md"]),

    // Compute runtime.
    .target(name: "Tensor", exclude: ["README.md"]),
    .target(name: "TensorCPU", dependencies: ["Tensor", "CCPUKernels"], exclude: ["README.md"]),
    .target(
        name: "TensorVulkan", dependencies: ["Tensor", "CVulkan"], exclude: ["README.md", "Shaders"],
        plugins: ["SPIRVBuild"]),

    // Media: audio files, resampling, log-mel features, host pixels <-> planar floats.
    .target(name: "Media", dependencies: ["CSndFile", "CAVUtil", "CSwResample", "UserMessages"], exclude: ["README.md"]),
    // Video files and image sequences for the headless host (not linked into the plugin).
    .target(name: "VideoIO", dependencies: ["CFFmpeg", "UserMessages"], exclude: ["README.md"]),
    // Speed figures for Media (pixel conversion, log-mel, resampling); not a test.
    .executableTarget(name: "media-bench", dependencies: ["Media"]),
    // Attributes read back from frames and audio for the benchmarks (the Python readers' definitions).
    .target(name: "Evaluation", dependencies: ["Media", "VideoIO"], exclude: ["README.md"]),

    // Model families: checkpoints, layers, Wan2.1 DiT + HuMo, Wan VAE, Whisper.
    .target(name: "Models", dependencies: ["Tensor", "UserMessages"], exclude: ["README.md"]),

    // Prompts: SentencePiece tokenizers and the text encoders (umT5, Gemma-3).
    .target(name: "Text", dependencies: ["Models", "Tensor", "UserMessages"], exclude: ["README.md"]),

    // Diffusion sampler: pure math over a velocity-model protocol.
    .target(name: "Sampler", exclude: ["README.md"]),

    // Window-aligned chunk plans for render farms (pure frame-range arithmetic).
    .target(name: "RenderFarm", exclude: ["README.md"]),

    // OpenFX glue.
    .target(
        name: "Pipeline", dependencies: [
            "Sampler", "Models", "Text", "Media", "Tensor", "TensorCPU", "TensorVulkan", "UserMessages",
        ],
        exclude: ["README.md"]),
    .target(
        name: "OFXPlugin", dependencies: ["COpenFX", "Pipeline", "UserMessages"], exclude: ["README.md"],
        swiftSettings: [.swiftLanguageMode(.v5)], linkerSettings: pluginLinkerFlags),
    .target(
        name: "OFXHost", dependencies: ["COpenFX", "COFXHostShim", "UserMessages"], exclude: ["README.md"],
        swiftSettings: [.swiftLanguageMode(.v5)]),

    .executableTarget(
        name: "ofx-host", dependencies: ["OFXHost", "VideoIO", "Media", "RenderFarm", "UserMessages", "CommandLineMain", argumentParser],
        swiftSettings: [.swiftLanguageMode(.v5)]),
    .executableTarget(
        name: "omniedit", dependencies: [
            "Pipeline", "RenderFarm", "VideoIO", "Media", "Evaluation", "Sampler", "Tensor", "TensorCPU", "TensorVulkan", "Models", "Text",
            "UserMessages", "CommandLineMain", argumentParser,
        ]),

    .testTarget(name: "SamplerTests", dependencies: ["Sampler"]),
    .testTarget(name: "UserMessagesTests", dependencies: ["UserMessages"]),
    // Naive reference ops + test data shared by the CPU tests and the CPU-vs-Vulkan conformance tests.
    .target(
        name: "TensorTestSupport", dependencies: ["Tensor"], path: "Tests/TensorTestSupport", exclude: ["README.md"]),
    .testTarget(
        name: "TensorTests", dependencies: ["Tensor", "TensorCPU", "TensorTestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "TensorVulkanTests", dependencies: ["Tensor", "TensorCPU", "TensorVulkan"]),
    // One table: every op × every backend (CPU, Vulkan tiled, Vulkan direct) vs the naive references.
    .testTarget(
        name: "BackendConformanceTests", dependencies: ["Tensor", "TensorCPU", "TensorVulkan", "TensorTestSupport"]),
    .testTarget(name: "MediaTests", dependencies: ["Media", "CSndFile"], resources: [.copy("Fixtures")]),
    .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "CFFmpeg"]),
    .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Media", "VideoIO"], exclude: ["Fixtures"]),
    .testTarget(name: "RenderFarmTests", dependencies: ["RenderFarm", "Pipeline"]),
    .testTarget(
        name: "PipelineTests", dependencies: ["Pipeline", "Models", "Text", "Media", "Sampler", "Tensor", "TensorCPU", "VideoIO"],
        exclude: ["Fixtures"]),
    .testTarget(
        name: "ModelsTests", dependencies: ["Models", "Tensor", "TensorCPU", "TensorVulkan"], exclude: ["Fixtures"]),
    .testTarget(
        name: "TextTests", dependencies: ["Text", "Models", "Tensor", "TensorCPU", "TensorVulkan"], exclude: ["Fixtures"]),
    .target(name: "OFXTestSupport", dependencies: ["OFXHost"], path: "Tests/OFXTestSupport", exclude: ["Fixtures"]),
    .testTarget(name: "OFXHostTests", dependencies: ["OFXHost", "OFXTestSupport"]),
    .testTarget(
        name: "EndToEndTests", dependencies: ["OFXHost", "OFXTestSupport", "Models", "VideoIO", "Pipeline"], exclude: ["Fixtures"]),
]

var products: [Product] = [
    .library(name: "OmniEditOFX", type: .dynamic, targets: ["OFXPlugin"]),
    .executable(name: "ofx-host", targets: ["ofx-host"]),
    .executable(name: "omniedit", targets: ["omniedit"]),
]

// Developer convenience: OMNIEDIT_TARGETS=A,B builds only those targets and what they depend on,
// so work on one module is not blocked by another module's half-finished state.
if let only = ProcessInfo.processInfo.environment["OMNIEDIT_TARGETS"], !only.isEmpty {
    var keep = Set(only.split(separator: ",").map(String.init))
    var changed = true
    while changed {
        changed = false
        for t in targets where keep.contains(t.name) {
            for d in t.dependencies {
                if case .byNameItem(let n, _) = d, !keep.contains(n) { keep.insert(n); changed = true }
                if case .targetItem(let n, _) = d, !keep.contains(n) { keep.insert(n); changed = true }
            }
        }
    }
    targets = targets.filter { keep.contains($0.name) }
    products = products.filter { p in
        let names = (p as? Product.Library)?.targets ?? (p as? Product.Executable)?.targets ?? []
        return names.allSatisfy(keep.contains)
    }
}

// libFuzzer harnesses, only when asked for (`make fuzz` sets OMNIEDIT_FUZZ=1 and builds them with
// -sanitize=fuzzer,address; each main hands its input function to libFuzzer's driver). tools/fuzz/README.md.
if ProcessInfo.processInfo.environment["OMNIEDIT_FUZZ"] != nil {
    targets += [
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Sources/FuzzSupport"),
        .executableTarget(name: "fuzz-weights", dependencies: ["Models", "Tensor", "TensorCPU", "FuzzSupport"]),
        .executableTarget(name: "fuzz-audio", dependencies: ["Media", "FuzzSupport"]),
        .executableTarget(name: "fuzz-image", dependencies: ["VideoIO", "FuzzSupport"]),
        .executableTarget(name: "fuzz-jobfile", dependencies: ["OFXHost", "FuzzSupport"]),
    ]
    products += ["fuzz-weights", "fuzz-audio", "fuzz-image", "fuzz-jobfile"].map { .executable(name: $0, targets: [$0]) }
}

// Build tools (GLSL → embedded SPIR-V) are kept whatever OMNIEDIT_TARGETS says: a build-tool
// plugin is a `plugins:` usage, which the filter above does not follow.
targets += [
    .plugin(name: "SPIRVBuild", capability: .buildTool(), dependencies: ["spirv-embed"], path: "tools/SPIRVBuild"),
    .executableTarget(name: "spirv-embed", path: "tools/spirv-embed"),
]

let package = Package(
    name: "OmniEditOFX",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: targets
)
