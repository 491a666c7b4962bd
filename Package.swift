// swift-tools-version:6.1
import PackageDescription

/// Modules follow the data flow: model files → tokenizer → engine → (ingest) → store → analyses → report → CLI.
/// The store is the file format alone (readable without a model); ingest runs the engine and writes to it.
/// A lower module never imports a higher one. Each target declares exactly the modules it imports
/// (tools/check_package_deps.py checks it; SwiftPM alone would accept an import reached through another target).
/// -Ounchecked only where it pays: the engine's numeric kernels. Every module that parses bytes from files
/// (model, tokenizer, store) or handles their contents keeps Swift's checks, so a bounds check missed in a
/// parser traps instead of reading out of bounds (README, "Hostile inputs" has the same-run benchmarks).
let kernels: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]
let checked: [SwiftSetting] = [
    .unsafeFlags(["-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "Polylens",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "polylens", targets: ["polylens"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLZ4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),

        // Schema/*.sql embedded in the binary at build time.
        .executableTarget(name: "EmbedSchemaTool"),
        .plugin(name: "EmbedSchema", capability: .buildTool(), dependencies: ["EmbedSchemaTool"]),

        .target(name: "PolylensModel", swiftSettings: checked),
        .target(name: "PolylensTokenizer", dependencies: ["PolylensModel"], swiftSettings: checked),
        .target(name: "PolylensEngine", dependencies: ["PolylensModel", "PolylensTokenizer", "CBLAS"],
                swiftSettings: kernels),
        .target(name: "PolylensStore",
                dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine", "CLZ4", "CZlib", "CSQLite",
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "GRDBSQLite", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: checked, plugins: ["EmbedSchema"]),
        .target(name: "PolylensIngest",
                dependencies: ["PolylensStore", "PolylensEngine", "PolylensTokenizer", "PolylensModel",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: checked),
        .target(name: "PolylensAnalysis", dependencies: ["PolylensModel", "PolylensStore", "PolylensEngine", "PolylensTokenizer", "CBLAS"],
                swiftSettings: checked),
        .target(name: "PolylensReport", dependencies: ["PolylensModel", "PolylensAnalysis", "PolylensEngine", "PolylensStore", "PolylensTokenizer"],
                swiftSettings: checked),
        .executableTarget(name: "polylens",
                          dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine",
                                         "PolylensStore", "PolylensIngest", "PolylensAnalysis", "PolylensReport",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: checked),

        .testTarget(name: "PolylensModelTests", dependencies: ["PolylensModel"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensTokenizerTests", dependencies: ["PolylensModel", "PolylensTokenizer"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensEngineTests", dependencies: ["PolylensEngine", "PolylensModel", "PolylensTokenizer"]),
        .testTarget(name: "PolylensStoreTests", dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine", "PolylensStore",
                                                            .product(name: "GRDB", package: "GRDB.swift"),
                                                            .product(name: "Crypto", package: "swift-crypto")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensIngestTests", dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine",
                                                             "PolylensStore", "PolylensIngest",
                                                             .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PolylensAnalysisTests", dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine",
                                                               "PolylensStore", "PolylensAnalysis"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensReportTests", dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine", "PolylensStore",
                                                             "PolylensAnalysis", "PolylensReport",
                                                             .product(name: "GRDB", package: "GRDB.swift")]),
        // Depends on the executable to have it built: the tests run it as a process.
        .testTarget(name: "polylensTests", dependencies: ["polylens", "PolylensModel", "PolylensTokenizer", "PolylensEngine",
                                                        "PolylensStore", "PolylensIngest", "PolylensAnalysis",
                                                        .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v5]
)
