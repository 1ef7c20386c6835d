import Foundation
import MariaDBClient
import TestSupport
import Testing

/// Issue #33: the history of timestamp-versioned tables travels in a logical backup by default, for this tool's
/// restore and for the operator's `mariadb < file` alike; `--no-history` and a transaction-precise table leave
/// it out, saying so.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"), .serialized)
struct HistoryTests {
    /// Every row of every version, with its row start and end, in a stable order.
    static let allVersions = [
        "plain": "SELECT id, v, row_start, row_end FROM %@.plain FOR SYSTEM_TIME ALL ORDER BY id, row_start",
        "explicit": "SELECT id, v, rs, re FROM %@.explicit FOR SYSTEM_TIME ALL ORDER BY id, rs",
        "parted": "SELECT id, v, row_start, row_end FROM %@.parted FOR SYSTEM_TIME ALL ORDER BY id, row_start",
    ]

    func makeSource(_ env: TestEnvironment, _ db: String, transactionPrecise: Bool = false) async throws
        -> MariaDBConnection
    {
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        try await fill(source, db, transactionPrecise: transactionPrecise)
        return source
    }

    /// Versioned tables (plain, explicit period columns, partitioned by SYSTEM_TIME) with history from several
    /// updates and a delete; with `transactionPrecise`, a transaction-precise table beside them.
    func fill(_ source: MariaDBConnection, _ db: String, transactionPrecise: Bool = false) async throws {
        var statements = [
            "CREATE DATABASE `\(db)`",
            "CREATE TABLE `\(db)`.plain (id INT PRIMARY KEY, v VARCHAR(10)) WITH SYSTEM VERSIONING",
            "CREATE TABLE `\(db)`.explicit (id INT PRIMARY KEY, v INT, rs TIMESTAMP(6) AS ROW START INVISIBLE, "
                + "re TIMESTAMP(6) AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
            "CREATE TABLE `\(db)`.parted (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING "
                + "PARTITION BY SYSTEM_TIME (PARTITION p_hist HISTORY, PARTITION p_cur CURRENT)",
        ]
        for table in ["plain", "explicit", "parted"] {
            let value = table == "plain" ? "'one'" : "1"
            statements += [
                "INSERT INTO `\(db)`.\(table) (id, v) VALUES (1, \(value)), (2, \(value)), (3, \(value))",
                "UPDATE `\(db)`.\(table) SET v = \(table == "plain" ? "'two'" : "2") WHERE id = 1",
                "UPDATE `\(db)`.\(table) SET v = \(table == "plain" ? "'three'" : "3") WHERE id = 1",
                "DELETE FROM `\(db)`.\(table) WHERE id = 2",
            ]
        }
        if transactionPrecise {
            statements.append(
                "CREATE TABLE `\(db)`.ledger (id INT PRIMARY KEY, s BIGINT UNSIGNED AS ROW START INVISIBLE, "
                    + "e BIGINT UNSIGNED AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(s, e)) WITH SYSTEM VERSIONING")
        }
        try await source.execute(statements)
    }

    func rows(_ connection: MariaDBConnection, _ query: String, _ db: String) async throws -> [String] {
        try await connection.query(query.replacingOccurrences(of: "%@", with: "`\(db)`")).rows.map { row in
            row.values.map { $0.string ?? "NULL" }.joined(separator: "|")
        }
    }

    func backup(_ env: TestEnvironment, _ db: String, into dir: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(
            ["backup", "--database", db, "--storage-dir", dir, "--host", "127.0.0.1", "--port",
             try env["MM_TEST_MARIADB_PORT"], "--user", "root"] + extra,
            environment: ["MARIADB_PASSWORD": env.rootPassword])
    }

    /// This tool's restore of the backup in `dir` into the target.
    func restore(_ env: TestEnvironment, from dir: String) throws -> CLI.Result {
        try CLI.run(
            ["restore", "--storage-dir", dir, "--host", "127.0.0.1", "--port", try env["MM_TEST_TARGET_PORT"],
             "--user", "root"], environment: ["MARIADB_PASSWORD": env.rootPassword])
    }

