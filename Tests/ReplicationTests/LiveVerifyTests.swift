import Foundation
import MariaDBClient
import TestSupport
import Testing

@testable import Replication

/// `verify --live` on the live source and its replica while a writer commits: in LiveCutoverTests' suite, whose
/// tests run one at a time, as they all set up the target's replication.
extension LiveCutoverTests {
    struct LiveReport: Decodable {
        struct Table: Decodable {
            struct Row: Decodable {
                var kind: String
                var key: [String]
            }
            var name: String
            var rows: Int
            var chunks: Int
            var differences: Int
            var differingRows: [Row]
            var note: String?
        }
        var tables: [Table]
        var differences: Int
    }

    /// The chunk events of a run's JSON lines: table, the key after which it started, the key it ended at, rows.
    static func chunks(_ stderr: String) -> [(table: String, after: [String]?, upTo: [String]?, rows: Int)] {
        stderr.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "chunk", let table = object["table"] as? String
            else { return nil }
            return (table, object["after"] as? [String], object["up_to"] as? [String], object["rows"] as? Int ?? 0)
        }
    }

    /// Replicates a database with a writer running, as `replicate` sets it up: the writer is returned running.
    func replicating(_ s: Servers, _ name: String, directory dir: String) async throws -> NumberedWriter {
        let writer = NumberedWriter()
        writer.start(try prepare(s, name), database: name)
        try sql(
            s.env, port: s.livePort,
            "CREATE TABLE \(name).wide (a INT, b VARCHAR(20) CHARACTER SET utf8mb4, payload BLOB, "
                + "amount DECIMAL(20,6), "
                + "note TEXT CHARACTER SET utf8mb4, PRIMARY KEY (a, b)); "
                + "INSERT INTO \(name).wide SELECT seq % 50, CONCAT('k', seq), REPEAT(CHAR(seq % 256), 100), seq / 7, "
                + "CONCAT('ü', seq, '€') FROM \(name).seq_1_to_3000; "
                + "CREATE TABLE \(name).bag (x INT, y VARCHAR(10)); "
                + "INSERT INTO \(name).bag VALUES (1,'a'),(1,'a'),(2,'b'); "
                + "CREATE TABLE \(name).big (id INT PRIMARY KEY, v VARCHAR(40)); "
                + "INSERT INTO \(name).big SELECT seq, MD5(seq) FROM \(name).seq_1_to_60000")
        try await writer.waitForCommits(50)
        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir + "/store"] + s.source, environment: s.passwords)
        try #require(backup.status == 0, "\(backup.stderr)")
        let restore = try CLI.run(
            [
                "restore", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", s.targetPort, "--user",
                "root",
            ], environment: s.passwords)
        try #require(restore.status == 0, "\(restore.stderr)")
        let replicate = try CLI.run(
            [
                "replicate", "--storage-dir", dir + "/store", "--create-replication-user",
                "--replication-password-file", dir + "/repl.pw",
            ] + s.source + s.target, environment: s.passwords)
        try #require(replicate.status == 0, "\(replicate.stderr)")
        try await writer.waitForCommits(50)
        return writer
    }

    @Test func liveVerifyFindsNothingWhileTheWriterRunsAndEveryRowChangedBehindReplication() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("lv")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lv-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        let writer = try await replicating(s, name, directory: dir)
        let verify = ["verify", "--live", "--database", name, "--json", "--state-directory", dir + "/vl"]

        // A second writer in a child process of its own: the first one's task shares the cooperative threads with
        // CLI.run's wait, and under the full parallel test run in CI it did not commit once during five verifies.
        let side = try ProcessWriter(
            port: s.livePort, password: s.env.rootPassword, table: "\(name).t", first: 5_000_001,
            stopFile: dir + "/stop-writer")
        let live = try s.env.liveTCP()
        let sideRows = "SELECT COUNT(*) FROM \(name).t WHERE id > 5000000"
        for _ in 0..<500 where try await query(live, sideRows).scalar.int ?? 0 == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        let before = try await query(live, sideRows).scalar.int ?? 0
        for run in 1...5 {
            let result = try CLI.run(verify + s.source + s.target, environment: s.passwords)
            #expect(result.status == 0, "run \(run): \(result.stdout) \(result.stderr)")
            let report = try JSONDecoder().decode(LiveReport.self, from: Data(result.stdout.utf8))
            #expect(report.differences == 0)
            #expect(report.tables.first { $0.name == "\(name).big" }?.rows == 60_000)
            #expect(report.tables.first { $0.name == "\(name).bag" }?.note?.contains("no primary key") == true)
        }
        let after = try await query(live, sideRows).scalar.int ?? 0
        #expect(before > 0 && after > before && side.isRunning, "the writer committed \(before), then \(after)")
        side.stop()
        #expect(writer.counts.refused == 0, "\(writer.lastError)")

        // Behind replication's back: a row changed on the target, one deleted on the source, and rows whose only
        // difference is in a BLOB, a DECIMAL and a utf8mb4 text.
        try sql(
            s.env, port: s.targetPort,
            "SET SESSION sql_log_bin = 0; UPDATE \(name).t SET v = 'changed' WHERE id = 1; "
                + "UPDATE \(name).wide SET payload = CONCAT(payload, 'x') WHERE a = 1 AND b = 'k1'; "
                + "UPDATE \(name).wide SET amount = amount + 0.000001 WHERE a = 2 AND b = 'k2'; "
                + "UPDATE \(name).wide SET note = CONCAT(note, CHAR(0xF09F9880 USING utf8mb4)) "
                + "WHERE a = 3 AND b = 'k3'; "
                + "DELETE FROM \(name).bag WHERE x = 2")
        try sql(s.env, port: s.livePort, "SET SESSION sql_log_bin = 0; DELETE FROM \(name).t WHERE id = 2")
        let found = try CLI.run(verify + ["--show-rows", "5"] + s.source + s.target, environment: s.passwords)
        #expect(found.status == 1, "\(found.stdout) \(found.stderr)")
        let report = try JSONDecoder().decode(LiveReport.self, from: Data(found.stdout.utf8))
        let t = try #require(report.tables.first { $0.name == "\(name).t" })
        #expect(
            t.differingRows.map { "\($0.kind) \($0.key.joined(separator: ","))" }.sorted() == [
                "differs '1'", "only-on-target '2'",
            ])
        let wide = try #require(report.tables.first { $0.name == "\(name).wide" })
        #expect(Set(wide.differingRows.map(\.key)) == [["'1'", "'k1'"], ["'2'", "'k2'"], ["'3'", "'k3'"]])
        #expect(wide.differingRows.allSatisfy { $0.kind == "differs" })
        #expect(report.tables.first { $0.name == "\(name).bag" }?.differences ?? 0 > 0)
        #expect(report.tables.first { $0.name == "\(name).big" }?.differences == 0)
        // The text report names the keys too.
        let text = try CLI.run(
            Array(verify.filter { $0 != "--json" }) + s.source + s.target, environment: s.passwords)
        #expect(text.status == 1 && text.stdout.contains("only-on-target: key ('2')"), "\(text.stdout)")
        // The cutover reads that record and refuses; nothing changes on either server.
        let cutover = try CLI.run(
            ["cutover", "--yes", "--verify-state-directory", dir + "/vl"] + s.source + s.target,
            environment: s.passwords)
        ErrorCatalog.expect("cutover-after-differences", cutover)
        let readOnly = try await query(try s.env.liveTCP(), "SELECT @@GLOBAL.read_only").scalar.int
        #expect(readOnly == 0)
        await writer.stop()
    }

    @Test func aKilledLiveVerifyResumesAndComparesEachChunkOnce() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("lvr")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lvr-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        let writer = try await replicating(s, name, directory: dir)
        // Chunks of about a millisecond: the big table takes hundreds of them, so the kill lands inside it.
        let verify =
            [
                "verify", "--live", "--database", name, "--json", "--state-directory", dir + "/vl", "--chunk-time",
                "0.001",
            ]
            + s.source + s.target
        let big = "\(name).big"
        var first: (status: Int32, stdout: String, stderr: String) = (0, "", "")
        var killed = false
        for _ in 0..<3 where !killed {
            let run = try BackgroundRun(verify, environment: s.passwords)
            // Keys are sorted in the JSON lines: this is a chunk event of the big table.
            let chunkOfBig = "\"table\":\"\(big)\",\"up_to\""
            killed = await run.signal(SIGKILL, interval: 2_000) { run.stderrSoFar.contains(chunkOfBig) }
            first = run.wait()
            if first.status == 0 { killed = false }
        }
        try #require(killed, "the live verify ended before it reached \(big) three times: \(first.stderr.suffix(500))")
        let resumed = try CLI.run(verify + ["--resume"], environment: s.passwords)
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")

        let before = Self.chunks(first.stderr).filter { $0.table == big }
        let after = Self.chunks(resumed.stderr).filter { $0.table == big }
        let last = try #require(before.last, "no chunk of \(big) before the kill")
        let next = try #require(after.first, "no chunk of \(big) after the resume")
        let point = try #require(
            resumed.stderr.split(separator: "\n").compactMap { line -> [String: Any]? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["event"] as? String == "resumed"
                else { return nil }
                return object
            }.first, "\(resumed.stderr.prefix(500))")
        func number(_ key: [String]?) -> Int { Int(key?.first?.trimmingCharacters(in: ["'"]) ?? "") ?? -1 }
        let resumedAfter = point["after"] as? [String]
        // It goes on from the last chunk it saved: no key range compared twice, none left out. The kill may land
        // between a chunk's save and its report, so the last reported chunk ends at or one chunk before that point.
        #expect(point["table"] as? String == big)
        #expect(
            next.after == resumedAfter, "\(String(describing: next.after)) after \(String(describing: resumedAfter))")
        #expect(number(last.upTo) <= number(resumedAfter))
        let savedRows = point["rows"] as? Int ?? -1
        #expect(before.reduce(0) { $0 + $1.rows } <= savedRows)
        #expect(savedRows + after.reduce(0) { $0 + $1.rows } == 60_000)
        // Tables finished before the kill are not compared again.
        let finished = Set(Self.chunks(first.stderr).map(\.table)).subtracting([big])
        #expect(Set(Self.chunks(resumed.stderr).map(\.table)).isDisjoint(with: finished))

        let nothing = try CLI.run(verify + ["--resume"], environment: s.passwords)
        #expect(nothing.status == 2, "\(nothing.stderr)")
        ErrorCatalog.expect("live-verify-resume-finished", nothing)
        let unknown = try CLI.run(
            verify.filter { $0 != "--json" } + ["--connection-name", "nosuch"], environment: s.passwords)
        ErrorCatalog.expect("live-verify-no-replication", unknown)
        await writer.stop()
    }
}

