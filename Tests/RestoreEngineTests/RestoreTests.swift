import BackupEngine
import Compression
import Dump
import Foundation
import Hashing
import MariaDBClient
import ObjectStore
import TestSupport
import Testing
import UTCTime
import Verification

@testable import RestoreEngine

func temporaryStore() throws -> DirectoryStore {
    try DirectoryStore(
        path: FileManager.default.temporaryDirectory.appendingPathComponent("rs-\(UUID().uuidString)").path,
        create: true)
}

/// A bucket of its own on the test S3 server; `endpoint` (a fault proxy in front of it) is where the store
/// sends its requests.
func s3Store(_ env: TestEnvironment, through endpoint: String? = nil) async throws -> S3Store {
    let bucket = "rs-\(UInt32.random(in: 0...UInt32.max))"
    let upstream = try env["MM_TEST_S3_ENDPOINT"]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sf", "-o", "/dev/null", "-X", "PUT", "\(upstream)/\(bucket)"]
    try process.run()
    process.waitUntilExit()
    let configuration = try S3Configuration(
        bucket: bucket, prefix: "restore", endpoint: S3Endpoint.parse(endpoint ?? upstream, tlsEnabled: false))
    return S3Store(
        configuration: configuration,
        credentials: StaticCredentials(.init(accessKeyId: "testing", secretAccessKey: "testing"), source: "test"))
}

/// A database with every kind of object a dump carries, and rows that stress the splitter.
func seed(_ connection: MariaDBConnection, _ name: String, rows: Int = 20000) async throws {
    try await connection.execute([
        "CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        "CREATE TABLE `\(name)`.t (id INT PRIMARY KEY, note VARCHAR(100), raw BLOB, amount DECIMAL(10,2))",
        "INSERT INTO `\(name)`.t SELECT seq, CONCAT('row ', seq, ' ;\\n\\'q\\' \"dq\" é'), UNHEX(MD5(seq)), seq / 7 "
            + "FROM `\(name)`.seq_1_to_\(rows)",
        "CREATE TABLE `\(name)`.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20)) ENGINE=MyISAM",
        "INSERT INTO `\(name)`.log (what) VALUES ('a'), ('b')",
        "CREATE VIEW `\(name)`.v AS SELECT COUNT(*) AS n FROM `\(name)`.t",
        "CREATE PROCEDURE `\(name)`.p() BEGIN SELECT 1; SELECT ';;'; END",
        "CREATE FUNCTION `\(name)`.f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
        "CREATE TRIGGER `\(name)`.tr BEFORE INSERT ON `\(name)`.t FOR EACH ROW SET NEW.note = UPPER(NEW.note)",
        "CREATE EVENT `\(name)`.e ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM `\(name)`.log WHERE id < 0",
    ])
}

func backup(
    _ env: TestEnvironment, databases: [String], compression: CompressionAlgorithm, store: any ObjectStore,
    at time: UTCDateTime = UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970))
) async throws -> BackupManifest {
    try await BackupPipeline.run(
        BackupRequest(
            connection: try env.sourceTCP(), dump: DumpOptions(databases: databases),
            compression: compression, now: time), store: store)
}

func differences(_ env: TestEnvironment, databases: [String]) async throws -> [String] {
    let source = try await Inventory.take(
        from: try await MariaDBConnection.connect(try env.sourceTCP()), databases: databases, accounts: false)
    let target = try await Inventory.take(
        from: try await MariaDBConnection.connect(try env.targetTCP()), databases: databases, accounts: false)
    #expect(source.schemas.count == databases.count)
    return Inventory.differences(source: source, target: target)
}

/// The test servers and a database of the test's own on the source (seeded when `seedRows` is given),
/// dropped from both servers when the test is done.
struct ScratchDatabase {
    let env: TestEnvironment
    let source: MariaDBConnection
    let target: MariaDBConnection
    let name: String

    static func make(_ prefix: String, seedRows: Int? = nil) async throws -> ScratchDatabase {
        let env = try TestEnvironment.require()
        let scratch = ScratchDatabase(
            env: env, source: try await MariaDBConnection.connect(try env.sourceTCP()),
            target: try await MariaDBConnection.connect(try env.targetTCP()), name: TestEnvironment.uniqueName(prefix))
        if let seedRows { try await seed(scratch.source, scratch.name, rows: seedRows) }
        return scratch
    }

