import Foundation
import MariaDBClient
import Testing
import TestSupport

/// A restore interrupted at many points (the tool killed, stopped, the target server crashed) and
/// resumed with `restore --resume` ends with exactly the source's data, and the wizard's resumed
/// restore step goes on where it stopped.
@Suite(.serialized)
struct ResumableRestoreTests {
    static let tables = ["aria", "big", "child", "nokey", "parent"]

    /// Tables of each kind that matter: a first table without transactions (Aria), a big one of
    /// many chunks with deferred secondary keys, one without a primary key holding duplicate rows,
    /// one with a foreign key; a view, a trigger, routines and an event at the end.
    static func fill(_ connection: MariaDBConnection, _ db: String) async throws {
        try await connection.execute([
            "DROP DATABASE IF EXISTS \(db)", "CREATE DATABASE \(db)", "USE \(db)",
            "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(50), KEY by_name (name)) ENGINE=InnoDB",
            "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(200), KEY by_a (a), "
                + "KEY by_b (b(20)), KEY by_ab (a, id)) ENGINE=InnoDB",
            "CREATE TABLE nokey (a INT, b VARCHAR(100)) ENGINE=InnoDB",
            "CREATE TABLE aria (id INT, v VARCHAR(100)) ENGINE=Aria",
            "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, KEY by_parent (parent_id), "
                + "CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent(id)) ENGINE=InnoDB",
            "INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_1000",
            "INSERT INTO big (a, b) SELECT seq % 977, REPEAT(MD5(seq), 5) FROM seq_1_to_200000",
            "INSERT INTO nokey SELECT seq % 10, REPEAT('x', seq % 50) FROM seq_1_to_80000",
            // Rows that are equal: only a multiset comparison tells one copy from two.
            "INSERT INTO nokey SELECT * FROM nokey LIMIT 2000",
            "INSERT INTO aria SELECT seq, MD5(seq) FROM seq_1_to_60000",
            "INSERT INTO child SELECT seq, seq % 1000 + 1 FROM seq_1_to_5000",
            "CREATE VIEW v AS SELECT a, COUNT(*) c FROM big GROUP BY a",
            "CREATE TRIGGER t BEFORE INSERT ON child FOR EACH ROW SET NEW.parent_id = NEW.parent_id",
            "CREATE PROCEDURE p() SELECT 1",
            "CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1",
        ])
        // Enough routines that the objects at the end take a moment to restore: the point there is
        // hit while they load, not after the run has ended.
        try await connection.execute((1...200).map { "CREATE PROCEDURE p\($0)() SELECT \($0)" })
    }

    /// What must come out the same: each table's rows as a multiset (CHECKSUM TABLE sums per-row
    /// checksums, so order does not count and a duplicate does), its definition with key order,
    /// and the objects.
    static func image(_ connection: MariaDBConnection, _ db: String) async throws -> [String] {
        var lines: [String] = []
        for table in tables {
            let sum = try await connection.query("CHECKSUM TABLE \(db).\(table)").rows.first?[1].string ?? "-"
            let count = try await connection.query("SELECT COUNT(*) FROM \(db).\(table)").scalar.string ?? "-"
            let create = try await connection.query("SHOW CREATE TABLE \(db).\(table)").rows.first?[1].string ?? "-"
            lines.append("\(table) \(count) \(sum) \(create)")
        }
        for (what, query) in [
            ("routines", "SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY 1) FROM information_schema.ROUTINES"),
            ("triggers", "SELECT GROUP_CONCAT(TRIGGER_NAME ORDER BY 1) FROM information_schema.TRIGGERS"),
            ("events", "SELECT GROUP_CONCAT(EVENT_NAME ORDER BY 1) FROM information_schema.EVENTS"),
            ("views", "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY 1) FROM information_schema.VIEWS"),
        ] {
            let column = what == "routines" ? "ROUTINE" : what == "triggers" ? "TRIGGER" : what == "events"
                ? "EVENT" : "TABLE"
            let value = try await connection.query("\(query) WHERE \(column)_SCHEMA = '\(db)'").scalar.string
            lines.append("\(what) \(value ?? "")")
        }
        return lines
    }

    /// How a run is interrupted, and when.
    enum Interruption {
        case signal(Int32)
        case serverCrash
    }

    struct Point {
        var name: String
        /// A query on the target whose first value turns non-zero when the moment has come.
        var when: String
        var how: Interruption
    }

