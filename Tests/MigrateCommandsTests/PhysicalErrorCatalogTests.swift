import Foundation
import TestSupport
import Testing

/// docs/errors.md's physical-route rows: each case made, the tool run as users run it.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct PhysicalErrorCatalogTests {
    let env: TestEnvironment
    let dir: String

    init() throws {
        env = try TestEnvironment.require()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("perrors-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/store", withIntermediateDirectories: true)
    }

    var source: [String] {
        get throws { ["--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root"] }
    }
    var password: [String: String] { ["MARIADB_PASSWORD": env.rootPassword] }

    @Test func theDataDirectoryMustBeReadableHere() throws {
        ErrorCatalog.expect(
            "physical-datadir-unreadable",
            try CLI.run(
                ["backup", "--physical", "--datadir", "/nonexistent/data", "--storage-dir", dir + "/store"] + source,
                environment: password))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/store").isEmpty)
    }

    @Test func mariadbBackupMustBeOfTheServersVersion() throws {
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'mariadb-backup based on MariaDB server 10.6.21-MariaDB Linux (x86_64)' >&2\n".write(
            toFile: bin + "/mariadb-backup", atomically: true, encoding: .utf8)
        chmod(bin + "/mariadb-backup", 0o755)
        var environment = password
        environment["PATH"] = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
        ErrorCatalog.expect(
            "physical-tool-version",
            try CLI.run(["backup", "--physical", "--storage-dir", dir + "/store"] + source, environment: environment))
    }

    @Test func theAccountNeedsTheBackupPrivileges() throws {
        let name = TestEnvironment.uniqueName("pphys")
        let port = try env["MM_TEST_MARIADB_PORT"]
        try sql(
            env, port: port,
            "CREATE USER \(name)@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO \(name)@'127.0.0.1'")
        defer { try? sql(env, port: port, "DROP USER \(name)@'127.0.0.1'") }
        ErrorCatalog.expect(
            "physical-privileges",
            try CLI.run(
                [
                    "backup", "--physical", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", port,
                    "--user", name,
                ], environment: ["MARIADB_PASSWORD": "pw"]))
    }

    /// On the target server: the shared source must stay fit for the physical tests that run meanwhile.
    @Test func aBacktickInANonInnoDBTablesNameIsRefusedFirst() throws {
        let name = TestEnvironment.uniqueName("ptick")
        let port = try env["MM_TEST_TARGET_PORT"]
        try sql(env, port: port, "CREATE DATABASE \(name); CREATE TABLE \(name).`we``ird` (id INT) ENGINE=Aria")
        defer { try? sql(env, port: port, "DROP DATABASE \(name)") }
        ErrorCatalog.expect(
            "physical-backtick-name",
            try CLI.run(
                [
                    "backup", "--physical", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", port,
                    "--user", "root",
                ], environment: password))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/store").isEmpty)
    }

    @Test func aPhysicalBackupHoldsEveryDatabase() throws {
        ErrorCatalog.expect("physical-with-database", try CLI.run(["backup", "--physical", "--database", "shop"]))
    }

    @Test func aPhysicalRestoreNeedsADataDirectory() throws {
        ErrorCatalog.expect("physical-restore-needs-datadir", try CLI.run(["restore", "--physical"]))
    }

    @Test func theDataDirectoryMustBeEmpty() throws {
        FileManager.default.createFile(atPath: dir + "/store/physicalbackup-20240826122434.xb", contents: Data())
        try FileManager.default.createDirectory(atPath: dir + "/data/mysql", withIntermediateDirectories: true)
        ErrorCatalog.expect(
            "physical-datadir-not-empty",
            try CLI.run(["restore", "--physical", "--storage-dir", dir + "/store", "--datadir", dir + "/data"]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/data") == ["mysql"])
    }

    @Test func aLogicalBackupIsNotRestoredPhysically() throws {
        FileManager.default.createFile(atPath: dir + "/store/backup.2024-08-26T12:24:34Z.sql", contents: Data())
        ErrorCatalog.expect(
            "not-a-physical-backup",
            try CLI.run(
                [
                    "restore", "--physical", "--storage-dir", dir + "/store", "--file",
                    "backup.2024-08-26T12:24:34Z.sql",
                    "--datadir", dir + "/data",
                ]))
        ErrorCatalog.expect(
            "no-physical-backups",
            try CLI.run(["restore", "--physical", "--storage-dir", dir + "/store", "--datadir", dir + "/data"]))
    }

    /// A stream cut short (no manifest to catch it): mbstream or the scanner stops it before
    /// anything reaches the data directory.
    @Test func aCutStreamNeverReachesTheDataDirectory() throws {
        let backup = try CLI.run(
            ["backup", "--physical", "--compression", "none", "--storage-dir", dir + "/full"] + source,
            environment: password)
        #expect(backup.status == 0, "\(backup.stderr)")
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/full").first { $0.hasSuffix(".xb") })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/full/" + name))
        FileManager.default.createFile(atPath: dir + "/store/" + name, contents: bytes.prefix(bytes.count / 2))
        ErrorCatalog.expect(
            "physical-stream-cut",
            try CLI.run(["restore", "--physical", "--storage-dir", dir + "/store", "--datadir", dir + "/data"]))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir + "/data"))?.isEmpty ?? true)
    }

    /// The live source (scripts/test-env) has no root@'%'.
    @Test func aPhysicalBootstrapNeedsBothRootAccounts() throws {
        ErrorCatalog.expect(
            "physical-root-accounts",
            try CLI.run(
                [
                    "manifests", "--physical", "--volume-claim", "backups", "--stdout", "--secrets", "reference",
                    "--host", "127.0.0.1", "--port", try env["MM_TEST_LIVE_PORT"], "--user", "root",
                ],
                environment: password))
    }
}