extension LiveCutoverTests {
    /// The inserted ids and the counter updates of writers, for comparing with a server.
    static func expected(_ writers: [NumberedWriter]) -> (ids: Set<Int>, updates: Int) {
        let committed = writers.reduce(into: Set<Int>()) { $0.formUnion($1.committedSet) }
        return (committed.filter { $0 % 10 != 0 }, committed.filter { $0 % 10 == 0 }.count)
    }

    @Test func aReversibleCutoverSwitchesBackWithEveryWriteAndForwardAgain() async throws {
        let s = try servers()
        let name = TestEnvironment.uniqueName("rev")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rev-\(UUID().uuidString)").path
        defer { cleanUp(s, name, directory: dir) }
        let onSource = try await replicating(s, name, directory: dir)
        let password = ["--replication-password-file", dir + "/repl.pw", "--json"]
        struct Report: Decodable {
            var writeDowntimeSeconds: Double
            var wayBack: String?
        }

        let forward = try CLI.run(
            ["cutover", "--yes", "--reversible"] + password + s.source + s.target, environment: s.passwords)
        try #require(forward.status == 0, "\(forward.stdout) \(forward.stderr)")
        #expect(try JSONDecoder().decode(Report.self, from: Data(forward.stdout.utf8)).wayBack
            == "mariadb_migrate_reverse")
        for _ in 0..<3000 where onSource.counts.refused < 5 { try await Task.sleep(for: .milliseconds(10)) }
        await onSource.stop()