    /// Drops the test's database on both servers (after the test, in the background) and removes its store.
    func cleanUp(_ db: String, on connections: [MariaDBConnection], dir: String) {
        try? FileManager.default.removeItem(atPath: dir)
        Task { for connection in connections { _ = try? await connection.query("DROP DATABASE IF EXISTS `\(db)`") } }
    }

    /// `verify` of database `db` between the test servers.
    func verify(_ env: TestEnvironment, _ db: String, _ extra: [String]) throws -> CLI.Result {
        try CLI.run(
            ["verify", "--database", db, "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"],
             "--user", "root", "--target-host", "127.0.0.1", "--target-port", try env["MM_TEST_TARGET_PORT"],
             "--target-user", "root"] + extra,
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword])
    }

    /// Restored by this tool and by `mariadb < file`: every version of every row, and AS OF a past time, as on
    /// the source.
    @Test(arguments: ["restore", "mariadb < file"])
    func theHistoryTravels(way: String) async throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("hist")
        let source = try await makeSource(env, db)
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-hist-\(UUID().uuidString)").path
        defer { cleanUp(db, on: [source, target], dir: dir) }
        let made = try backup(env, db, into: dir)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stderr.contains("travels with their rows"), "\(made.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".gz") })
        let manifest = try String(contentsOfFile: "\(dir)/\(name).manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"historyTables\"") && manifest.contains("\(db).parted"), "\(manifest)")
        if way == "restore" {
            let run = try restore(env, from: dir)
            #expect(run.status == 0, "\(run.stderr)")
        } else {
            let run = try CLI.shell(
                "gzip -dc \"$0\" | mariadb --no-defaults -h127.0.0.1 -P\(try env["MM_TEST_TARGET_PORT"]) -uroot",
                environment: ["MYSQL_PWD": env.rootPassword], arguments: ["\(dir)/\(name)"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        for (table, query) in Self.allVersions {
            let expected = try await rows(source, query, db)
            #expect(expected.count >= 5, "\(table): \(expected)")
            #expect(try await rows(target, query, db) == expected, "\(table)")
        }
        // AS OF the moment just after the first update: the same rows on both sides.
        let moment = try #require(
            try await source.query(
                "SELECT MIN(row_end) FROM `\(db)`.plain FOR SYSTEM_TIME ALL WHERE id = 1").scalar.string)
        let asOf = "SELECT id, v FROM %@.plain FOR SYSTEM_TIME AS OF TIMESTAMP'\(moment)' ORDER BY id"
        #expect(try await rows(target, asOf, db) == (try await rows(source, asOf, db)))
        #expect(try await rows(target, "SELECT PARTITION_NAME, TABLE_ROWS > 0 FROM information_schema.PARTITIONS "
            + "WHERE TABLE_SCHEMA = '\(db)' AND TABLE_NAME = 'parted' ORDER BY 1", db).count == 2)

        // verify compares every version by default; with the target's history of one table deleted it differs
        // there, while the current rows (--no-history) still agree.
        let equal = try verify(env, db, [])
        #expect(equal.status == 0 && equal.stdout.contains("no differences"), "\(equal.stdout)\(equal.stderr)")
        let compared = "history compared for \(db).explicit, \(db).parted, \(db).plain"
        #expect(equal.stdout.contains(compared), "\(equal.stdout)")
        try await target.execute(["DELETE HISTORY FROM `\(db)`.plain"])
        let differs = try verify(env, db, [])
        #expect(differs.status == 1 && differs.stdout.contains("plain"), "\(differs.stdout)")
        #expect(try verify(env, db, ["--no-history"]).status == 0)
    }

    /// --no-history, and a transaction-precise table beside the others, leave the history out and say so; the
    /// manifest names those tables, and verify told of them compares their current rows and says why.
    @Test(arguments: [false, true])
    func theHistoryIsLeftOutSayingSo(transactionPrecise: Bool) async throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("nohist")
        let source = try await makeSource(env, db, transactionPrecise: transactionPrecise)
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-hist-\(UUID().uuidString)").path
        defer { cleanUp(db, on: [source, target], dir: dir) }
        let made = try backup(env, db, into: dir, transactionPrecise ? [] : ["--no-history"])
        ErrorCatalog.expect(transactionPrecise ? "history-beside-transaction-precise" : "no-history", made)
        if transactionPrecise {
            #expect(made.stderr.contains("beside the transaction-precise table \(db).ledger"), "\(made.stderr)")
            let preflight = try CLI.run(
                ["preflight", "--target", "standalone", "--database", db, "--host", "127.0.0.1", "--port",
                 try env["MM_TEST_MARIADB_PORT"], "--user", "root"],
                environment: ["MARIADB_PASSWORD": env.rootPassword])
            ErrorCatalog.expect("history-transaction-precise", preflight)
            // The survey names the table and the route that keeps its history.
            let survey = try CLI.run(
                ["inspect", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root"],
                environment: ["MARIADB_PASSWORD": env.rootPassword])
            #expect(survey.stdout.contains("\(db).ledger"), "\(survey.stdout)")
            #expect(survey.stdout.contains("their history travels only by the physical route"), "\(survey.stdout)")
        }
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".gz") })
        let sql = try CLI.shell("gzip -dc \"$0\"", arguments: ["\(dir)/\(name)"]).stdout
        #expect(!sql.contains("system_versioning_insert_history"))
        let manifest = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).manifest.json"))) as? [String: Any])
        let leftOut = try #require(manifest["historyLeftOut"] as? [String])
        let versioned = ["explicit", "parted", "plain"] + (transactionPrecise ? ["ledger"] : [])
        #expect(leftOut.sorted() == versioned.map { "\(db).\($0)" }.sorted())

        let restored = try restore(env, from: dir)
        #expect(restored.status == 0, "\(restored.stderr)")
        // Told nothing, verify finds the history missing; told what the backup left out, it is green and says so.
        ErrorCatalog.expect("history-differs", try verify(env, db, []))
        let told = try verify(env, db, ["--history-left-out", leftOut.joined(separator: ",")])
        ErrorCatalog.expect("history-left-out", told)
    }

    /// `migrate external-to-operator` with every default, from a server whose versioned tables hold history:
    /// the backup carries it, the restore loads it, and the verify step compares it, green.
    @Test(.timeLimit(.minutes(30)))
    func theRunbookWithItsDefaultsCarriesTheHistory() async throws {
        let source = try await FreshServer()
        defer { source.stop() }
        let target = try await FreshServer()
        defer { target.stop() }
        let db = "temporal"
        let sourceConnection = try await MariaDBConnection.connect(source.settings)
        try await fill(sourceConnection, db)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-hist-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLI.run(
            [
                "migrate", "external-to-operator", "--yes", "--json", "--state-dir", dir + "/state", "--source-port",
                String(source.server.port), "--storage-dir", dir + "/store", "--target-host", "127.0.0.1",
                "--target-port", String(target.server.port), "--output-dir", dir + "/out",
            ],
            environment: [
                "MARIADB_PASSWORD": FreshServer.password, "MARIADB_ROOT_PASSWORD": FreshServer.password,
                "MARIADB_TARGET_PASSWORD": FreshServer.password,
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let events = MigrateEvents(run.stdout)
        #expect(events.finishedSteps.last == "verify", "\(run.stdout)")
        #expect(events.outputs(of: "backup")?["history-left-out"] == "", "\(run.stdout)")
        #expect(events.outputs(of: "verify")?["differences"] == "0")
        #expect(run.stdout.contains("history compared for \(db).explicit, \(db).parted, \(db).plain"), "\(run.stdout)")
        let targetConnection = try await MariaDBConnection.connect(target.settings)
        for (table, query) in Self.allVersions {
            let expected = try await rows(sourceConnection, query, db)
            #expect(try await rows(targetConnection, query, db) == expected, "\(table)")
        }
    }
}
