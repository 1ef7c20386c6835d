import Foundation
import MariaDBClient
import TestSupport
import Testing

@testable import Preflight

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct PreflightServerTests {
    @Test func aMyISAMTableAndATableWithoutAPrimaryKeyAreBlockersForGalera() async throws {
        let env = try TestEnvironment.require()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let name = TestEnvironment.uniqueName("pf")
        try await source.execute([
            "CREATE DATABASE `\(name)`",
            "CREATE TABLE `\(name)`.ok (id INT PRIMARY KEY) ENGINE=InnoDB",
            "CREATE TABLE `\(name)`.legacy (id INT PRIMARY KEY) ENGINE=MyISAM",
            "CREATE TABLE `\(name)`.nokey (a INT, b INT) ENGINE=InnoDB",
            "CREATE DEFINER = 'gone'@'%' VIEW `\(name)`.v AS SELECT 1 AS one",
            "CREATE EVENT `\(name)`.nightly ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1",
            "CREATE SEQUENCE `\(name)`.tickets START WITH 100 INCREMENT BY 5 CACHE 10",
            "CREATE SEQUENCE `\(name)`.galera_ready INCREMENT BY 0",
        ])
        defer { Task { _ = try? await source.query("DROP DATABASE `\(name)`") } }

        let facts = try await PreflightFacts.read(from: source, databases: [name])
        #expect(facts.tables.map(\.name) == ["legacy", "nokey", "ok"])
        #expect(facts.tables.map(\.hasPrimaryKey) == [true, false, true])
        #expect(
            facts.sequences == [
                .init(schema: name, name: "galera_ready", cacheSize: 1000, increment: 0),
                .init(schema: name, name: "tickets", cacheSize: 10, increment: 5),
            ])

        let run = try CLI.run(
            [
                "preflight", "--target", "galera", "--database", name, "--json", "--host", "127.0.0.1",
                "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
            ], environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(run.status == 1, "\(run.stderr)")
        let report = try JSONDecoder().decode(PreflightJob.Report.self, from: Data(run.stdout.utf8))
        #expect(
            report.findings.map { "\($0.severity.rawValue) \($0.check)" } == [
                "blocker no-primary-key", "blocker non-innodb", "blocker sequence-cache", "warning definer",
                "warning events",
            ])
        #expect(report.findings[0].objects == ["\(name).nokey"])
        #expect(
            report.findings[1].fix == "ALTER TABLE `\(name)`.`legacy` ENGINE=InnoDB; (or leave the source as it is and "
                + "fix it in the dump: --fix innodb)")
        #expect(report.findings[2].objects == ["\(name).tickets (cache 10, increment 5)"])
        #expect(report.findings[3].objects == ["view \(name).v (DEFINER gone@%)"])

        // No versioned table here: no history finding.
        #expect(facts.versionedTables.isEmpty && facts.transactionPreciseTables.isEmpty)

        let standalone = try CLI.run(
            [
                "preflight", "--target", "standalone", "--database", name, "--host", "127.0.0.1",
                "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
            ], environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(standalone.status == 0 && standalone.stdout.contains("0 blockers, 1 warning"), "\(standalone.stdout)")
    }

    /// A versioned table with implicit period columns (not listed in COLUMNS) and a transaction-precise one.
    @Test func versionedTablesAndTheirKindOfHistoryAreRead() async throws {
        let env = try TestEnvironment.require()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let name = TestEnvironment.uniqueName("pfhist")
        try await source.execute([
            "CREATE DATABASE `\(name)`",
            "CREATE TABLE `\(name)`.audit (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
            "CREATE TABLE `\(name)`.ledger (id INT PRIMARY KEY, s BIGINT UNSIGNED AS ROW START INVISIBLE, "
                + "e BIGINT UNSIGNED AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(s, e)) WITH SYSTEM VERSIONING",
            "CREATE TABLE `\(name)`.plain (id INT PRIMARY KEY)",
        ])
        defer { Task { _ = try? await source.query("DROP DATABASE `\(name)`") } }
        let facts = try await PreflightFacts.read(from: source, databases: [name])
        #expect(facts.versionedTables == ["\(name).audit", "\(name).ledger"])
        #expect(facts.transactionPreciseTables == ["\(name).ledger"])
    }
}
