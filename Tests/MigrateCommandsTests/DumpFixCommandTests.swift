import Foundation
import MariaDBClient
import TestSupport
import Testing

/// Issue #31 on the real servers: the refusals of `--fix`, and `scan --fix` making a dump taken without fixes one
/// that a Galera restore takes.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct DumpFixCommandTests {
    static func directory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func backup(_ env: TestEnvironment, _ db: String, store: String, _ extra: [String]) throws -> CLI.Result {
        try CLI.run(
            [
                "backup", "--host", "127.0.0.1", "--user", "root", "--port", try env["MM_TEST_MARIADB_PORT"],
                "--database", db, "--storage-dir", store, "--galera",
            ] + extra, environment: ["MARIADB_PASSWORD": env.rootPassword])
    }

    @Test(arguments: [
        ("fix-engine-refused",
         "CREATE TABLE %@.part (id INT) ENGINE=MyISAM; CREATE TABLE %@.t (id INT) ENGINE=MRG_MyISAM UNION=(%@.part)",
         "innodb"),
        ("fix-innodb-refuses",
         "CREATE TABLE %@.t (grp INT NOT NULL, n INT NOT NULL AUTO_INCREMENT, PRIMARY KEY (grp, n)) ENGINE=MyISAM",
         "innodb"),
        ("fix-fulltext-refused",
         "CREATE TABLE %@.t (id INT PRIMARY KEY, FTS_DOC_ID BIGINT, b TEXT, FULLTEXT KEY f (b)) ENGINE=MyISAM",
         "innodb"),
        ("fix-column-clash", "CREATE TABLE %@.t (_mariadb_migrate_id INT, v INT)", "invisible-pk"),
        ("fix-auto-increment-without-key", "CREATE TABLE %@.t (n INT NOT NULL AUTO_INCREMENT, KEY (n))",
         "invisible-pk"),
    ])
    func aTableAFixCannotRewriteStopsTheBackupAndNothingIsStored(id: String, create: String, fix: String) throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("fixno")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(db); \(create.replacingOccurrences(of: "%@", with: db));")
        defer { try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(db)") }
        let dir = try Self.directory("fixno")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        let run = try backup(env, db, store: store, ["--fix", fix])
        ErrorCatalog.expect(id, run)
        #expect(run.stderr.contains("\(db).t"), "\(run.stderr)")
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
        #expect(stored.filter { $0.hasPrefix("backup.") }.isEmpty, "\(stored)")
        // The preflight with the same fix says so before any backup.
        let preflight = try CLI.run(
            ["preflight", "--host", "127.0.0.1", "--user", "root", "--port", try env["MM_TEST_MARIADB_PORT"],
             "--database", db, "--target", "galera",
             "--fix", fix],
            environment: ["MARIADB_PASSWORD": env.rootPassword])
        if !["fix-engine-refused", "fix-fulltext-refused"].contains(id) {
            ErrorCatalog.expect("preflight-fix-refused", preflight)
        }
    }

    @Test func anUnknownFixAndAFixWithTheOperatorsFlagsAreRefusedUpFront() throws {
        let unknown = try CLI.run(["backup", "--storage-dir", "/tmp/mm-none", "--fix", "innodb,pk"])
        ErrorCatalog.expect("unknown-fix", unknown)
        let operatorFlags = try CLI.run(
            ["backup", "--storage-dir", "/tmp/mm-none", "--fix", "innodb", "--operator-flags"])
        ErrorCatalog.expect("fix-with-operator-flags", operatorFlags)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/mm-none"))
    }

    @Test func aFixedCopyOfAnUnfixedDumpIsWhatAGaleraRestoreTakes() async throws {
        let env = try TestEnvironment.require()
        let nodes = try env.galeraNodes()
        let db = TestEnvironment.uniqueName("fixcopy")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(db); CREATE TABLE \(db).legacy (id INT PRIMARY KEY, v TEXT) ENGINE=MyISAM; "
                + "INSERT INTO \(db).legacy SELECT seq, REPEAT('x', seq % 50) FROM \(db).seq_1_to_400; "
                + "CREATE TABLE \(db).loose (a INT, b VARCHAR(9)); "
                + "INSERT INTO \(db).loose SELECT seq, 'b' FROM \(db).seq_1_to_300;")
        let galeraPort = try env["MM_TEST_GALERA_PORT"]
        defer {
            try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(db)")
            try? sql(env, port: galeraPort, "DROP DATABASE IF EXISTS \(db)")
        }
        let dir = try Self.directory("fixcopy")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        let taken = try backup(env, db, store: store, [])
        #expect(taken.status == 0, "\(taken.stderr)")
        let original = try #require(
            try FileManager.default.contentsOfDirectory(atPath: store).first { $0.hasSuffix(".sql.gz") })
        func restore(_ name: String) throws -> CLI.Result {
            try CLI.run(
                ["restore", "--host", "127.0.0.1", "--user", "root", "--port", galeraPort, "--storage-dir", store,
                 "--file", name],
                environment: ["MARIADB_PASSWORD": env.rootPassword])
        }
        // The unfixed dump: the Galera restore stops at the MyISAM table.
        ErrorCatalog.expect("galera-non-innodb", try restore(original))

        let fixed = try CLI.run(["scan", original, "--storage-dir", store, "--fix", "innodb,invisible-pk"])
        #expect(fixed.status == 0, "\(fixed.stdout)\(fixed.stderr)")
        #expect(fixed.stdout.contains("nothing that breaks Galera"), "\(fixed.stdout)")
        let originalName = try #require(epochSecond(ofBackup: original))
        let copy = try #require(
            try FileManager.default.contentsOfDirectory(atPath: store).first {
                $0.hasSuffix(".sql.gz") && $0 != original
            })
        #expect(epochSecond(ofBackup: copy) == originalName + 1, "\(original) → \(copy)")
        let manifest = try String(contentsOfFile: "\(store)/\(copy).manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"fixedFrom\" : \"\(original)\""), "\(manifest)")
        #expect(manifest.contains("\(db).legacy: ENGINE=MyISAM → InnoDB"), "\(manifest)")

        let restored = try restore(copy)
        #expect(restored.status == 0, "\(restored.stderr)")
        let verify = try CLI.run(
            ["verify", "--host", "127.0.0.1", "--user", "root", "--port", try env["MM_TEST_MARIADB_PORT"],
             "--target-host", "127.0.0.1", "--target-user", "root", "--target-port", galeraPort, "--database", db,
             "--fix", "innodb,invisible-pk"],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("engine MyISAM → InnoDB"), "\(verify.stdout)")
        #expect(verify.stdout.contains("table \(db).loose: invisible key column"), "\(verify.stdout)")
        let third = try await MariaDBConnection.connect(nodes[2])
        _ = try await third.query("SET SESSION wsrep_sync_wait = 1")
        #expect(try await third.query("SELECT COUNT(*) FROM `\(db)`.legacy").scalar.int64 == 400)
    }
}

