// swift-tools-version: 6.1
// libFuzzer targets for the parsers that read what users and servers hand us. Built and run by
// scripts/fuzz (-sanitize=fuzzer,address); not part of the main build, since libFuzzer brings main().
import PackageDescription

let targets = [
    "fuzz-backup-name", "fuzz-cron", "fuzz-duration", "fuzz-sql-splitter", "fuzz-account-statements",
    "fuzz-dump-scanner", "fuzz-option-file", "fuzz-runbook", "fuzz-answers", "fuzz-gtid",
    "fuzz-xbstream",
]

let package = Package(
    name: "mariadb-migrate-fuzz",
    dependencies: [.package(name: "mariadb-migrate", path: "..")],
    targets: [.target(name: "FuzzDriver")]
        + targets.map { name in
            .executableTarget(
                name: name,
                dependencies: ["FuzzDriver", .product(name: "MariaDBMigrateParsers", package: "mariadb-migrate")],
                path: "Sources/\(name)")
        },
    swiftLanguageModes: [.v6]
)
