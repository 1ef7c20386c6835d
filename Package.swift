// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "mariadb-migrate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mariadb-migrate", targets: ["mariadb-migrate"]),
        // The pure parsers, for the libFuzzer targets in Fuzz/ (a package of its own: libFuzzer brings its main).
        .library(
            name: "MariaDBMigrateParsers",
            targets: ["BackupEngine", "RestoreEngine", "Accounts", "MariaDBClient", "Runbook", "Dump", "Replication"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries, each behind a one-line module map.
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBZip2", providers: [.apt(["libbz2-dev"])]),  // libbz2 ships no .pc file
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        // Typed wrappers for variadic and macro APIs (curl_easy_setopt, deflateInit2, el_set).
        .target(name: "CShims", dependencies: ["CCurl", "CZlib", "CEdit"]),
        // The version, written once, and the commit a packaged build records.
        .target(name: "CBuildInfo"),
        .target(name: "BuildInfo", dependencies: ["CBuildInfo"]),

        // One Swift module per C library.
        .target(name: "Blocking"),
        .target(name: "AtomicFile"),
        .target(name: "MariaDBClient", dependencies: ["CMariaDB", "Blocking"]),
        .target(name: "HTTPTransport", dependencies: ["CCurl", "CShims", "Blocking"]),
        .target(name: "Hashing", dependencies: ["COpenSSL", "CIsal"]),
        .target(name: "Compression", dependencies: ["CZlib", "CBZip2", "CIsal", "CShims", "Hashing"]),
        .target(name: "Terminal", dependencies: ["CEdit", "CShims", "UTCTime"]),

        // Pure cores.
        .target(name: "UTCTime"),
        .target(name: "SigV4", dependencies: ["Hashing", "UTCTime"]),
        .target(name: "Dump", dependencies: ["MariaDBClient", "Blocking"]),
        .target(name: "BackupEngine", dependencies: ["Compression", "UTCTime", "Dump", "ObjectStore", "Hashing", "MariaDBClient", "Blocking", "BuildInfo"]),
        .target(name: "ObjectStore", dependencies: ["SigV4", "HTTPTransport", "Hashing", "UTCTime", "Blocking"]),

        // Engines and commands.
        .target(name: "Preflight", dependencies: ["MariaDBClient", "Dump"]),
        .target(name: "RestoreEngine", dependencies: ["AtomicFile", "Preflight", "BackupEngine", "Compression", "Dump", "ObjectStore", "Hashing", "MariaDBClient", "Blocking", "UTCTime"]),
        .target(name: "Verification", dependencies: ["MariaDBClient"]),
        .target(name: "Replication", dependencies: ["AtomicFile", "MariaDBClient", "Preflight", "BackupEngine", "ObjectStore", "UTCTime", "Verification"]),
        .target(name: "Manifests", dependencies: ["AtomicFile", "MariaDBClient", "ObjectStore", "Preflight", "BackupEngine", "Dump", "Hashing", "UTCTime", .product(name: "Yams", package: "Yams")]),
        .target(name: "Runbook", dependencies: ["AtomicFile", .product(name: "Yams", package: "Yams")]),
        // What the commands and the wizard both draw: progress meters wired to the engines, the cutover display.
        .target(name: "Presentation", dependencies: ["BackupEngine", "RestoreEngine", "Replication", "Terminal"]),
        .target(name: "Accounts", dependencies: ["Manifests", "MariaDBClient", "Hashing", "Dump"]),
        .target(
            name: "RunbookActions",
            dependencies: ["Runbook", "Accounts", "BackupEngine", "Compression", "Dump", "Manifests", "MariaDBClient", "ObjectStore", "Preflight", "Replication",
                           "RestoreEngine", "Terminal", "UTCTime", "Verification", "Presentation"]
        ),
        .target(
            name: "MigrateCommands",
            dependencies: [
                "MariaDBClient", "Preflight", "Terminal", "ObjectStore", "Blocking", "BackupEngine", "Dump", "Compression", "UTCTime", "RestoreEngine", "Verification", "Manifests", "Accounts",
                "Runbook", "RunbookActions", "Replication", "Presentation", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "mariadb-migrate", dependencies: ["MigrateCommands", "CShims"]),

        // Tests.
        .target(name: "TestSupport", dependencies: ["MariaDBClient", "HTTPTransport"], path: "Tests/TestSupport"),
        .testTarget(name: "MariaDBClientTests", dependencies: ["MariaDBClient", "TestSupport"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "Hashing"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport", "Hashing", "TestSupport"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "BackupEngineTests", dependencies: ["BackupEngine", "Dump", "Compression", "UTCTime", "ObjectStore", "MariaDBClient", "Hashing", "TestSupport"]),
        .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "Hashing", "SigV4", "UTCTime", "HTTPTransport", "TestSupport"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "UTCTime", "HTTPTransport", "Hashing", "TestSupport"]),
        .testTarget(name: "RestoreEngineTests", dependencies: ["RestoreEngine", "Manifests", "BackupEngine", "Dump", "Compression", "UTCTime", "ObjectStore", "MariaDBClient", "Hashing", "Verification", "TestSupport", "Blocking", "Preflight"]),
        .testTarget(name: "RunbookTests", dependencies: ["Runbook", "RunbookActions"]),
        .testTarget(name: "RunbookActionsTests", dependencies: ["RunbookActions", "Runbook", "Terminal", "UTCTime"]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "Preflight", "MariaDBClient", "TestSupport"]),
        .testTarget(name: "PreflightTests", dependencies: ["Preflight", "Dump", "MariaDBClient", "TestSupport"]),
        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "TestSupport"]),
        .testTarget(
            name: "AccountsTests",
            dependencies: ["Accounts", "Dump", "Manifests", "MariaDBClient", "RestoreEngine", "Verification", "TestSupport"]),
        .testTarget(name: "MigrateCommandsTests", dependencies: ["MigrateCommands", "Dump", .product(name: "ArgumentParser", package: "swift-argument-parser"), "Preflight", "TestSupport", "ObjectStore", "HTTPTransport", "Manifests", "MariaDBClient", "Replication", "Runbook", "RunbookActions"]),
    ],
    swiftLanguageModes: [.v6]
)
