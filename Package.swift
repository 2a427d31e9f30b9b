// swift-tools-version:6.0
import PackageDescription

// Layers, dependencies pointing one way:
//   C shims (CICU, CXML, CZip, CSupport, CKernels, COpenBLAS, CGLPK)
//   -> NTPFormats (npy/npz, the data-set type and its entropy, atomic files, the clock) [no text]
//   -> NTPCorpus  (readers, tokenizers, vocabulary, context counting)
//   -> NTPCore    (embeddings, loss, optimizers, theory solvers, diagnostics) [never imports NTPCorpus]
//   -> ntpsep     (thin commands)

// The library targets are checked in Swift 6 mode (strict concurrency: data races are compile errors).
// The package-wide mode below stays 5 until the command layer is converted too.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "ntpsep",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ntpsep", targets: ["ntpsep"]),
        .executable(name: "ntpsep-fuzz", targets: ["NTPFuzz"]),
        .library(name: "NTPFormats", targets: ["NTPFormats"]),
        .library(name: "NTPCorpus", targets: ["NTPCorpus"]),
        .library(name: "NTPCore", targets: ["NTPCore"]),
        .library(name: "NTPPlot", targets: ["NTPPlot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries. Swift never imports CLibXML2 (its headers pull in ICU); only CXML's .c file does.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CGLPK", providers: [.apt(["libglpk-dev"])]),

        // C shims whose public headers contain no ICU/libxml2 types.
        .target(name: "CICU",
                linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n"), .linkedLibrary("icudata")]),
        .target(name: "CXML", dependencies: ["CLibXML2"]),
        .target(name: "CSupport"),
        // Hot loss kernels (softmax, exp, sparse tiles), runtime-dispatched AVX-512 / AVX2 / baseline.
        .target(name: "CKernels"),
        .target(name: "CZip",
                linkerSettings: [.linkedLibrary("z"), .linkedLibrary("bz2")]),

        .target(name: "NTPFormats", dependencies: ["CZip", "CSupport"], swiftSettings: swift6),
        .target(name: "NTPCorpus", dependencies: ["NTPFormats", "CICU", "CXML", "CSupport"], swiftSettings: swift6),
        .target(name: "NTPCore", dependencies: ["NTPFormats", "COpenBLAS", "CGLPK", "CKernels"], swiftSettings: swift6),
        .target(name: "NTPPlot", swiftSettings: swift6),
        .executableTarget(name: "ntpsep", dependencies: [
            "NTPFormats", "NTPCorpus", "NTPCore", "NTPPlot", "CSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // libFuzzer harnesses: scripts/fuzz.sh builds them with -sanitize=fuzzer,address -DFUZZING;
        // a normal build makes `ntpsep-fuzz TARGET FILE…`, which replays inputs.
        .executableTarget(name: "NTPFuzz", dependencies: ["NTPFormats", "NTPCorpus"], swiftSettings: swift6),

        .testTarget(name: "NTPFormatsTests", dependencies: ["NTPFormats"]),
        .testTarget(name: "NTPCorpusTests", dependencies: ["NTPCorpus", "NTPFormats"]),
        .testTarget(name: "NTPCoreTests", dependencies: ["NTPCore", "NTPFormats"]),
        .testTarget(name: "NTPPlotTests", dependencies: ["NTPPlot"]),
        .testTarget(name: "CLITests", dependencies: ["ntpsep", "NTPFormats"]),
    ],
    swiftLanguageModes: [.v5]
)
