import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct ScanCommandTests {
    @Test func aStandardDumpIsFlaggedAndAGaleraBackupIsClean() throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("scan")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY); INSERT INTO \(database).t "
                + "VALUES (1);"
        )
        defer { try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(database)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // What the runbook of the docs dumps: every database, the privilege tables with them.
        let standard = dir.appendingPathComponent("standard.sql.bz2").path
        let dump = try CLI.shell(
            "mariadb-dump --no-defaults -h127.0.0.1 -P\(try env["MM_TEST_MARIADB_PORT"]) -uroot --all-databases "
                + "| bzip2 > \(standard)", environment: ["MYSQL_PWD": env.rootPassword])
        #expect(dump.status == 0, "\(dump.stderr)")
        let flagged = try CLI.run(["scan", standard, "--json"])
        #expect(flagged.status == 1, "\(flagged.stderr)")
        #expect(
            flagged.stdout.contains("\"check\" : \"privilege-tables\"") && flagged.stdout.contains("mysql.global_priv"))
        #expect(flagged.stdout.contains("\"check\" : \"lock-tables\""))
        #expect(flagged.stdout.contains("\"compression\" : \"bzip2\""))

        // The same piped in.
        let piped = try CLI.shell("bzip2 -dc \(standard) | \(try CLI.binary.path) scan -")
        #expect(piped.status == 1 && piped.stdout.contains("BLOCKER privilege-tables"), "\(piped.stdout)")

        // A backup taken with the Galera rules, read from the directory store by its name.
        let store = dir.appendingPathComponent("store").path
        let backup = try CLI.run(
            [
                "backup", "--galera", "--database", database, "--storage-dir", store, "--json", "--host", "127.0.0.1",
                "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
            ], environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(backup.status == 0, "\(backup.stderr)")
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: store).first { $0.hasSuffix(".sql.gz") })
        let clean = try CLI.run(["scan", name, "--storage-dir", store])
        #expect(clean.status == 0 && clean.stdout.contains("nothing that breaks Galera"), "\(clean.stdout)")
    }
}
