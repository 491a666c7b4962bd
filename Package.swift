// swift-tools-version:6.1
import PackageDescription

/// Modules follow the data flow: model files → tokenizer → engine → (ingest) → store → analyses → report → CLI.
/// The store is the file format alone (readable without a model); ingest runs the engine and writes to it.
/// A lower module never imports a higher one.
let optimize: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
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

        .target(name: "PolylensModel",
                dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimize),
        .target(name: "PolylensTokenizer", dependencies: ["PolylensModel"], swiftSettings: optimize),
        .target(name: "PolylensEngine", dependencies: ["PolylensModel", "PolylensTokenizer", "CBLAS"],
                swiftSettings: optimize),
        .target(name: "PolylensStore",
                dependencies: ["PolylensModel", "CLZ4", "CZlib", "CSQLite", .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimize, plugins: ["EmbedSchema"]),
        .target(name: "PolylensIngest",
                dependencies: ["PolylensStore", "PolylensEngine", "PolylensTokenizer", "PolylensModel",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimize),
        .target(name: "PolylensAnalysis", dependencies: ["PolylensModel", "PolylensStore", "PolylensEngine", "PolylensTokenizer", "CBLAS"],
                swiftSettings: optimize),
        .target(name: "PolylensReport", dependencies: ["PolylensModel", "PolylensAnalysis", "PolylensStore"],
                swiftSettings: optimize),
        .executableTarget(name: "polylens",
                          dependencies: ["PolylensModel", "PolylensTokenizer", "PolylensEngine",
                                         "PolylensStore", "PolylensIngest", "PolylensAnalysis", "PolylensReport",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: optimize),

        .testTarget(name: "PolylensModelTests", dependencies: ["PolylensModel"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensTokenizerTests", dependencies: ["PolylensTokenizer"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensEngineTests", dependencies: ["PolylensEngine"]),
        .testTarget(name: "PolylensStoreTests", dependencies: ["PolylensStore"]),
        .testTarget(name: "PolylensIngestTests", dependencies: ["PolylensIngest"]),
        .testTarget(name: "PolylensAnalysisTests", dependencies: ["PolylensAnalysis"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PolylensReportTests", dependencies: ["PolylensReport"]),
        .testTarget(name: "polylensTests", dependencies: ["polylens"]),
    ],
    swiftLanguageModes: [.v5]
)
