import Foundation
import MariaDBClient
import TestSupport
import Testing

/// standalone-to-galera on the three real nodes of scripts/test-env.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"), .serialized)
struct GaleraRunbookTests {
    @Test func aStandaloneSourceMovesIntoThreeNodesWithItsAccounts() async throws {
        let env = try TestEnvironment.require()
        let nodes = try env.galeraNodes()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let p = "g\(UInt32.random(in: 0...99_999))_"
        let db = "\(p)db"
        for connection in [source] + (try await nodes.asyncMap { try await MariaDBConnection.connect($0) }) {
            _ = try? await connection.query("INSTALL SONAME 'auth_ed25519'")
        }
        try await source.execute([
            "CREATE DATABASE `\(db)`",
            "CREATE TABLE `\(db)`.orders (id INT PRIMARY KEY, total DECIMAL(10,2), note VARCHAR(40))",
            "INSERT INTO `\(db)`.orders SELECT seq, seq * 1.5, CONCAT('order ', seq) FROM `\(db)`.seq_1_to_2000",
            "CREATE TABLE `\(db)`.audit (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT)",
            "CREATE VIEW `\(db)`.big AS SELECT id, total FROM `\(db)`.orders WHERE total > 100",
            "CREATE PROCEDURE `\(db)`.report() SELECT COUNT(*) FROM `\(db)`.orders",
            "CREATE TRIGGER `\(db)`.orders_ai AFTER INSERT ON `\(db)`.orders FOR EACH ROW INSERT INTO `\(db)`.audit "
                + "(order_id) VALUES (NEW.id)",
            "CREATE EVENT `\(db)`.nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM `\(db)`.audit",
            "CREATE USER '\(p)app'@'%' IDENTIFIED BY 'App-pw-1'",
            "GRANT SELECT, INSERT ON `\(db)`.* TO '\(p)app'@'%'",
            "CREATE USER '\(p)ed'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('Ed-pw-1')",
            "GRANT SELECT (id, note) ON `\(db)`.orders TO '\(p)ed'@'%'",
            "CREATE ROLE '\(p)reader'",
            "GRANT SELECT ON `\(db)`.* TO '\(p)reader'",
            "GRANT '\(p)reader' TO '\(p)app'@'%'",
            "SET DEFAULT ROLE '\(p)reader' FOR '\(p)app'@'%'",
            // The other kinds of the accounts issue: a second host, TLS, limits, and global, routine
            // and grant-option grants.
            "CREATE USER '\(p)app'@'10.1.%' IDENTIFIED BY 'App-pw-2'",
            "GRANT UPDATE ON `\(db)`.orders TO '\(p)app'@'10.1.%'",
            "CREATE USER '\(p)tls'@'%' IDENTIFIED BY 'Tls-pw-1' REQUIRE SSL",
            "CREATE USER '\(p)max'@'%' IDENTIFIED BY 'Max-pw-1' WITH MAX_USER_CONNECTIONS 25 MAX_QUERIES_PER_HOUR 1000",
            "GRANT PROCESS ON *.* TO '\(p)max'@'%'",
            "GRANT EXECUTE ON PROCEDURE `\(db)`.report TO '\(p)max'@'%'",
            "GRANT SELECT ON `\(db)`.* TO '\(p)max'@'%' WITH GRANT OPTION",
        ])
        let cleanup = [
            "DROP DATABASE IF EXISTS `\(db)`", "DROP USER IF EXISTS '\(p)app'@'%'", "DROP USER IF EXISTS '\(p)ed'@'%'",
            "DROP ROLE IF EXISTS '\(p)reader'", "DROP USER IF EXISTS '\(p)app'@'10.1.%'",
            "DROP USER IF EXISTS '\(p)tls'@'%'",
            "DROP USER IF EXISTS '\(p)max'@'%'",
        ]
        defer {
            Task {
                for statement in cleanup { _ = try? await source.query(statement) }
                if let node = try? await MariaDBConnection.connect(nodes[0]) {
                    for statement in cleanup { _ = try? await node.query(statement) }
                }
            }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-galera-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let otherNodes = try ["MM_TEST_GALERA2_PORT", "MM_TEST_GALERA3_PORT"].map { "127.0.0.1:\(try env[$0])" }
        let run = try CLI.run(
            [
                "migrate", "standalone-to-galera", "--yes", "--json", "--state-dir",
                dir.appendingPathComponent("state").path,
                "--source-port", try env["MM_TEST_MARIADB_PORT"], "--databases", db, "--accounts", "\(p)%",
                "--storage-dir", dir.appendingPathComponent("backups").path, "--output-dir",
                dir.appendingPathComponent("out").path,
                "--target-host", "127.0.0.1", "--target-port", try env["MM_TEST_GALERA_PORT"],
                "--other-nodes", otherNodes.joined(separator: ","),
            ],
            environment: [
                "MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword,
                "MARIADB_TARGET_PASSWORD": env.rootPassword,
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let events = MigrateEvents(run.stdout)
        let finished = events.finishedSteps
        #expect(
            finished == [
                "survey", "preflight", "store-check", "backup", "accounts", "manifests", "restore", "apply-accounts",
                "verify",
            ], "\(run.stdout)")
        let outputs = events.outputs(of: "verify")
        #expect(
            outputs?["nodes"] == "3" && outputs?["accounts"] == "6" && outputs?["differences"] == "0",
            "\(outputs ?? [:])")
        // The Galera rules went into the dump: no privilege table, no LOCK TABLES.
        let backups = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("backups").path)
        let backup = try #require(backups.first { $0.hasSuffix(".sql.gz") })
        let scan = try CLI.run(["scan", backup, "--storage-dir", dir.appendingPathComponent("backups").path])
        #expect(scan.status == 0 && scan.stdout.contains("nothing that breaks Galera"), "\(scan.stdout)")

        // Every migrated account logs in on nodes 2 and 3 with its original password.
        for node in nodes.dropFirst() {
            // Those that may log in from here (not the 10.1.% host, nor REQUIRE SSL on servers without TLS).
            for (user, password) in [("\(p)app", "App-pw-1"), ("\(p)ed", "Ed-pw-1"), ("\(p)max", "Max-pw-1")] {
                var settings = node
                settings.user = user
                settings.password = password
                let connection = try await MariaDBConnection.connect(settings)
                #expect(try await connection.query("SELECT CURRENT_USER()").scalar.string == "\(user)@%")
            }
            let app = try await MariaDBConnection.connect(
                ConnectionSettings(transport: node.transport, user: "\(p)app", password: "App-pw-1"))
            #expect(try await app.query("SELECT COUNT(*) FROM `\(db)`.orders").scalar.int64 == 2000)
        }
    }

    @Test func aMyISAMTableStopsTheRunbookAtPreflight() throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("gblock")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(db); CREATE TABLE \(db).legacy (id INT PRIMARY KEY) ENGINE=MyISAM;")
        defer { try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(db)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-gblock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try CLI.run(
            [
                "migrate", "standalone-to-galera", "--yes", "--state-dir", dir.appendingPathComponent("state").path,
                "--source-port", try env["MM_TEST_MARIADB_PORT"], "--databases", db,
                "--storage-dir", dir.appendingPathComponent("backups").path, "--output-dir",
                dir.appendingPathComponent("out").path,
            ],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(
            run.stderr.contains("step 'preflight'") && run.stderr.contains("ALTER TABLE `\(db)`.`legacy` ENGINE=InnoDB")
        )
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("backups").path))
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