        // The application now writes on the new server, with an account read_only stops (root would pass); made
        // there without binlogging it, as the operator's User CR would make it outside the reverse stream's filter.
        try sql(
            s.env, port: s.targetPort,
            "SET SESSION sql_log_bin = 0; CREATE USER \(name)@'127.0.0.1' IDENTIFIED BY 'writer-pw'; "
                + "GRANT SELECT, INSERT, UPDATE ON \(name).* TO \(name)@'127.0.0.1'")
        let onTarget = NumberedWriter()
        onTarget.start(
            ConnectionSettings(
                transport: .tcp(host: "127.0.0.1", port: Int(s.targetPort)!), user: name, password: "writer-pw"),
            database: name, first: 1_000_001)
        try await onTarget.waitForCommits(200)
        let back = try CLI.run(
            ["cutover", "--yes", "--revert"] + password + s.source + s.target, environment: s.passwords)
        try #require(back.status == 0, "\(back.stdout) \(back.stderr)")
        #expect(try JSONDecoder().decode(Report.self, from: Data(back.stdout.utf8)).wayBack == "mariadb_migrate")
        for _ in 0..<3000 where onTarget.counts.refused < 5 { try await Task.sleep(for: .milliseconds(10)) }
        await onTarget.stop()
        #expect(onTarget.counts.refused >= 5, "the new server took writes after the revert")

