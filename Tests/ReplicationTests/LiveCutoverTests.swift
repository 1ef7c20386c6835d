import Foundation
import MariaDBClient
import TestSupport
import Testing

@testable import Replication

/// Commits numbered rows on the source, one per statement, until stopped (at most `limit`), and
/// remembers which commits succeeded and which the server refused.
final class NumberedWriter: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private(set) var committed: [Int] = []
    private(set) var refused: [Int] = []
    /// The last refusal's error, for a failing test's message.
    var lastError: String { lock.withLock { lastRefusal } }
    private var lastRefusal = ""
    private var task: Task<Void, Never>?

    var counts: (committed: Int, refused: Int) { lock.withLock { (committed.count, refused.count) } }
    var committedSet: Set<Int> { lock.withLock { Set(committed) } }
    var refusedSet: Set<Int> { lock.withLock { Set(refused) } }

    func start(_ settings: ConnectionSettings, database: String, limit: Int = 200_000, first: Int = 1) {
        task = Task {
            guard let connection = try? await MariaDBConnection.connect(settings) else { return }
            for id in first..<(first + limit) {
                if lock.withLock({ stopped }) { return }
                let statement =
                    id % 10 == 0
                    ? "UPDATE \(database).counter SET n = n + 1, last = \(id) WHERE k = 1"
                    : "INSERT INTO \(database).t (id, v) VALUES (\(id), REPEAT('v', \(id % 37)))"
                do {
                    try await connection.query(statement)
                    lock.withLock { committed.append(id) }
                } catch {
                    lock.withLock {
                        refused.append(id)
                        lastRefusal = "\(error)"
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
        }
    }

    func stop() async {
        lock.withLock { stopped = true }
        await task?.value
    }

    /// Waits until `count` more commits than now (or a refusal streak) happened.
    func waitForCommits(_ count: Int) async throws {
        let goal = counts.committed + count
        for _ in 0..<3000 where counts.committed < goal {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Backup, restore, catch-up and cutover on real servers while a writer commits, as the issue asks.
@Suite(.serialized, .enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct LiveCutoverTests {
    func sql(_ env: TestEnvironment, port: String, _ statements: String) throws {
        let result = try CLI.shell(
            "mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot -N", environment: ["MYSQL_PWD": env.rootPassword],
            stdin: statements)
        #expect(result.status == 0, "\(result.stderr)")
    }

    func query(_ settings: ConnectionSettings, _ statement: String) async throws -> ResultSet {
        let connection = try await MariaDBConnection.connect(settings)
        return try await connection.query(statement)
    }

    struct Servers {
        var env: TestEnvironment
        var source: [String]
        var target: [String]
        var passwords: [String: String]
        var livePort: String
        var targetPort: String
    }

    func servers() throws -> Servers {
        let env = try TestEnvironment.require()
        let live = try env["MM_TEST_LIVE_PORT"]
        let target = try env["MM_TEST_TARGET_PORT"]
        return Servers(
            env: env, source: ["--host", "127.0.0.1", "--port", live, "--user", "root"],
            target: ["--target-host", "127.0.0.1", "--target-port", target, "--target-user", "root"],
            passwords: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword],
            livePort: live, targetPort: target)
    }

    /// A database with two tables on the live source and an account that may only write there.
    func prepare(_ s: Servers, _ name: String) throws -> ConnectionSettings {
        try sql(
            s.env, port: s.livePort,
            "SET GLOBAL read_only = 0; CREATE DATABASE \(name); "
                + "CREATE TABLE \(name).t (id INT PRIMARY KEY, v VARCHAR(40), at TIMESTAMP(6) DEFAULT "
                + "CURRENT_TIMESTAMP(6)); CREATE TABLE \(name).counter (k INT PRIMARY KEY, n INT, last INT); "
                + "INSERT INTO \(name).counter VALUES (1, 0, 0); "
                + "CREATE USER \(name)@'127.0.0.1' IDENTIFIED BY 'writer-pw'; "
                + "GRANT SELECT, INSERT, UPDATE ON \(name).* TO \(name)@'127.0.0.1'")
        return ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: Int(s.livePort)!), user: name, password: "writer-pw")
    }

    /// Best effort: a statement may fail here (no replication left to reset) without failing the test.
    func cleanUp(_ s: Servers, _ name: String, directory: String) {
        func run(_ port: String, _ statements: String) {
            _ = try? CLI.shell(
                "mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot -f -e \"$SQL\"",
                environment: ["MYSQL_PWD": s.env.rootPassword, "SQL": statements])
        }
        // `mariadb -e` stops at the first error even with -f: a RESET of a connection that is not there goes last.
        run(
            s.targetPort,
            "STOP ALL SLAVES; SET GLOBAL read_only = 0; DROP DATABASE IF EXISTS \(name); SET SESSION sql_log_bin = 0; "
                + "DROP USER IF EXISTS mariadb_migrate_repl@'%'; DROP USER IF EXISTS \(name)@'127.0.0.1'")
        run(s.targetPort, "RESET SLAVE 'mariadb_migrate' ALL")
        run(
            s.livePort,
            "STOP ALL SLAVES; SET GLOBAL read_only = 0; DROP DATABASE IF EXISTS \(name); "
                + "DROP USER IF EXISTS \(name)@'127.0.0.1'; DROP USER IF EXISTS mariadb_migrate_repl@'%'")
        run(s.livePort, "RESET SLAVE 'mariadb_migrate_reverse' ALL")
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func noCommittedWriteIsLostAndNoRefusedOneAppears() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("live")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        let writer = NumberedWriter()
        writer.start(try prepare(s, name), database: name)
        try await writer.waitForCommits(100)

        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir + "/store"] + s.source, environment: s.passwords)
        #expect(backup.status == 0, "\(backup.stderr)")
        try await writer.waitForCommits(100)
        let restore = try CLI.run(
            [
                "restore", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", s.targetPort, "--user",
                "root",
            ], environment: s.passwords)
        #expect(restore.status == 0, "\(restore.stderr)")
        try await writer.waitForCommits(100)

        let replicate = try CLI.run(
            [
                "replicate", "--storage-dir", dir + "/store", "--create-replication-user",
                "--replication-password-file",
                dir + "/repl.pw", "--json",
            ] + s.source + s.target, environment: s.passwords)
        #expect(replicate.status == 0, "\(replicate.stderr)")
        #expect(replicate.stdout.contains("\"outcome\" : \"started\""), "\(replicate.stdout)")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/repl.pw")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let replicationPassword = try String(contentsOfFile: dir + "/repl.pw", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!replicate.stdout.contains(replicationPassword) && !replicate.stderr.contains(replicationPassword))
        // Running it again changes nothing: the replica's position is never moved back.
        let again = try CLI.run(
            ["replicate", "--storage-dir", dir + "/store", "--replication-password-file", dir + "/repl.pw", "--json"]
                + s.source + s.target, environment: s.passwords)
        #expect(again.stdout.contains("\"outcome\" : \"already-running\""), "\(again.stdout) \(again.stderr)")
        try await writer.waitForCommits(200)

        let status = try CLI.run(["cutover", "--status", "--json"] + s.source + s.target, environment: s.passwords)
        struct Lag: Decodable {
            var transactions: UInt64
            var running: Bool
        }
        #expect(try JSONDecoder().decode(Lag.self, from: Data(status.stdout.utf8)).running, "\(status.stderr)")
        let cutover = try CLI.run(["cutover", "--yes", "--json"] + s.source + s.target, environment: s.passwords)
        #expect(cutover.status == 0, "\(cutover.stderr)")
        struct Report: Decodable {
            var writeDowntimeSeconds: Double
            var sourceLeftReadOnly: Bool
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(cutover.stdout.utf8))
        #expect(report.sourceLeftReadOnly)
        // The writer goes on against the read-only source until it has been refused a few times.
        for _ in 0..<500 where writer.counts.refused < 5 { try await Task.sleep(for: .milliseconds(10)) }
        await writer.stop()

        let targetSettings = try s.env.targetTCP()
        let onTarget = Set(try await query(targetSettings, "SELECT id FROM \(name).t").rows.compactMap { $0[0].int })
        let committedInserts = Set(writer.committedSet.filter { $0 % 10 != 0 })
        #expect(onTarget == committedInserts, "missing \(committedInserts.subtracting(onTarget).sorted().prefix(10))")
        #expect(onTarget.isDisjoint(with: writer.refusedSet))
        #expect(writer.counts.refused >= 5)
        let counter = try await query(targetSettings, "SELECT n FROM \(name).counter").scalar.int
        #expect(counter == writer.committedSet.filter { $0 % 10 == 0 }.count)
        #expect(try await query(targetSettings, "SHOW ALL SLAVES STATUS").rows.isEmpty)

        let verify = try CLI.run(
            ["verify", "--database", name] + s.source + s.target, environment: s.passwords)
        #expect(verify.status == 0 && verify.stdout.contains("no differences"), "\(verify.stdout) \(verify.stderr)")
    }

    @Test func purgedBinlogsAreRefusedBeforeAnythingChanges() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("purged")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("purged-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        _ = try prepare(s, name)
        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir + "/store"] + s.source, environment: s.passwords)
        #expect(backup.status == 0, "\(backup.stderr)")
        try sql(s.env, port: s.livePort, "INSERT INTO \(name).t (id) VALUES (1); FLUSH BINARY LOGS")
        let newest = try #require(
            try await query(try s.env.liveTCP(), "SHOW BINARY LOGS").rows.last?[0].string)
        // The server keeps a binlog until InnoDB checkpointed past it: purge until only the newest is left.
        for _ in 0..<100 {
            try sql(s.env, port: s.livePort, "PURGE BINARY LOGS TO '\(newest)'")
            if try await query(try s.env.liveTCP(), "SHOW BINARY LOGS").rows.count == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let before = try await query(try s.env.targetTCP(), "SELECT @@GLOBAL.gtid_slave_pos").scalar.string

        let replicate = try CLI.run(
            [
                "replicate", "--storage-dir", dir + "/store", "--create-replication-user",
                "--replication-password-file",
                dir + "/repl.pw",
            ] + s.source + s.target, environment: s.passwords)
        ErrorCatalog.expect("binlog-purged", replicate)
        #expect(try await query(try s.env.targetTCP(), "SHOW ALL SLAVES STATUS").rows.isEmpty)
        #expect(try await query(try s.env.targetTCP(), "SELECT @@GLOBAL.gtid_slave_pos").scalar.string == before)
        #expect(!FileManager.default.fileExists(atPath: dir + "/repl.pw"))
        let account = try await query(
            try s.env.liveTCP(), "SELECT COUNT(*) FROM mysql.user WHERE user = 'mariadb_migrate_repl'"
        ).scalar.int
        #expect(account == 0)
    }

    @Test func aSharedServerIdIsRefusedAndCanBeFixedOnTheWay() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("sameid")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sameid-\(UUID().uuidString)").path
        defer {
            cleanUp(s, name, directory: dir)
            _ = try? CLI.shell(
                "mariadb --no-defaults -h127.0.0.1 -P\(s.targetPort) -uroot -e 'SET GLOBAL server_id = 2'",
                environment: ["MYSQL_PWD": s.env.rootPassword])
        }
        _ = try prepare(s, name)
        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir + "/store"] + s.source, environment: s.passwords)
        #expect(backup.status == 0, "\(backup.stderr)")
        try sql(s.env, port: s.targetPort, "SET GLOBAL server_id = 3")
        let arguments =
            [
                "replicate", "--storage-dir", dir + "/store", "--create-replication-user",
                "--replication-password-file",
                dir + "/repl.pw",
            ] + s.source + s.target
        let refused = try CLI.run(arguments + ["--dry-run"], environment: s.passwords)
        ErrorCatalog.expect("server-id-clash", refused)
        #expect(refused.stdout.contains("replicate --target-server-id 4"))
        let fixed = try CLI.run(arguments + ["--target-server-id", "2"], environment: s.passwords)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(try await query(try s.env.targetTCP(), "SELECT @@GLOBAL.server_id").scalar.int == 2)
    }

    @Test func aGaleraTargetReplicatesIntoOneNodeAndEveryNodeGetsTheRows() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("galive")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galive-\(UUID().uuidString)").path
        let nodes = try s.env.galeraNodes()
        let node1 = try s.env["MM_TEST_GALERA_PORT"]
        defer {
            cleanUp(s, name, directory: dir)
            _ = try? CLI.shell(
                "mariadb --no-defaults -h127.0.0.1 -P\(node1) -uroot -f -e \"$SQL\"",
                environment: [
                    "MYSQL_PWD": s.env.rootPassword,
                    "SQL": "STOP ALL SLAVES; RESET SLAVE 'mariadb_migrate' ALL; DROP DATABASE IF EXISTS \(name)",
                ])
        }
        let writer = NumberedWriter()
        writer.start(try prepare(s, name), database: name)
        try await writer.waitForCommits(50)
        let galera = ["--target-host", "127.0.0.1", "--target-port", node1, "--target-user", "root"]
        let backup = try CLI.run(
            ["backup", "--database", name, "--galera", "--storage-dir", dir + "/store"] + s.source,
            environment: s.passwords)
        #expect(backup.status == 0, "\(backup.stderr)")
        let restore = try CLI.run(
            ["restore", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", node1, "--user", "root"],
            environment: s.passwords)
        #expect(restore.status == 0, "\(restore.stderr)")
        let replicate = try CLI.run(
            [
                "replicate", "--storage-dir", dir + "/store", "--create-replication-user",
                "--replication-password-file",
                dir + "/repl.pw",
            ] + s.source + galera, environment: s.passwords)
        #expect(replicate.status == 0, "\(replicate.stderr)")
        #expect(replicate.stdout.contains("galera-target"), "\(replicate.stdout)")
        try await writer.waitForCommits(100)
        let cutover = try CLI.run(["cutover", "--yes"] + s.source + galera, environment: s.passwords)
        #expect(cutover.status == 0, "\(cutover.stderr)")
        await writer.stop()
        let expected = Set(writer.committedSet.filter { $0 % 10 != 0 })
        for node in nodes {
            // Galera applies on the other nodes asynchronously: a causal read waits for it.
            let connection = try await MariaDBConnection.connect(node)
            try await connection.query("SET SESSION wsrep_sync_wait = 1")
            let rows = Set(try await connection.query("SELECT id FROM \(name).t").rows.compactMap { $0[0].int })
            #expect(rows == expected, "\(node.endpointDescription)")
        }
    }

    @Test func aCutoverThatTimesOutRollsBack() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("timeout")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("timeout-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        _ = try prepare(s, name)
        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir + "/store"] + s.source, environment: s.passwords)
        #expect(backup.status == 0, "\(backup.stderr)")
        let restore = try CLI.run(
            [
                "restore", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", s.targetPort, "--user",
                "root",
            ], environment: s.passwords)
        #expect(restore.status == 0, "\(restore.stderr)")
        let replicate = try CLI.run(
            [
                "replicate", "--storage-dir", dir + "/store", "--create-replication-user",
                "--replication-password-file",
                dir + "/repl.pw",
            ] + s.source + s.target, environment: s.passwords)
        #expect(replicate.status == 0, "\(replicate.stderr)")

        // The target cannot apply while a session there holds the table.
        let blocker = try await MariaDBConnection.connect(try s.env.targetTCP())
        try await blocker.query("LOCK TABLES \(name).t WRITE")
        try sql(s.env, port: s.livePort, "INSERT INTO \(name).t (id) VALUES (1)")
        let cutover = try CLI.run(
            ["cutover", "--yes", "--timeout", "2", "--max-lag", "10"] + s.source + s.target, environment: s.passwords)
        try await blocker.query("UNLOCK TABLES")
        ErrorCatalog.expect("cutover-timeout", cutover)
        #expect(try await query(try s.env.liveTCP(), "SELECT @@GLOBAL.read_only").scalar.int == 0)
        let status = try #require(try await query(try s.env.targetTCP(), "SHOW ALL SLAVES STATUS").rows.first)
        #expect(status["Slave_IO_Running"].string == "Yes" && status["Slave_SQL_Running"].string == "Yes")
    }

    /// Issue #34: the replication account the runbook makes is left out of the last verify, and named, also when
    /// the account patterns would match it; the run ends with exit 0.
    @Test(arguments: [false, true])
    func theLiveRunbookChainsBackupRestoreReplicationAndCutover(patternsMatchTheReplicationAccount: Bool)
        async throws
    {
        let s = try servers()
        let name = TestEnvironment.uniqueName("wizlive")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wizlive-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        let writer = NumberedWriter()
        writer.start(try prepare(s, name), database: name)
        try await writer.waitForCommits(50)
        let run = try CLI.run(
            [
                "migrate", "external-to-operator-live", "--yes", "--json", "--state-dir", dir + "/state",
                "--source-port", s.livePort, "--databases", name, "--accounts",
                patternsMatchTheReplicationAccount ? "\(name),mariadb\\_migrate%" : name,
                "--storage-dir", dir + "/store",
                "--output-dir", dir + "/out", "--target-host", "127.0.0.1", "--target-port", s.targetPort,
                "--lock", "yes",
            ],
            environment: s.passwords.merging(["MARIADB_ROOT_PASSWORD": s.env.rootPassword]) { a, _ in a })
        await writer.stop()
        #expect(run.status == 0, "\(run.stderr)")
        let finished = run.stdout.split(separator: "\n").filter { $0.contains("\"step-finished\"") }
        #expect(finished.contains { $0.contains("\"cutover\"") && $0.contains("downtime-seconds") }, "\(run.stdout)")
        #expect(finished.last?.contains("\"verify\"") == true)
        let verify = MigrateEvents(run.stdout).outputs(of: "verify")
        #expect(
            verify?["differences"] == "0" && verify?["accounts"] == "1"
                && verify?["left-out"] == "'mariadb_migrate_repl'@'%'", "\(verify ?? [:])")
        // The cutover says the account stays, and how to drop it.
        #expect(run.stdout.contains("DROP USER 'mariadb_migrate_repl'@'%';"), "\(run.stdout)")
        #expect(run.stdout.contains("\"event\":\"lag\"") || run.stdout.contains("\"writes-refused\""))
        let password = try String(contentsOfFile: dir + "/out/replication.password", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let state = try FileManager.default.contentsOfDirectory(atPath: dir + "/state")
            .map { try String(contentsOfFile: dir + "/state/" + $0, encoding: .utf8) }.joined()
        #expect(!run.stdout.contains(password) && !run.stderr.contains(password) && !state.contains(password))
        let onTarget = Set(
            try await query(try s.env.targetTCP(), "SELECT id FROM \(name).t").rows.compactMap { $0[0].int })
        #expect(onTarget == Set(writer.committedSet.filter { $0 % 10 != 0 }))
    }
}
