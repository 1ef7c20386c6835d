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

/// Issue #31: Galera blockers fixed in the dump, the source left as it is.
extension GaleraRunbookTests {
    @Test func blockersFixedInTheDumpReachEveryNodeAndTheSourceStaysAsItWas() async throws {
        let env = try TestEnvironment.require()
        let nodes = try env.galeraNodes()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let db = TestEnvironment.uniqueName("gfix")
        let gone = "\(db)_gone"
        try await source.execute([
            "CREATE DATABASE `\(db)`",
            "CREATE TABLE `\(db)`.docs (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT, FULLTEXT KEY ft (body)) "
                + "ENGINE=MyISAM",
            "INSERT INTO `\(db)`.docs (body) SELECT CONCAT('document ', seq) FROM `\(db)`.seq_1_to_300",
            "CREATE TABLE `\(db)`.cache (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria",
            "INSERT INTO `\(db)`.cache SELECT seq, CONCAT('v', seq) FROM `\(db)`.seq_1_to_200",
            "CREATE TABLE `\(db)`.events_log (at INT, what VARCHAR(30)) ENGINE=InnoDB",
            "INSERT INTO `\(db)`.events_log SELECT seq, CONCAT('what ', seq % 7) FROM `\(db)`.seq_1_to_500",
            "CREATE TABLE `\(db)`.pairs (a INT NOT NULL, b INT NOT NULL, UNIQUE KEY ab (a, b)) ENGINE=InnoDB",
            "INSERT INTO `\(db)`.pairs SELECT seq, seq * 2 FROM `\(db)`.seq_1_to_100",
            "CREATE USER '\(gone)'@'localhost'",
            // INVOKER: a view whose definer is missing fails every --all-databases dump of the shared source.
            "CREATE DEFINER='\(gone)'@'localhost' SQL SECURITY INVOKER VIEW `\(db)`.recent AS SELECT id, body "
                + "FROM `\(db)`.docs WHERE id > 250",
            "CREATE DEFINER='\(gone)'@'localhost' PROCEDURE `\(db)`.tally() SELECT COUNT(*) FROM `\(db)`.cache",
            // The definer's account is not carried: dropped on the source since.
            "DROP USER '\(gone)'@'localhost'",
        ])
        let tables = ["cache", "docs", "events_log", "pairs"]
        func definitions(_ connection: MariaDBConnection) async throws -> [String] {
            try await tables.asyncMap {
                try await connection.query("SHOW CREATE TABLE `\(db)`.`\($0)`").rows.first?[1].string ?? ""
            }
        }
        let before = try await definitions(source)
        defer {
            Task {
                _ = try? await source.query("DROP DATABASE IF EXISTS `\(db)`")
                if let node = try? await MariaDBConnection.connect(nodes[0]) {
                    _ = try? await node.query("DROP DATABASE IF EXISTS `\(db)`")
                }
            }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-gfix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let otherNodes = try ["MM_TEST_GALERA2_PORT", "MM_TEST_GALERA3_PORT"].map { "127.0.0.1:\(try env[$0])" }
        func migrate(_ fixes: [String]) throws -> CLI.Result {
            try CLI.run(
                [
                    "migrate", "standalone-to-galera", "--yes", "--json", "--state-dir",
                    dir.appendingPathComponent("state-\(fixes.count)").path,
                    "--source-port", try env["MM_TEST_MARIADB_PORT"], "--databases", db, "--accounts", "\(db)%",
                    "--storage-dir", dir.appendingPathComponent("backups").path, "--output-dir",
                    dir.appendingPathComponent("out").path,
                    "--target-host", "127.0.0.1", "--target-port", try env["MM_TEST_GALERA_PORT"],
                    "--other-nodes", otherNodes.joined(separator: ","),
                ] + fixes,
                environment: [
                    "MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword,
                    "MARIADB_TARGET_PASSWORD": env.rootPassword,
                ])
        }
        // Without the fixes the preflight blocks, naming the fix for each blocker.
        let blocked = try migrate([])
        #expect(blocked.status == 1, "\(blocked.stderr)")
        #expect(blocked.stderr.contains("step 'preflight'") && blocked.stderr.contains("--fix innodb"))
        #expect(blocked.stderr.contains("--fix invisible-pk"), "\(blocked.stderr)")

        let run = try migrate(["--fixes", "innodb,invisible-pk,definers"])
        #expect(run.status == 0, "\(run.stderr)")
        let events = MigrateEvents(run.stdout)
        #expect(events.finishedSteps.contains("verify"), "\(run.stdout)")
        let verified = events.outputs(of: "verify")
        #expect(verified?["nodes"] == "3" && verified?["differences"] == "0", "\(verified ?? [:])")
        let intended = events.notes(of: "verify").first { $0.hasPrefix("intended by the dump's fixes") } ?? ""
        for change in [
            "table \(db).docs: engine MyISAM → InnoDB", "table \(db).cache: engine Aria → InnoDB",
            "table \(db).events_log: invisible key column _mariadb_migrate_id added",
            "view \(db).recent: definer \(gone)@localhost → root@localhost",
            "routine \(db).tally: definer \(gone)@localhost → root@localhost",
        ] {
            #expect(intended.contains(change), "\(change) is not in: \(intended)")
        }
        #expect(!intended.contains("\(db).pairs"), "the NOT NULL unique key serves: \(intended)")

        // Every row on every node, every table InnoDB with a key Galera can use.
        let expected = ["cache": 200, "docs": 300, "events_log": 500, "pairs": 100]
        for settings in nodes {
            let node = try await MariaDBConnection.connect(settings)
            _ = try await node.query("SET SESSION wsrep_sync_wait = 1")
            for (table, rows) in expected {
                #expect(try await node.query("SELECT COUNT(*) FROM `\(db)`.`\(table)`").scalar.int64 == Int64(rows))
            }
            let engines = try await node.query(
                "SELECT DISTINCT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '\(db)' "
                    + "AND TABLE_TYPE = 'BASE TABLE'").rows.map { $0[0].string ?? "" }
            #expect(engines == ["InnoDB"])
        }
        // The tables replicate: rows written on node 1 afterwards are on node 3.
        let first = try await MariaDBConnection.connect(nodes[0])
        try await first.execute([
            "INSERT INTO `\(db)`.events_log VALUES (9001, 'after the move')",
            "INSERT INTO `\(db)`.docs (body) VALUES ('written on node 1')",
            "UPDATE `\(db)`.cache SET v = 'changed' WHERE id = 7",
        ])
        let third = try await MariaDBConnection.connect(nodes[2])
        _ = try await third.query("SET SESSION wsrep_sync_wait = 1")
        #expect(try await third.query("SELECT what FROM `\(db)`.events_log WHERE at = 9001").scalar.string
            == "after the move")
        #expect(try await third.query("SELECT COUNT(*) FROM `\(db)`.docs WHERE MATCH(body) AGAINST('node')")
            .scalar.int64 == 1)
        #expect(try await third.query("SELECT v FROM `\(db)`.cache WHERE id = 7").scalar.string == "changed")
        #expect(try await third.query("CALL `\(db)`.tally()").scalar.int64 == 200)

        // The source is as it was.
        #expect(try await definitions(source) == before)
        _ = try await source.query("DROP DATABASE `\(db)`")
        _ = try await first.query("DROP DATABASE `\(db)`")
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