    static func points(_ db: String) -> [Point] {
        let done = "_mariadb_migrate.restore_done"
        return [
            Point(name: "after the first CREATE TABLE", when: "SELECT COUNT(*) FROM \(done) WHERE object <> ''",
                  how: .signal(SIGKILL)),
            // From the restore's own (InnoDB) records: a COUNT(*) of the Aria table itself waits on its
            // table lock, and under load missed the whole load once.
            Point(name: "during the rows of the first table (Aria)",
                  when: "SELECT COUNT(*) FROM \(done) WHERE part = 0 AND row_count > 0", how: .signal(SIGKILL)),
            Point(name: "SIGTERM in the big table", when: "SELECT COUNT(*) >= 40000 FROM \(db).big",
                  how: .signal(SIGTERM)),
            Point(name: "mid-way through the big table", when: "SELECT COUNT(*) >= 100000 FROM \(db).big",
                  how: .signal(SIGKILL)),
            Point(name: "server crash in the big table", when: "SELECT COUNT(*) >= 150000 FROM \(db).big",
                  how: .serverCrash),
            Point(name: "during an index build",
                  when: "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE%ADD%'",
                  how: .signal(SIGKILL)),
            Point(name: "in the table without a key", when: "SELECT COUNT(*) >= 20000 FROM \(db).nokey",
                  how: .signal(SIGKILL)),
            Point(name: "server crash in the table without a key",
                  when: "SELECT COUNT(*) >= 50000 FROM \(db).nokey", how: .serverCrash),
            Point(name: "during the objects at the end",
                  when: "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '\(db)'",
                  how: .signal(SIGKILL)),
        ]
    }

    /// Sends `signal` to the run the moment `query` holds on the FreshServer at `port`; false when the
    /// run ended first. The watch runs on a thread of its own with the client as a child: under a full
    /// test run the cooperative threads were all blocked by other tests' child processes, and a poll
    /// on them missed a whole restore.
    static func signal(_ signal: Int32, to run: BackgroundRun, when query: String, port: Int) async -> Bool {
        await run.signal(signal) { holds(query, port: port) }
    }