extension DumpFixCommandTests {
    /// `--definer invoker`: a routine and a view of a dropped account run as their caller on the target.
    @Test func asInvokerTheRestoredRoutineAndViewRunAsTheirCaller() async throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("fixinv")
        let gone = "\(db)_gone"
        let sourcePort = try env["MM_TEST_MARIADB_PORT"]
        let targetPort = try env["MM_TEST_TARGET_PORT"]
        try sql(
            env, port: sourcePort,
            "CREATE DATABASE \(db); CREATE TABLE \(db).t (id INT PRIMARY KEY); INSERT INTO \(db).t VALUES (1), (2); "
                + "CREATE USER '\(gone)'@'localhost'; "
                + "CREATE DEFINER='\(gone)'@'localhost' SQL SECURITY INVOKER VIEW \(db).v AS SELECT id FROM \(db).t; "
                + "CREATE DEFINER='\(gone)'@'localhost' PROCEDURE \(db).p() SELECT COUNT(*) FROM \(db).t; "
                + "DROP USER '\(gone)'@'localhost';")
        defer {
            try? sql(env, port: sourcePort, "DROP DATABASE IF EXISTS \(db)")
            try? sql(env, port: targetPort, "DROP DATABASE IF EXISTS \(db)")
        }
        let dir = try Self.directory("fixinv")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        let taken = try backup(env, db, store: store, ["--fix", "definers", "--definer", "invoker"])
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(taken.stderr.contains("procedure \(db).p: definer `\(gone)`@`localhost` removed, SQL SECURITY INVOKER"))
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: store).first { $0.hasSuffix(".sql.gz") })
        let restored = try CLI.run(
            ["restore", "--host", "127.0.0.1", "--user", "root", "--port", targetPort, "--storage-dir", store,
             "--file", name],
            environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(restored.status == 0, "\(restored.stderr)")
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let routine = try await target.query(
            "SELECT SECURITY_TYPE, DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '\(db)'").rows
        #expect(routine.first?[0].string == "INVOKER")
        #expect(routine.first?[1].string?.hasPrefix("\(gone)@") == false)
        #expect(try await target.query("SELECT COUNT(*) FROM `\(db)`.v").scalar.int64 == 2)
        // Last on the connection: a CALL's status result follows its rows.
        #expect(try await target.query("CALL `\(db)`.p()").scalar.int64 == 2)
    }
}

/// The epoch second a backup name carries (`backup.2024-08-26T12:24:34Z.sql.gz`).
func epochSecond(ofBackup name: String) -> Int64? {
    let parts = name.split(separator: ".")
    guard parts.count >= 3 else { return nil }
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: String(parts[1])).map { Int64($0.timeIntervalSince1970) }
}