        // Every row committed on either side is on the old server, once, and none that a read-only server refused.
        let live = try s.env.liveTCP()
        let (ids, updates) = Self.expected([onSource, onTarget])
        let there = try await query(live, "SELECT id FROM \(name).t").rows.compactMap { $0[0].int }
        #expect(there.count == Set(there).count)
        let missing = ids.subtracting(there).sorted()
        let extra = Set(there).subtracting(ids).sorted()
        #expect(missing.isEmpty && extra.isEmpty, "missing \(missing.prefix(10)), not committed \(extra.prefix(10))")
        #expect(try await query(live, "SELECT n FROM \(name).counter").scalar.int == updates)
        #expect(try await query(live, "SELECT @@GLOBAL.read_only").scalar.int == 0)

        // A reverse stream already there is refused before anything changes.
        try sql(
            s.env, port: s.livePort,
            "CHANGE MASTER 'mariadb_migrate_reverse' TO MASTER_HOST='127.0.0.1', MASTER_PORT=1, MASTER_USER='x'")
        let twice = try CLI.run(
            ["cutover", "--yes", "--reversible"] + password.dropLast() + s.source + s.target, environment: s.passwords)
        ErrorCatalog.expect("reverse-stream-there", twice)
        #expect(try await query(live, "SELECT @@GLOBAL.read_only").scalar.int == 0)
        try sql(s.env, port: s.livePort, "RESET SLAVE 'mariadb_migrate_reverse' ALL")

        // Forward once more, then the way back goes: no replication on either server.
        let again = try CLI.run(
            ["cutover", "--yes", "--reversible"] + password + s.source + s.target, environment: s.passwords)
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
        let finish = try CLI.run(["cutover", "--finish"] + s.source + s.target, environment: s.passwords)
        #expect(finish.status == 0, "\(finish.stdout) \(finish.stderr)")
        #expect(try await query(live, "SHOW ALL SLAVES STATUS").rows.isEmpty)
        #expect(try await query(try s.env.targetTCP(), "SHOW ALL SLAVES STATUS").rows.isEmpty)
        let nothing = try CLI.run(["cutover", "--yes", "--revert"] + password + s.source + s.target,
            environment: s.passwords)
        ErrorCatalog.expect("revert-nothing", nothing)
    }
}

extension LiveCutoverTests {
    /// The way back's checks refuse before anything changes: a target without a binlog, and one with the
    /// source's server_id. The CLI prints them as `Error: …` with exit 1, as held here.
    @Test func aWayBackThatCannotWorkIsRefusedFirst() async throws {
        let s = try servers()
        let live = try await MariaDBConnection.connect(try s.env.liveTCP())
        let way = WayBack(connectionName: WayBack.reverseConnectionName, host: "127.0.0.1", port: 1, user: "x",
            password: "unused")
        let noBinlog = try await FreshServer()
        defer { noBinlog.stop() }
        await #expect(throws: WayBackError.self) {
            do {
                _ = try await way.check(
                    losing: live, taking: try await MariaDBConnection.connect(noBinlog.settings), drained: "x")
            } catch {
                ErrorCatalog.expect("reverse-no-binlog", status: 1, output: "Error: \(error.localizedDescription)")
                throw error
            }
        }
        let liveID = try await live.query("SELECT @@GLOBAL.server_id").scalar.int ?? 0
        let sameID = try await FreshServer(options: ["--log-bin=mysql-bin", "--server-id=\(liveID)"])
        defer { sameID.stop() }
        await #expect(throws: WayBackError.serverIDClash(id: liveID)) {
            do {
                _ = try await way.check(
                    losing: live, taking: try await MariaDBConnection.connect(sameID.settings), drained: "x")
            } catch {
                ErrorCatalog.expect("reverse-server-id", status: 1, output: "Error: \(error.localizedDescription)")
                throw error
            }
        }
        #expect(try await live.query("SHOW ALL SLAVES STATUS").rows.isEmpty)
    }
}

/// Inserts numbered rows from a child process (a shell loop into the mariadb client, the password in its
/// environment), a statement every 5 ms, until `stop`: it writes whatever the test process's threads are doing.
final class ProcessWriter: @unchecked Sendable {
    private let process = Process()
    private let stopFile: String

    init(port: String, password: String, table: String, first: Int, stopFile: String) throws {
        self.stopFile = stopFile
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [
            "-c",
            "i=\(first); while [ ! -e \"$STOP\" ]; do echo \"INSERT INTO \(table) (id, v) VALUES ($i, 'side');\"; "
                + "i=$((i + 1)); sleep 0.005; done | mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["MYSQL_PWD": password, "STOP": stopFile]) {
            $1
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// The loop sees the file and ends; the client reads to the end of its input and exits.
    func stop() {
        FileManager.default.createFile(atPath: stopFile, contents: nil)
        process.waitUntilExit()
    }
}