    /// Whether `query` gives a number above 0 (the password in the environment, not on argv).
    static func holds(_ query: String, port: Int) -> Bool {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["mariadb", "--no-defaults", "-h127.0.0.1", "-P\(port)", "-uroot", "-N", "-B", "-e", query]
        client.environment = ProcessInfo.processInfo.environment.merging(["MYSQL_PWD": FreshServer.password]) { $1 }
        let output = Pipe()
        client.standardOutput = output
        client.standardError = FileHandle.nullDevice
        guard (try? client.run()) != nil else { return false }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        return (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0
    }

    @Test(.timeLimit(.minutes(30)))
    func aRestoreInterruptedAtNinePointsResumesToTheSourcesData() async throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("resume")
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        try await Self.fill(source, db)
        defer { Task { try? await source.query("DROP DATABASE IF EXISTS \(db)") } }
        let expected = try await Self.image(source, db)
        let dir = NSTemporaryDirectory() + "mm-resume-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let password = ["MARIADB_PASSWORD": env.rootPassword]
        let backup = try CLI.run(
            [
                "backup", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
                "--database", db, "--storage-dir", dir, "--compression", "gzip",
            ], environment: password)
        try #require(backup.status == 0, "\(backup.stderr)")

        let target = try await FreshServer()
        defer { target.stop() }
        func restore(_ extra: [String]) -> [String] {
            [
                "restore", "--host", "127.0.0.1", "--port", String(target.server.port), "--user", "root",
                "--storage-dir", dir, "--chunk-size", "256KiB", "--parallel", "2",
            ] + extra
        }
        let targetPassword = ["MARIADB_PASSWORD": FreshServer.password]
        for point in Self.points(db) {
            // A run that ends before its point (the watch lost the race under a loaded machine) is
            // undone and started again, up to three times.
            var stopped: (status: Int32, stdout: String, stderr: String) = (0, "", "")
            var reached = false
            for _ in 0..<3 where !reached {
                let run = try BackgroundRun(restore([]), environment: targetPassword)
                switch point.how {
                case .signal(let signal):
                    reached = await Self.signal(signal, to: run, when: point.when, port: target.server.port)
                case .serverCrash:
                    // Frozen at the point while the server crashes and comes back; its connections are gone then.
                    reached = await Self.signal(SIGSTOP, to: run, when: point.when, port: target.server.port)
                    if reached { try await target.crashAndRestart() }
                    kill(run.process.processIdentifier, SIGCONT)
                }
                stopped = run.wait()
                // The signal landed after the run had ended well: missed too.
                if reached && stopped.status == 0 { reached = false }
                if !reached {
                    try await MariaDBConnection.connect(target.settings).execute([
                        "DROP DATABASE IF EXISTS \(db)", "DROP DATABASE IF EXISTS _mariadb_migrate",
                    ])
                }
            }
            let missed =
                "\(point.name): the restore ended before that point three times (exit \(stopped.status)): "
                + "\(stopped.stderr) \(stopped.stdout.suffix(500))"
            try #require(reached, "\(missed)")
            #expect(stopped.status != 0, "\(point.name)")
            if case .serverCrash = point.how {
                #expect(stopped.stderr.contains("run the same restore with --resume"), "\(stopped.stderr)")
            }
            if case .signal(SIGTERM) = point.how { #expect(stopped.status == 130, "\(stopped.stderr)") }

            let resumed = try CLI.run(restore(["--resume"]), environment: targetPassword)
            #expect(resumed.status == 0, "\(point.name): \(resumed.stderr)")
            #expect(resumed.stdout.contains("resumed the restore started"), "\(point.name): \(resumed.stdout)")
            let connection = try await MariaDBConnection.connect(target.settings)
            #expect(try await Self.image(connection, db) == expected, "\(point.name)")
            let left = try await connection.query(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '_mariadb_migrate'"
            ).scalar.int
            #expect(left == 0, "\(point.name): the progress schema was left behind")
            let verify = try CLI.run(
                [
                    "verify", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
                    "--target-host", "127.0.0.1", "--target-port", String(target.server.port), "--target-user", "root",
                    "--database", db,
                ],
                environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": FreshServer.password])
            #expect(
                verify.status == 0 && verify.stdout.contains("no differences"),
                "\(point.name): \(verify.stdout) \(verify.stderr)")
            try await connection.query("DROP DATABASE \(db)")
        }
    }

    /// What a resume refuses, each with its docs/errors.md row: a plain restore into an unfinished
    /// target, a resume of another backup, a target changed since, unreadable records (which
    /// --restart drops), nothing to resume, --resume with --restart; and what --dry-run shows.
    @Test(.timeLimit(.minutes(30)))
    func resumesThatCannotGoOnAreRefusedAndSaySo() async throws {
        let env = try TestEnvironment.require()
        let db = TestEnvironment.uniqueName("refuse")
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        try await Self.fill(source, db)
        defer { Task { try? await source.query("DROP DATABASE IF EXISTS \(db)") } }
        let dir = NSTemporaryDirectory() + "mm-refuse-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let password = ["MARIADB_PASSWORD": env.rootPassword]
        var names: [String] = []
        for _ in 0..<2 {
            let backup = try CLI.run(
                [
                    "backup", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
                    "--database", db, "--storage-dir", dir, "--compression", "gzip", "--json",
                ], environment: password)
            try #require(backup.status == 0, "\(backup.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".sql.gz") }
            names = files.sorted()
            // Backup names are by the second.
            if names.count < 2 { try await Task.sleep(for: .milliseconds(1100)) }
        }
        try #require(names.count == 2, "\(names)")
        let target = try await FreshServer()
        defer { target.stop() }
        let targetPassword = ["MARIADB_PASSWORD": FreshServer.password]
        func restore(_ extra: [String]) -> [String] {
            [
                "restore", "--host", "127.0.0.1", "--port", String(target.server.port), "--user", "root",
                "--storage-dir", dir, "--chunk-size", "256KiB", "--file", names[0],
            ] + extra
        }
        let nothing = try CLI.run(restore(["--resume"]), environment: targetPassword)
        ErrorCatalog.expect("resume-nothing", nothing)
        ErrorCatalog.expect("resume-and-restart", try CLI.run(restore(["--resume", "--restart"])))

        let run = try BackgroundRun(restore([]), environment: targetPassword)
        let reached = await Self.signal(
            SIGKILL, to: run, when: "SELECT COUNT(*) >= 100000 FROM \(db).big", port: target.server.port)
        _ = run.wait()
        try #require(reached)

        ErrorCatalog.expect("restore-unfinished-target", try CLI.run(restore([]), environment: targetPassword))
        var other = restore(["--resume"])
        other[other.firstIndex(of: names[0])!] = names[1]
        ErrorCatalog.expect("resume-other-backup", try CLI.run(other, environment: targetPassword))

        let dryRun = try CLI.run(restore(["--resume", "--dry-run"]), environment: targetPassword)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("resumes: skips what the restore started"), "\(dryRun.stdout)")

        let connection = try await MariaDBConnection.connect(target.settings)
        try await connection.query("DELETE FROM \(db).big LIMIT 10")
        ErrorCatalog.expect("resume-target-changed", try CLI.run(restore(["--resume"]), environment: targetPassword))

        try await connection.query("DROP TABLE _mariadb_migrate.restore_done")
        ErrorCatalog.expect(
            "resume-progress-unreadable", try CLI.run(restore(["--resume"]), environment: targetPassword))
        let restarted = try CLI.run(restore(["--restart", "--keep-progress"]), environment: targetPassword)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(restarted.stderr.contains("--restart: dropping the schema _mariadb_migrate"), "\(restarted.stderr)")
        #expect(try await Self.image(connection, db) == (try await Self.image(source, db)))

        // Kept, marked finished, until a verify that passes drops it.
        let finished = "SELECT COUNT(*) FROM _mariadb_migrate.restore_state WHERE finished = 1"
        #expect(try await connection.query(finished).scalar.int == 1)
        let verify = try CLI.run(
            [
                "verify", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
                "--target-host", "127.0.0.1", "--target-port", String(target.server.port), "--target-user", "root",
                "--database", db, "--drop-restore-progress",
            ],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": FreshServer.password])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("dropped the restore progress of \(names[0])"), "\(verify.stdout)")
        let schemas = "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '_mariadb_migrate'"
        #expect(try await connection.query(schemas).scalar.int == 0)
    }

    /// The wizard: `migrate external-to-operator` killed during its restore step, then
    /// `migrate --resume ID`: the step goes on from the target's progress records (its JSON resume
    /// event and the step's skipped-statements say how much it did not load again) and verify is green.
    @Test(.timeLimit(.minutes(30)))
    func aMigrationKilledDuringItsRestoreResumesTheLoad() async throws {
        let source = try await FreshServer()
        defer { source.stop() }
        let target = try await FreshServer()
        defer { target.stop() }
        let db = "resumed"
        try await Self.fill(try await MariaDBConnection.connect(source.settings), db)
        let dir = NSTemporaryDirectory() + "mm-resume-wizard-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let passwords = [
            "MARIADB_PASSWORD": FreshServer.password, "MARIADB_ROOT_PASSWORD": FreshServer.password,
            "MARIADB_TARGET_PASSWORD": FreshServer.password,
        ]
        let run = try BackgroundRun(
            [
                "migrate", "external-to-operator", "--yes", "--json", "--state-dir", dir + "/state", "--source-port",
                String(source.server.port), "--storage-dir", dir + "/store", "--target-host", "127.0.0.1",
                "--target-port", String(target.server.port), "--output-dir", dir + "/out",
            ], environment: passwords)
        let reached = await Self.signal(
            SIGKILL, to: run, when: "SELECT COUNT(*) >= 100000 FROM \(db).big", port: target.server.port)
        let killed = run.wait()
        try #require(reached, "the migration ended before its restore was half-way: \(killed.stdout)")
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: dir + "/state").first)
            .replacingOccurrences(of: ".json", with: "")

        let resumed = try CLI.run(
            ["migrate", "--resume", id, "--yes", "--json", "--state-dir", dir + "/state"], environment: passwords)
        #expect(resumed.status == 0, "\(resumed.stderr) \(resumed.stdout.suffix(2000))")
        let events = MigrateEvents(resumed.stdout)
        #expect(events.finishedSteps.last == "verify", "\(resumed.stdout)")
        #expect(events.outputs(of: "verify")?["differences"] == "0", "\(resumed.stdout)")
        let skipped = Int(events.outputs(of: "restore")?["skipped-statements"] ?? "") ?? 0
        #expect(skipped > 0, "\(resumed.stdout)")
        let resume = try #require(events.events.first { $0["event"] as? String == "resume" }, "\(resumed.stdout)")
        // The finished tables and the committed part of the big one are not loaded again.
        #expect((resume["rows_loaded"] as? Int ?? 0) >= 100_000, "\(resume)")
        #expect(resume["step"] as? String == "restore")
        // The restore step kept its progress until the verify step proved it, which dropped it.
        let left = try await MariaDBConnection.connect(target.settings).query(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '_mariadb_migrate'"
        ).scalar.int
        #expect(left == 0)
        #expect(resumed.stdout.contains("dropped the restore progress of backup."), "\(resumed.stdout.suffix(3000))")
    }
}
