// swift-tools-version:6.2
// Galley: an editorial workflow server with an offline-first sync core.
import PackageDescription

// One set of compiler settings for every target, so the whole package speaks the same dialect.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The products the targets use, named once.
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdBcrypt = Target.Dependency.product(name: "HummingbirdBcrypt", package: "hummingbird-auth")
let hummingbirdCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let mustache = Target.Dependency.product(name: "Mustache", package: "swift-mustache")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let nioHTTPTypes = Target.Dependency.product(name: "NIOHTTPTypes", package: "swift-nio-extras")
let postgresNIO = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let propertyBased = Target.Dependency.product(name: "PropertyBased", package: "swift-property-based")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")

let package = Package(
    name: "Galley",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "galley-server", targets: ["galley-server"]),
        .executable(name: "galley", targets: ["galley"]),
        .executable(name: "galley-bench", targets: ["galley-bench"]),
        .library(name: "GalleyCore", targets: ["GalleyCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // `traits: []` keeps SwiftPM from writing Hummingbird's trait flags in a random order,
        // which otherwise recompiles all of Hummingbird whenever a file is added (SwiftPM #10525).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        .target(
            name: "GalleyCore",
            dependencies: [crypto],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GalleyStore",
            dependencies: ["GalleyCore", "GalleyMarkdown", grdb],
            swiftSettings: swiftSettings
        ),
        // The archive on PostgreSQL, for several servers on one database (the SQLite archive's twin).
        .target(
            name: "GalleyPostgres",
            dependencies: ["GalleyCore", "GalleyStore", "GalleyMarkdown", postgresNIO, nioCore, nioPosix, nioSSL, logging],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GalleyServer",
            dependencies: ["GalleyCore", "GalleyStore", "GalleyPostgres", "GalleySite", hummingbird, hummingbirdCore, hummingbirdBcrypt, nioCore, nioHTTP1, nioHTTPTypes, serviceLifecycle, crypto, logging, metrics, prometheus, yams],
            resources: [
                // The contract, served at /openapi.yaml; the file lives in Schemas/ (this is a link).
                .embedInCode("Resources/openapi.yaml"),
            ],
            swiftSettings: swiftSettings
        ),
        // GitHub's CommonMark + GFM parser, from Debian, as GRDB takes libsqlite3 from the system.
        .systemLibrary(
            name: "CCmarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .target(
            name: "GalleyMarkdown",
            dependencies: ["CCmarkGFM"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GalleySite",
            dependencies: ["GalleyCore", "GalleyMarkdown", mustache],
            resources: [
                .embedInCode("Templates/layout.mustache"),
                .embedInCode("Templates/article.mustache"),
                .embedInCode("Templates/article-content.mustache"),
                .embedInCode("Templates/desk-article.mustache"),
                .embedInCode("Templates/list.mustache"),
                .embedInCode("Templates/style.css"),
                .embedInCode("Templates/desk-layout.mustache"),
                .embedInCode("Templates/desk-login.mustache"),
                .embedInCode("Templates/desk-queue.mustache"),
                .embedInCode("Templates/desk-error.mustache"),
                .embedInCode("Templates/desk-admin.mustache"),
                .embedInCode("Templates/desk-audit.mustache"),
                .embedInCode("Templates/desk.css"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GalleyClient",
            dependencies: ["GalleyCore", "GalleyStore", "GalleySite", asyncHTTPClient, nioCore, nioHTTP1, nioPosix, logging, yams],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "galley-server",
            dependencies: ["GalleyCore", "GalleyStore", "GalleyPostgres", "GalleyServer", argumentParser, hummingbird, logging, metrics, prometheus],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "galley",
            dependencies: ["GalleyCore", "GalleyClient", "GalleySite", argumentParser],
            path: "ClientCLI",
            swiftSettings: swiftSettings,
            // Every command is a new process: the Swift runtime looks itself up with dladdr at
            // start, a walk over every exported symbol, and with --static-swift-stdlib the
            // toolchain exports all of them (38,000). Nothing loads into galley or looks into it.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"])]
        ),
        .executableTarget(
            name: "galley-bench",
            dependencies: ["GalleyCore", grdb, asyncHTTPClient, nioCore, nioHTTP1, "GalleyStore", "GalleyPostgres", "GalleyServer", "GalleyClient", "GalleyMarkdown", "GalleySite", argumentParser],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GalleyCoreTests",
            dependencies: ["GalleyCore", "GalleyTestSupport", propertyBased],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GalleyMarkdownTests",
            dependencies: ["GalleyMarkdown", "GalleyTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GalleySiteTests",
            dependencies: ["GalleyCore", "GalleySite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GalleyStoreTests",
            dependencies: ["GalleyCore", "GalleyStore", "GalleyPostgres", "GalleyTestSupport", grdb],
            swiftSettings: swiftSettings
        ),
        // Helpers the tests share: the built executables as processes, scratch folders, a seeded generator.
        .target(
            name: "GalleyTestSupport",
            dependencies: ["GalleyStore", "GalleyPostgres", logging],
            path: "Tests/GalleyTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GalleyServerTests",
            dependencies: [
                "GalleyCore", "GalleyStore", "GalleyPostgres", "GalleyServer", "GalleyTestSupport", hummingbird, hummingbirdTesting, logging, nioHTTP1, yams,
                .product(name: "NIOEmbedded", package: "swift-nio"), nioCore, nioHTTPTypes,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GalleyClientTests",
            dependencies: ["GalleyCore", "GalleyStore", "GalleyPostgres", "GalleyClient", "GalleySite", "GalleyServer", "GalleyTestSupport", hummingbird, hummingbirdTesting, asyncHTTPClient, nioCore, logging, propertyBased],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