    func drop() {
        let (source, target, name) = (source, target, name)
        Task {
            _ = try? await source.query("DROP DATABASE `\(name)`")
            _ = try? await target.query("DROP DATABASE `\(name)`")
        }
    }
}

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct RestoreTests {
    enum Where: String, CaseIterable, Sendable { case s3, directory }

    @Test(arguments: [
        (CompressionAlgorithm.gzip, Where.s3, 2), (.gzip, .s3, 1), (.bzip2, .directory, 2), (.none, .directory, 1),
        (.none, .s3, 3),
    ])
    func roundTripLeavesNoDifference(compression: CompressionAlgorithm, place: Where, parallel: Int) async throws {
        let scratch = try await ScratchDatabase.make("rt", seedRows: 20000)
        defer { scratch.drop() }
        let (env, target, name) = (scratch.env, scratch.target, scratch.name)
        let store: any ObjectStore = place == .s3 ? try await s3Store(env) : try temporaryStore()
        let manifest = try await backup(env, databases: [name], compression: compression, store: store)
        // One case pipes into the client (--parallel 1 without progress tracking); the others track.
        let tracked = !(parallel == 1 && place == .s3)
        let report = try await RestorePipeline.run(
            RestoreRequest(
                connection: try env.targetTCP(), target: .time(manifest.startedAt), parallel: parallel,
                trackProgress: tracked),
            store: store)
        #expect(report.name == manifest.name && report.verifiedAgainstManifest)
        #expect(report.method == (tracked ? .parallel : .client) && report.tracked == tracked)
        #expect(report.sqlSHA256 == manifest.sql.sha256 && report.objectSHA256 == manifest.object.sha256)
        #expect(try await differences(env, databases: [name]) == [])
        // The trigger exists but did not fire during the load: the notes kept their case.
        #expect(
            try await target.query("SELECT note FROM `\(name)`.t WHERE id = 1").scalar.string?.hasPrefix("row 1 ")
                == true)
    }

    @Test func theTargetTimePicksTheNewestAtOrBefore() async throws {
        let env = try TestEnvironment.require()
        let store = try temporaryStore()
        // Names only: the operator's selection cases (before, between, exact, after).
        for time in ["2024-08-26T10:00:00Z", "2024-08-26T11:00:00Z", "2024-08-26T12:00:00Z"] {
            try await store.put(name: "backup.\(time).sql", bytes: Array("SELECT 1;\n".utf8))
        }
        try await store.put(name: "backup.2024-08-26T11:30:00.5Z.sql", bytes: [])  // not a name the operator reads
        func pick(_ time: String) async throws -> String {
            try await RestorePipeline.choose(.time(UTCDateTime.parseRFC3339(time)!), store: store).name
        }
        #expect(try await pick("2024-08-26T10:30:00Z") == "backup.2024-08-26T10:00:00Z.sql")
        #expect(try await pick("2024-08-26T11:00:00Z") == "backup.2024-08-26T11:00:00Z.sql")
        #expect(try await pick("2024-08-26T11:59:59Z") == "backup.2024-08-26T11:00:00Z.sql")
        #expect(try await pick("2030-01-01T00:00:00Z") == "backup.2024-08-26T12:00:00Z.sql")
        await #expect(
            throws: BackupSelectionError.noneAtOrBefore(
                target: UTCDateTime.parseRFC3339("2024-08-26T09:00:00Z")!,
                earliest: BackupName(parsing: "backup.2024-08-26T10:00:00Z.sql")!,
                location: store.location)
        ) {
            try await pick("2024-08-26T09:00:00Z")
        }
        // And a real restore picks the middle one of three backups taken at known times.
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let name = TestEnvironment.uniqueName("tt")
        try await source.execute(["CREATE DATABASE `\(name)`", "CREATE TABLE `\(name)`.t (v INT)"])
        defer {
            Task {
                try? await source.query("DROP DATABASE `\(name)`")
                try? await target.query("DROP DATABASE `\(name)`")
            }
        }
        let real = try temporaryStore()
        for (index, time) in [1_700_000_000, 1_700_003_600, 1_700_007_200].enumerated() {
            try await source.query("INSERT INTO `\(name)`.t VALUES (\(index + 1))")
            _ = try await backup(
                env, databases: [name], compression: .gzip, store: real, at: UTCDateTime(epochSeconds: Int64(time)))
        }
        _ = try await RestorePipeline.run(
            RestoreRequest(connection: try env.targetTCP(), target: .time(UTCDateTime(epochSeconds: 1_700_005_000))),
            store: real)
        #expect(try await target.query("SELECT COUNT(*) FROM `\(name)`.t").scalar.int64 == 2)
    }

    /// Every gzip level (1-3 through ISA-L, 4-9 through zlib) gives a backup that gzip -t, gunzip and
    /// Python's gzip module read, and that restores equal to the source.
    @Test(arguments: [1, 2, 3, 4, 6, 9])
    func everyGzipLevelRestoresEqual(level: Int) async throws {
        let scratch = try await ScratchDatabase.make("gl\(level)", seedRows: 3000)
        defer { scratch.drop() }
        let (env, name) = (scratch.env, scratch.name)
        let store = try temporaryStore()
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(), dump: DumpOptions(databases: [name]), compression: .gzip,
                gzipLevel: level, now: UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970))),
            store: store)
        let path = store.location + manifest.name
        var digests: [String] = []
        for command in [
            ["gzip", "-t", path], ["sh", "-c", "gunzip -c \"$0\" | sha256sum", path],
            [
                "python3", "-c",
                "import gzip, hashlib, sys; print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())", path,
            ],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(command[0]) level \(level)")
            if command[0] != "gzip" { digests.append(String(text.prefix(64))) }
        }
        // gunzip and Python's gzip module read the same content.
        #expect(digests.count == 2 && digests[0] == digests[1] && digests[0].count == 64, "level \(level)")
        _ = try await RestorePipeline.run(
            RestoreRequest(connection: try env.targetTCP(), target: .file(manifest.name)), store: store)
        #expect(try await differences(env, databases: [name]) == [])
    }

    /// Plain keys built after the rows give the same tables back: key order among primary, unique,
    /// plain and full-text keys; a foreign key's parent and child; AUTO_INCREMENT led by a plain key;
    /// partitions; a table the restore's database selection leaves alone is not touched.
    @Test func deferredIndexesGiveTheSameTables() async throws {
        let env = try TestEnvironment.require()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let name = TestEnvironment.uniqueName("di")
        try await source.execute([
            "CREATE DATABASE `\(name)`",
            "CREATE TABLE `\(name)`.mixed (id INT PRIMARY KEY, a INT, b VARCHAR(40), c TEXT, KEY ab (a, b(10)) "
                + "COMMENT 'x, y', UNIQUE KEY b (b), FULLTEXT KEY c (c), KEY a_desc (a DESC)) ENGINE=InnoDB",
            "INSERT INTO `\(name)`.mixed SELECT seq, seq % 97, CONCAT('b', seq), REPEAT('w ', seq % 9) "
                + "FROM `\(name)`.seq_1_to_5000",
            "CREATE TABLE `\(name)`.parent (id INT PRIMARY KEY, code INT, KEY code (code)) ENGINE=InnoDB",
            "INSERT INTO `\(name)`.parent SELECT seq, seq FROM `\(name)`.seq_1_to_300",
            "CREATE TABLE `\(name)`.child (id INT PRIMARY KEY, code INT, note INT, KEY note (note), "
                + "FOREIGN KEY (code) REFERENCES parent (code)) ENGINE=InnoDB",
            "INSERT INTO `\(name)`.child SELECT seq, seq % 300 + 1, seq FROM `\(name)`.seq_1_to_900",
            "CREATE TABLE `\(name)`.auto (id INT AUTO_INCREMENT, k INT, KEY id (id), KEY k (k)) ENGINE=InnoDB",
            "INSERT INTO `\(name)`.auto (k) SELECT seq FROM `\(name)`.seq_1_to_700",
            "CREATE TABLE `\(name)`.parts (id INT, k INT, PRIMARY KEY (id), KEY k (k)) ENGINE=InnoDB "
                + "PARTITION BY HASH (id) PARTITIONS 3",
            "INSERT INTO `\(name)`.parts SELECT seq, seq * 7 % 101 FROM `\(name)`.seq_1_to_2000",
        ])
        defer {
            Task {
                try? await source.query("DROP DATABASE `\(name)`")
                try? await target.query("DROP DATABASE `\(name)`")
            }
        }
        let store = try temporaryStore()
        let manifest = try await backup(env, databases: [name], compression: .gzip, store: store)
        _ = try await RestorePipeline.run(
            RestoreRequest(connection: try env.targetTCP(), target: .time(manifest.startedAt), parallel: 2),
            store: store)
        #expect(try await differences(env, databases: [name]) == [])
        for table in ["mixed", "parent", "child", "auto", "parts"] {
            let statement = "SHOW CREATE TABLE `\(name)`.`\(table)`"
            let original = try await source.query(statement).rows.first?[1].string
            #expect(original != nil)
            #expect(try await target.query(statement).rows.first?[1].string == original, "\(table)")
        }
    }

    @Test(arguments: [1, 2])
    func oneOrTwoDatabasesRestoreOnlyThose(count: Int) async throws {
        let env = try TestEnvironment.require()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let names = (0..<3).map { _ in TestEnvironment.uniqueName("od") }
        for name in names { try await seed(source, name, rows: 500) }
        defer {
            Task {
                for name in names {
                    try? await source.query("DROP DATABASE `\(name)`")
                    try? await target.query("DROP DATABASE `\(name)`")
                }
            }
        }
        let store = try temporaryStore()
        _ = try await backup(env, databases: names, compression: .gzip, store: store)
        let wanted = Array(names.prefix(count))
        await #expect(throws: RestoreError.databaseMissing(name: wanted[0], endpoint: target.endpoint)) {
            try await RestorePipeline.run(
                RestoreRequest(
                    connection: try env.targetTCP(), target: .time(UTCDateTime(epochSeconds: 4_000_000_000)),
                    databases: wanted), store: store)
        }
        for name in wanted {
            try await target.query("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        }
        let report = try await RestorePipeline.run(
            RestoreRequest(
                connection: try env.targetTCP(), target: .time(UTCDateTime(epochSeconds: 4_000_000_000)),
                databases: wanted), store: store)
        #expect(report.method == .parallel)
        #expect(try await differences(env, databases: wanted) == [])
        let present = Set(try await target.query("SHOW DATABASES").rows.compactMap { $0[0].string })
        for name in names.dropFirst(count) { #expect(!present.contains(name)) }
        // One connection too: the selection is ours, not the client's --one-database (which would
        // still create the databases that follow the chosen one).
        if count == 1 {
            try await target.execute([
                "DROP DATABASE `\(wanted[0])`",
                "CREATE DATABASE `\(wanted[0])` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            ])
            let client = try await RestorePipeline.run(
                RestoreRequest(
                    connection: try env.targetTCP(), target: .time(UTCDateTime(epochSeconds: 4_000_000_000)),
                    databases: wanted, parallel: 1), store: store)
            #expect(client.method == .parallel && client.connections == 1)
            #expect(try await differences(env, databases: wanted) == [])
            let after = Set(try await target.query("SHOW DATABASES").rows.compactMap { $0[0].string })
            for name in names.dropFirst(1) { #expect(!after.contains(name)) }
        }
    }

    /// Manifests written before carry the content's SHA-256 of a compressed backup too: a restore
    /// still checks it.
    @Test func anOlderManifestsContentChecksumIsStillChecked() async throws {
        let scratch = try await ScratchDatabase.make("oc", seedRows: 500)
        defer { scratch.drop() }
        let store = try temporaryStore()
        var manifest = try await backup(scratch.env, databases: [scratch.name], compression: .gzip, store: store)
        #expect(manifest.sql.sha256 == nil)
        let content = try CLI.shell("gunzip -c \"$0\" | sha256sum", arguments: [store.location + manifest.name])
        let manifestPath = store.location + manifest.name + ".manifest.json"
        for (sha256, restores) in [
            (String(repeating: "0", count: 64), false), (String(content.stdout.prefix(64)), true),
        ] {
            manifest.sql.sha256 = sha256
            try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: manifestPath))
            do {
                let report = try await RestorePipeline.run(
                    RestoreRequest(connection: try scratch.env.targetTCP(), target: .file(manifest.name)), store: store)
                #expect(restores && report.sqlSHA256 == sha256)
            } catch let error as RestoreError {
                guard case .checksumMismatch(_, "SQL", sha256, _) = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect(!restores)
            }
        }
    }

    @Test(arguments: [false, true])
    func aFlippedByteIsACorruptionErrorNamingTheObject(staged: Bool) async throws {
        let scratch = try await ScratchDatabase.make("fb", seedRows: 2000)
        defer { scratch.drop() }
        let (env, target, name) = (scratch.env, scratch.target, scratch.name)
        let store = try temporaryStore()
        let manifest = try await backup(env, databases: [name], compression: .none, store: store)
        // Flip one letter inside a row's text: still valid SQL, so only the checksum can tell.
        let path = store.location + manifest.name
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let at = try #require(
            bytes.indices.first {
                $0 > bytes.count / 2 && bytes[$0] == UInt8(ascii: "w") && bytes[$0 + 1] == UInt8(ascii: "o")
            })
        bytes[at] = UInt8(ascii: "W")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("stage-\(UUID().uuidString)").path
        do {
            _ = try await RestorePipeline.run(
                RestoreRequest(
                    connection: try env.targetTCP(), target: .file(manifest.name),
                    stagingDirectory: staged ? staging : nil), store: store)
            Issue.record("a corrupt backup was restored without an error")
        } catch let error as RestoreError {
            guard case .checksumMismatch(let location, "object", manifest.object.sha256, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(location == path)
            #expect(error.localizedDescription.contains(manifest.name))
        }
        let databases = Set(try await target.query("SHOW DATABASES").rows.compactMap { $0[0].string })
        // Staged: checked before anything was applied, and the staging file is gone.
        if staged {
            #expect(!databases.contains(name))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? [] == [])
        }
    }

    @Test func aTruncatedGzipFails() async throws {
        let scratch = try await ScratchDatabase.make("tr", seedRows: 5000)
        defer { scratch.drop() }
        let (env, name) = (scratch.env, scratch.name)
        let store = try temporaryStore()
        let manifest = try await backup(env, databases: [name], compression: .gzip, store: store)
        let path = store.location + manifest.name
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        for parallel in [1, 2] {
            await #expect(throws: RestoreError.self) {
                try await RestorePipeline.run(
                    RestoreRequest(connection: try env.targetTCP(), target: .file(manifest.name), parallel: parallel),
                    store: store)
            }
        }
    }
}

/// A row statement that loses a lock wait (1205) or a deadlock (1213) runs again, in autocommit mode.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct LockRetryTests {
    @Test func aStatementThatTimedOutOnALockRunsAgain() async throws {
        let env = try TestEnvironment.require()
        let name = TestEnvironment.uniqueName("lockretry")
        let admin = try await MariaDBConnection.connect(try env.targetTCP())
        try await admin.execute(["CREATE DATABASE \(name)", "CREATE TABLE \(name).t (id INT PRIMARY KEY)"])
        defer { Task { try? await admin.query("DROP DATABASE \(name)") } }
        let holder = try await MariaDBConnection.connect(try env.targetTCP())
        try await holder.execute(["BEGIN", "INSERT INTO \(name).t VALUES (5)"])
        let loader = try await MariaDBConnection.connect(try env.targetTCP())
        try await loader.query("SET SESSION innodb_lock_wait_timeout = 1")
        // The holder gives up its row after the loader's first wait has timed out.
        let release = Task {
            try await Task.sleep(for: .milliseconds(1500))
            try await holder.query("ROLLBACK")
        }
        try await ParallelApplier.executeRetryingDeadlocks(Array("INSERT INTO \(name).t VALUES (5)".utf8), on: loader)
        try await release.value
        #expect(try await admin.query("SELECT COUNT(*) FROM \(name).t").scalar.int == 1)
    }
}

