// swift-tools-version:6.0
import PackageDescription

// Layers, dependencies pointing one way:
//   C shims (CICU, CXML, CZip, CSupport, CKernels, COpenBLAS, CGLPK)
//   -> NTPFormats (npy/npz, the data-set type and its entropy, atomic files, the clock) [no text]
//   -> NTPCorpus  (readers, tokenizers, vocabulary, context counting)
//   -> NTPCore    (embeddings, loss, optimizers, theory solvers, diagnostics) [never imports NTPCorpus]
//   -> NTPReport  (the work behind each command: reports, figures, the analysis) [with NTPCorpus, NTPPlot]
//   -> ntpsep     (thin commands: options, one library call, print)

// Every library and the executable are checked in Swift 6 mode (strict concurrency: data races are
// compile errors); the test targets stay in the package-wide mode 5.
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
        .library(name: "NTPReport", targets: ["NTPReport"]),
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
        // The work behind each command, and the reports and figures. It imports NTPCorpus because
        // `analyze` counts a corpus and reports its CorpusStatistics.
        .target(name: "NTPReport", dependencies: ["NTPFormats", "NTPCorpus", "NTPCore", "NTPPlot", "CSupport"],
                swiftSettings: swift6),
        .executableTarget(name: "ntpsep", dependencies: [
            "NTPReport", "NTPFormats", "NTPCorpus", "NTPCore", "CSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swift6),

        // libFuzzer harnesses: scripts/fuzz.sh builds them with -sanitize=fuzzer,address -DFUZZING;
        // a normal build makes `ntpsep-fuzz TARGET FILE…`, which replays inputs.
        .executableTarget(name: "NTPFuzz", dependencies: ["NTPFormats", "NTPCorpus"], swiftSettings: swift6),

        // Fixtures shared by the test targets: temporary folders, data sets from supports, python3.
        .target(name: "TestSupport", dependencies: ["NTPFormats"], path: "Tests/TestSupport"),
        .testTarget(name: "NTPFormatsTests", dependencies: ["NTPFormats", "TestSupport"]),
        .testTarget(name: "NTPCorpusTests", dependencies: ["NTPCorpus", "NTPFormats", "TestSupport"]),
        .testTarget(name: "NTPCoreTests", dependencies: ["NTPCore", "NTPFormats", "TestSupport"]),
        .testTarget(name: "NTPPlotTests", dependencies: ["NTPPlot"]),
        .testTarget(name: "NTPReportTests", dependencies: ["NTPReport", "NTPCore", "NTPFormats", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["ntpsep", "NTPFormats", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
