import Foundation
import MariaDBClient
import TestSupport
import Testing

/// The runbooks as a new user first runs them (issue #27): scripted, every default kept, so the whole
/// server (all databases, the mysql schema and its accounts) moves, from a fresh server that holds the
/// feature zoo and MySQL's world database into fresh targets, ending with `verify` green.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"), .serialized)
struct WholeServerRunbookTests {
    func loadedSource(options: [String] = []) async throws -> FreshServer {
        let env = try TestEnvironment.require()
        let source = try await FreshServer(options: options)
        let port = String(source.server.port)
        let zoo = TestEnvironment.repositoryRoot.appendingPathComponent("fixtures/corpus/feature-zoo.sql").path
        let corpus = try env["MM_TEST_CORPUS_DIR"]
        let load = try CLI.shell(
            "M='mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot'; $M -e 'INSTALL SONAME \"auth_ed25519\"' && "
                + "$M <'\(zoo)' >/dev/null && $M -e 'CREATE DATABASE world' && "
                + "$M world <'\(corpus)/world.sql' >/dev/null",
            environment: ["MYSQL_PWD": FreshServer.password])
        #expect(load.status == 0, "\(load.stderr)")
        return source
    }

    func runbook(_ name: String, from source: FreshServer, to target: FreshServer, _ extra: [String] = [])
        throws -> (CLI.Result, MigrateEvents)
    {
        try runbook(name, from: source, toPort: target.server.port, extra)
    }

    /// `work`: where the state and the store go (default: a directory removed afterwards).
    func runbook(
        _ name: String, from source: FreshServer, toPort port: Int, _ extra: [String] = [], work: String? = nil
    ) throws -> (CLI.Result, MigrateEvents) {
        let dir = work ?? FileManager.default.temporaryDirectory.appendingPathComponent(
            "mm-whole-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if work == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let run = try CLI.run(
            [
                "migrate", name, "--yes", "--json", "--state-dir", dir + "/state", "--source-port",
                String(source.server.port), "--storage-dir", dir + "/store", "--target-host", "127.0.0.1",
                "--target-port", String(port),
            ] + extra,
            environment: Self.passwords)
        return (run, MigrateEvents(run.stdout))
    }

    static let passwords = [
        "MARIADB_PASSWORD": FreshServer.password, "MARIADB_ROOT_PASSWORD": FreshServer.password,
        "MARIADB_TARGET_PASSWORD": FreshServer.password,
    ]

    /// Goes on with a migration whose state is under `work`.
    func resume(_ id: String, work: String, _ extra: [String]) throws -> (CLI.Result, MigrateEvents) {
        let run = try CLI.run(
            ["migrate", "--resume", id, "--yes", "--json", "--state-dir", work + "/state"] + extra,
            environment: Self.passwords)
        return (run, MigrateEvents(run.stdout))
    }