/// A `mariadb` client that fails mid-restore ends the restore with its error. It used to hang: the
/// failed write waited for the child, then the abort waited again on the child's spent semaphore.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct ClientFailureTests {
    // The hang this guards against is for good. In the full suite on two cores it has taken 101-111 s (0.04 s
    // alone): it waits for a cooperative thread while other suites' synchronous CLI runs hold both, so the limit
    // leaves room for that.
    @Test(.timeLimit(.minutes(10)))
    func aClientThatFailsMidwayEndsTheRestoreWithItsError() async throws {
        let env = try TestEnvironment.require()
        let name = TestEnvironment.uniqueName("clientfail")
        let store = try temporaryStore()
        // The error comes first; megabytes follow, more than the pipe holds, so the writer is still writing.
        var sql = "CREATE DATABASE `\(name)`;\nUSE `\(name)`;\nCREATE TABLE t (id INT PRIMARY KEY, v TEXT);\n"
            + "SELECT no_such_function();\n"
        let row = String(repeating: "x", count: 1000)
        for block in 0..<400 {
            sql += "INSERT INTO t VALUES " + (0..<10).map { "(\(block * 10 + $0),'\(row)')" }.joined(separator: ",")
                + ";\n"
        }
        sql += "-- Dump completed on 2024-08-26 12:24:34\n"
        let writer = try await store.makeWriter(name: "backup.2024-08-26T12:24:34Z.sql")
        try await writer.write(Array(sql.utf8))
        _ = try await writer.commit()
        let admin = try await MariaDBConnection.connect(try env.targetTCP())
        defer { Task { _ = try? await admin.query("DROP DATABASE IF EXISTS `\(name)`") } }
        await #expect {
            try await RestorePipeline.run(
                RestoreRequest(connection: try env.targetTCP(), target: .file("backup.2024-08-26T12:24:34Z.sql"),
                    parallel: 1, trackProgress: false),
                store: store)
        } throws: { error in
            guard case .clientFailed(let status, let stderr) = error as? RestoreError else { return false }
            return status == 1 && stderr.contains("no_such_function")
        }
    }
}