    @Test(.timeLimit(.minutes(30)))
    func externalToOperatorWithItsDefaultsEndsGreen() async throws {
        let source = try await loadedSource()
        defer { source.stop() }
        let target = try await FreshServer()
        defer { target.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-whole-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (run, events) = try runbook(
            "external-to-operator", from: source, to: target, ["--output-dir", dir.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(events.finishedSteps.last == "verify", "\(run.stdout)")
        let verify = events.outputs(of: "verify")
        #expect(verify?["differences"] == "0", "\(verify ?? [:])")
        // Every database of the zoo and world, and the accounts beside root's.
        #expect(Int(verify?["tables"] ?? "") ?? 0 >= 20 && Int(verify?["accounts"] ?? "") ?? 0 >= 6, "\(verify ?? [:])")
        // The zoo's transaction-precise table keeps every history out of a logical backup; the survey pointed at
        // the physical route, which this source (no root@'%') cannot bootstrap, and verify knew what was left out.
        #expect(events.outputs(of: "backup")?["history-left-out"]?.contains("zoo.ver_trx") == true)
        #expect(run.stdout.contains("root@'%' does not exist"), "\(run.stdout)")
        #expect(run.stdout.contains("whose history the backup left out"), "\(run.stdout)")
        // The zoo has an ed25519 account: every pod of the MariaDB loads the plugin, or its User CR fails.
        let mariadb = try String(
            contentsOf: dir.appendingPathComponent("manifests/mariadb-mariadb.yaml"), encoding: .utf8)
        #expect(mariadb.contains("plugin_load_add = auth_ed25519"), "\(mariadb)")
    }

    @Test(.timeLimit(.minutes(30)))
    func backupRestoreWithItsDefaultsEndsGreen() async throws {
        let source = try await loadedSource()
        defer { source.stop() }
        let target = try await FreshServer()
        defer { target.stop() }
        let (run, events) = try runbook("backup-restore", from: source, to: target)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(events.finishedSteps == ["survey", "backup", "restore", "verify"], "\(run.stdout)")
        let verify = events.outputs(of: "verify")
        #expect(verify?["differences"] == "0", "\(verify ?? [:])")
    }

    /// Into a fresh three-node cluster: the source first made fit for Galera by the fixes preflight names (the
    /// zoo holds what Galera refuses), the ed25519 plugin loaded on every node as the MariaDB CR's myCnf would.
    @Test(.timeLimit(.minutes(30)))
    func standaloneToGaleraWithItsDefaultsEndsGreenOnEveryNode() async throws {
        let source = try await loadedSource()
        defer { source.stop() }
        let root = try await MariaDBConnection.connect(source.settings)
        try await root.execute([
            "ALTER TABLE zoo.empty_aria ENGINE=InnoDB",
            "ALTER TABLE zoo.empty_myisam ENGINE=InnoDB, ADD PRIMARY KEY (id)",
            "ALTER TABLE zoo.nokey ADD COLUMN id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY FIRST",
            "ALTER TABLE zoo.part_list ADD COLUMN id INT AUTO_INCREMENT FIRST, ADD PRIMARY KEY (id, region)",
            "ALTER SEQUENCE zoo.seq_plain NOCACHE", "ALTER SEQUENCE zoo.seq_custom NOCACHE",
        ])
        let cluster = try FreshGalera()
        defer { cluster.stop() }
        for node in 0..<3 {
            try await MariaDBConnection.connect(cluster.settings(node: node)).execute(["INSTALL SONAME 'auth_ed25519'"])
        }
        let (run, events) = try runbook(
            "standalone-to-galera", from: source, toPort: cluster.ports[0],
            ["--other-nodes", "127.0.0.1:\(cluster.ports[1]),127.0.0.1:\(cluster.ports[2])"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(events.finishedSteps.last == "verify", "\(run.stdout)")
        let verify = events.outputs(of: "verify")
        #expect(verify?["differences"] == "0" && verify?["nodes"] == "3", "\(verify ?? [:])")
        #expect(Int(verify?["tables"] ?? "") ?? 0 >= 20 && Int(verify?["accounts"] ?? "") ?? 0 >= 6, "\(verify ?? [:])")
        // The account behind the proxy grant Galera does not replicate logs in on the last node, and the view over
        // a view with its own definer answers there.
        var ed = cluster.settings(node: 2)
        ed.user = "zoo_ed"
        ed.password = "ed-pw-1"
        let login = try await MariaDBConnection.connect(ed)
        #expect(try await login.query("SELECT CURRENT_USER()").scalar.string == "zoo_ed@%")
        let node3 = try await MariaDBConnection.connect(cluster.settings(node: 2))
        #expect(try await node3.query("SELECT COUNT(*) FROM zoo.v_top").scalar.int64 ?? 0 > 0)
    }

    /// The live runbook with every default: the whole server backed up, restored, replicated from the backup's
    /// position and cut over with a way back (source and target with a binlog and server ids of their own), verify
    /// green. Then the way back is taken later, as a user decides: a write on the new server, a resume with
    /// after-cutover=revert, and the write is on the source, which takes writes again; a resume that redoes the
    /// cutover and finishes leaves no replication on either server.
    @Test(.timeLimit(.minutes(30)))
    func externalToOperatorLiveWithItsDefaultsEndsGreenAndItsWayBackIsTakenLater() async throws {
        let source = try await loadedSource(options: ["--log-bin=mysql-bin", "--server-id=1001", "--binlog-format=ROW"])
        defer { source.stop() }
        let target = try await FreshServer(options: ["--log-bin=mysql-bin", "--server-id=1002"])
        defer { target.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-whole-live-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (run, events) = try runbook(
            "external-to-operator-live", from: source, toPort: target.server.port, ["--output-dir", dir.path],
            work: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(events.finishedSteps.suffix(4) == ["replicate", "verify-live", "cutover", "verify"], "\(run.stdout)")
        let verify = events.outputs(of: "verify")
        #expect(verify?["differences"] == "0", "\(verify ?? [:])")
        #expect(verify?["left-out"] == "'mariadb_migrate_repl'@'%'", "\(verify ?? [:])")
        #expect(events.outputs(of: "cutover")?["way-back"] == "mariadb_migrate_reverse")
        // The MariaDB the operator would make keeps the binlog the way back replicates from.
        let mariadb = try String(
            contentsOf: dir.appendingPathComponent("manifests/mariadb-mariadb.yaml"), encoding: .utf8)
        #expect(mariadb.contains("log_bin = mariadb-bin") && mariadb.contains("log_slave_updates = ON"), "\(mariadb)")
        let id = try #require(events.events.first?["migration"] as? String)

        let old = try await MariaDBConnection.connect(source.settings)
        let new = try await MariaDBConnection.connect(target.settings)
        func streams(_ server: MariaDBConnection) async throws -> [String: String] {
            let rows = try await server.query("SHOW ALL SLAVES STATUS").rows
            return Dictionary(
                uniqueKeysWithValues: rows.map { row in
                    (row["Connection_name"].string ?? "", row["Slave_SQL_Running"].string ?? "")
                })
        }
        #expect(try await streams(old) == ["mariadb_migrate_reverse": "Yes"])
        #expect(try await streams(new).isEmpty)
        try await new.execute([
            "CREATE TABLE world.after_cutover (id INT PRIMARY KEY, note VARCHAR(20))",
            "INSERT INTO world.after_cutover VALUES (1, 'new'), (2, 'server'), (3, 'writes')",
        ])

        let (revert, reverted) = try resume(id, work: dir.path, ["--set", "after-cutover=revert"])
        #expect(revert.status == 0, "\(revert.stderr)")
        #expect(reverted.finishedSteps == ["revert"], "\(revert.stdout)")
        #expect(try await old.query("SELECT COUNT(*) FROM world.after_cutover").scalar.int == 3)
        #expect(try await old.query("SELECT @@GLOBAL.read_only").scalar.int == 0)
        #expect(try await new.query("SELECT @@GLOBAL.read_only").scalar.int == 1)
        #expect(try await streams(old).isEmpty)
        #expect(try await streams(new) == ["mariadb_migrate": "Yes"])

        try await old.execute(["INSERT INTO world.after_cutover VALUES (4, 'old again')"])
        let (again, finished) = try resume(id, work: dir.path, ["--redo", "cutover", "--set", "after-cutover=finish"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(finished.finishedSteps == ["cutover", "finish"], "\(again.stdout)")
        #expect(try await new.query("SELECT COUNT(*) FROM world.after_cutover").scalar.int == 4)
        #expect(try await streams(old).isEmpty)
        #expect(try await streams(new).isEmpty)
        #expect(try await old.query("SELECT @@GLOBAL.read_only").scalar.int == 1)
        #expect(try await new.query("SELECT @@GLOBAL.read_only").scalar.int == 0)
    }
}
