import Compression
import Dump
import Foundation
import Hashing
import MariaDBClient
import ObjectStore
import TestSupport
import Testing
import UTCTime

@testable import BackupEngine

func makeDirectoryStore() throws -> DirectoryStore {
    try DirectoryStore(
        path: FileManager.default.temporaryDirectory.appendingPathComponent("bk-\(UUID().uuidString)").path,
        create: true)
}

/// A seeded schema of its own, so concurrent tests do not change what is dumped.
func seededDatabase(_ env: TestEnvironment) async throws -> (String, MariaDBConnection) {
    let connection = try await MariaDBConnection.connect(try env.sourceTCP())
    let name = TestEnvironment.uniqueName("bk")
    try await connection.execute([
        "CREATE DATABASE `\(name)`",
        "CREATE TABLE `\(name)`.t (id INT PRIMARY KEY, note VARCHAR(100), amount DECIMAL(10,2))",
        "INSERT INTO `\(name)`.t SELECT seq, CONCAT('row ', seq, ' \\'quoted\\''), seq / 7 FROM "
            + "`\(name)`.seq_1_to_20000",
        "CREATE VIEW `\(name)`.v AS SELECT COUNT(*) AS n FROM `\(name)`.t",
        "CREATE PROCEDURE `\(name)`.p() SELECT 1",
    ])
    return (name, connection)
}

/// Drops the lines that carry a time or a binlog position (other tests write to the same server).
func comparable(_ sql: String) -> [Substring] {
    sql.split(separator: "\n").filter {
        !$0.hasPrefix("-- Dump completed") && !$0.hasPrefix("-- CHANGE MASTER TO MASTER_LOG_FILE=")
            && !$0.hasPrefix("-- SET GLOBAL gtid_slave_pos=")
    }
}

func shell(_ command: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func nowUTC() -> UTCDateTime { UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970)) }

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct BackupPipelineTests {
    @Test(arguments: [CompressionAlgorithm.gzip, .bzip2, .none])
    func backupEqualsAPlainDumpAndDecompressesWithSystemTools(compression: CompressionAlgorithm) async throws {
        let env = try TestEnvironment.require()
        // Two schemas of their own: a multi-schema backup, untouched by concurrent tests.
        let (first, connection) = try await seededDatabase(env)
        let (second, other) = try await seededDatabase(env)
        defer {
            Task {
                try? await connection.query("DROP DATABASE `\(first)`")
                try? await other.query("DROP DATABASE `\(second)`")
            }
        }
        let store = try makeDirectoryStore()
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(), dump: DumpOptions(databases: [first, second]),
                compression: compression, now: nowUTC()),
            store: store)
        let path = store.location + manifest.name
        let decompress =
            switch compression {
            case .gzip: "gunzip -c"
            case .bzip2: "bunzip2 -c"
            case .none: "cat"
            }
        let ours = try shell("\(decompress) '\(path)'")
        #expect(ours.status == 0)
        let credentials = try CredentialsFile(settings: try env.sourceTCP())
        // The same flags, the snapshot position included (the test source logs binlogs).
        #expect(
            manifest.dumpArguments == [
                "--single-transaction", "--events", "--routines", "--databases", first, second, "--master-data=2",
                "--gtid", "--default-character-set=binary",
            ])
        let plain = try shell(
            "mariadb-dump --defaults-extra-file=\(credentials.path) \(manifest.dumpArguments.joined(separator: " "))")
        #expect(plain.status == 0)
        let position = try #require(manifest.binlog)
        #expect(position.file?.hasPrefix("mysql-bin.") == true && (position.offset ?? 0) > 0)
        #expect(position.gtid?.split(separator: "-").count ?? 0 >= 3)
        #expect(ours.output.contains("-- SET GLOBAL gtid_slave_pos='\(position.gtid ?? "")';"))
        #expect(comparable(ours.output) == comparable(plain.output))
        #expect(ours.output.contains("INSERT INTO `t` VALUES"))
        #expect(ours.output.contains("USE `\(first)`;") && ours.output.contains("USE `\(second)`;"))
        let stored = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Digest.sha256(Array(stored)).hexString == manifest.object.sha256)
        #expect(UInt64(stored.count) == manifest.object.bytes)
        // The content's own SHA-256 only where it is the object (no compression).
        let content = Digest.sha256(Array(ours.output.utf8)).hexString
        #expect(manifest.sql.sha256 == (compression == .none ? content : nil))
        #expect(manifest.sql.bytes == UInt64(ours.output.utf8.count))
        #expect(try await store.list().map(\.name) == [manifest.name, manifest.name + ".manifest.json"])
    }

    @Test func backupToS3IsReadBack() async throws {
        let env = try TestEnvironment.require()
        let (database, connection) = try await seededDatabase(env)
        defer { Task { try? await connection.query("DROP DATABASE `\(database)`") } }
        let bucket = "bk-\(UInt32.random(in: 0...UInt32.max))"
        let configuration = try S3Configuration(
            bucket: bucket, prefix: "mariadb",
            endpoint: S3Endpoint.parse(try env["MM_TEST_S3_ENDPOINT"], tlsEnabled: false))
        let store = S3Store(
            configuration: configuration,
            credentials: StaticCredentials(.init(accessKeyId: "testing", secretAccessKey: "testing"), source: "test"))
        _ = try await shellRequest(env: env, bucket: bucket)
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(), dump: DumpOptions(databases: [database]), compression: .gzip,
                now: nowUTC()), store: store)
        let object = try await store.getAll(name: manifest.name)
        #expect(Digest.sha256(object).hexString == manifest.object.sha256)
        let sql = try transformAll(object, GzipDecompressor())
        #expect(manifest.sql.sha256 == nil && UInt64(sql.count) == manifest.sql.bytes)
        #expect(String(decoding: sql.suffix(200), as: UTF8.self).contains("-- Dump completed"))
    }

    func shellRequest(env: TestEnvironment, bucket: String) async throws -> Int32 {
        try shell("curl -s -o /dev/null -X PUT \(try env["MM_TEST_S3_ENDPOINT"])/\(bucket)").status
    }

    func transformAll(_ data: [UInt8], _ transform: any StreamTransform) throws -> [UInt8] {
        try transform.update(data) + transform.finish()
    }

    @Test func aKilledDumpPublishesNothing() async throws {
        let env = try TestEnvironment.require()
        let (database, connection) = try await seededDatabase(env)
        defer { Task { try? await connection.query("DROP DATABASE `\(database)`") } }
        let store = try makeDirectoryStore()
        // The real dump, cut after 100 kB and then SIGKILLed.
        let wrapper = try script("#!/bin/sh\nmariadb-dump \"$@\" | head -c 100000\nkill -9 $$\n")
        let error = await #expect(throws: BackupError.self) {
            try await BackupPipeline.run(
                BackupRequest(
                    connection: try env.sourceTCP(), dump: DumpOptions(databases: [database]),
                    compression: .gzip, dumpExecutable: wrapper, now: nowUTC()), store: store)
        }
        guard case .dumpFailed(let status, _) = error else {
            Issue.record("expected dumpFailed, got \(String(describing: error))")
            return
        }
        #expect(status == 137, "SIGKILL is 128 + 9")
        #expect(error?.localizedDescription.contains("nothing was published") == true)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: store.path).isEmpty,
            "no object, no manifest, no temp file")
    }

    /// 20 byte offsets, spread from the first bytes to past the end of the dump (a fixed seed, so a
    /// failure can be run again).
    static let killOffsets: [Int] = {
        var generator = SplitMix(seed: 20)
        return [1, 7, 64, 511, 4096] + (0..<15).map { _ in Int(generator.next() % 400_000) + 1 }
    }()

    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: killOffsets)
    func aDumpKilledAtAnyOffsetPublishesNothing(offset: Int) async throws {
        let env = try TestEnvironment.require()
        let store = try makeDirectoryStore()
        let wrapper = try script("#!/bin/sh\nmariadb-dump \"$@\" | head -c \(offset)\nkill -9 $$\n")
        await #expect(throws: BackupError.self) {
            try await BackupPipeline.run(
                BackupRequest(
                    connection: try env.sourceTCP(), dump: DumpOptions(databases: ["mysql"]),
                    compression: .gzip, dumpExecutable: wrapper, now: nowUTC()), store: store)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path).isEmpty, "offset \(offset)")
    }

    @Test func aKilledDumpLeavesNoObjectAndNoMultipartUploadInS3() async throws {
        let env = try TestEnvironment.require()
        let bucket = "bk-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await shellRequest(env: env, bucket: bucket)
        let configuration = try S3Configuration(
            bucket: bucket, prefix: "mariadb",
            endpoint: S3Endpoint.parse(try env["MM_TEST_S3_ENDPOINT"], tlsEnabled: false))
        let store = S3Store(
            configuration: configuration,
            credentials: StaticCredentials(.init(accessKeyId: "testing", secretAccessKey: "testing"), source: "test"))
        // 12 MB after the real dump: parts are uploading when the dump is SIGKILLed.
        let wrapper = try script("#!/bin/sh\nmariadb-dump \"$@\"\nhead -c 12000000 /dev/urandom\nkill -9 $$\n")
        await #expect(throws: BackupError.self) {
            try await BackupPipeline.run(
                BackupRequest(
                    connection: try env.sourceTCP(), dump: DumpOptions(databases: ["mysql"]),
                    compression: .none, dumpExecutable: wrapper, now: nowUTC()), store: store)
        }
        #expect(try await store.list().isEmpty)
        #expect(try await store.pendingMultipartUploads().isEmpty)
    }

    /// A backup of a seeded database through a wrapper mariadb-dump that, when its arguments hold
    /// `whenGiven`, first prints `prefix` (printf format): a refused first attempt. The SQL stored, the
    /// manifest and the notes.
    func backupAfterARefusal(
        whenGiven argument: String, prefix: (String) -> String, compression: CompressionAlgorithm
    ) async throws -> (sql: String, manifest: BackupManifest, notes: [String]) {
        let env = try TestEnvironment.require()
        let (database, connection) = try await seededDatabase(env)
        defer { Task { try? await connection.query("DROP DATABASE `\(database)`") } }
        let store = try makeDirectoryStore()
        let wrapper = try script(
            "#!/bin/sh\ncase \" $* \" in *\" \(argument) \"*)\nprintf '\(prefix(database))' ;;\nesac\n"
                + "exec mariadb-dump \"$@\"\n")
        let notes = LockedNotes()
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(), dump: DumpOptions(databases: [database]), compression: compression,
                dumpExecutable: wrapper, now: nowUTC()),
            store: store, progress: BackupProgress(noted: { notes.append($0) }))
        #expect(try await store.list().map(\.name) == [manifest.name, manifest.name + ".manifest.json"])
        let reader = compression == .gzip ? "gunzip -c" : "cat"
        return (try shell("\(reader) '\(store.location + manifest.name)'").output, manifest, notes.all)
    }

    @Test func aTableTheSnapshotDidNotListMakesTheDumpRunAgainWithMariaDBDumpsRows() async throws {
        // As if a table had been created after the row snapshot: the definitions name one the
        // snapshot did not list; the second dump is mariadb-dump's alone.
        let (sql, manifest, notes) = try await backupAfterARefusal(
            whenGiven: "--no-data",
            prefix: {
                "USE `\($0)`;\\nCREATE TABLE `ghost` (\\n  `id` int\\n);\\n"
                    + "/*!40101 SET character_set_client = @saved_cs_client */;\\n"
            }, compression: .none)
        #expect(notes.contains { $0.contains("ghost appeared or changed") && $0.contains("mariadb-dump reading") })
        #expect(manifest.rowsReadBy == nil)
        #expect(!sql.contains("`ghost`") && sql.contains("INSERT INTO `t` VALUES"))
    }

    @Test func aTableDefinitionTheCheckMissedMakesTheDumpRunAgainInUTF8() async throws {
        // As if a latin1 default had appeared between the check and the dump: the binary dump starts
        // with a definition the guard refuses; the second dump is the real one.
        let (sql, manifest, notes) = try await backupAfterARefusal(
            whenGiven: "--default-character-set=binary",
            prefix: { _ in "CREATE TABLE `late` (\\n  `c` varchar(2) DEFAULT \\047\u{E9}\\047\\n);\\n" },
            compression: .gzip)
        #expect(notes.contains { $0.contains("table late has non-ASCII text") && $0.contains("utf8mb4") })
        #expect(!manifest.dumpArguments.contains("--default-character-set=binary"))
        #expect(manifest.rowsReadBy != nil)
        #expect(!sql.contains("`late`") && sql.contains("/*!40101 SET NAMES utf8mb4 */;"))
        #expect(manifest.sql.bytes == UInt64(sql.utf8.count))
    }

    @Test func aDumpWithoutItsTrailerPublishesNothing() async throws {
        let env = try TestEnvironment.require()
        let store = try makeDirectoryStore()
        let wrapper = try script("#!/bin/sh\nmariadb-dump \"$@\" | head -c 5000\nexit 0\n")
        let error = await #expect(throws: BackupError.self) {
            try await BackupPipeline.run(
                BackupRequest(
                    connection: try env.sourceTCP(), dump: DumpOptions(databases: ["mysql"]),
                    compression: .none, dumpExecutable: wrapper, now: nowUTC()), store: store)
        }
        // 5000 bytes of mariadb-dump's, and the rows this tool read into them.
        guard case .incompleteDump(let bytes)? = error else { throw CancellationError() }
        #expect(bytes >= 5000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path).isEmpty)
    }

    @Test func aBadFlagFailsWithTheDumpsOwnMessage() async throws {
        let env = try TestEnvironment.require()
        let store = try makeDirectoryStore()
        let error = await #expect(throws: BackupError.self) {
            try await BackupPipeline.run(
                BackupRequest(
                    connection: try env.sourceTCP(), dump: DumpOptions(extraArguments: ["--no-such-flag"]),
                    compression: .gzip, now: nowUTC()), store: store)
        }
        #expect(error?.localizedDescription.contains("no-such-flag") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path).isEmpty)
    }

    @Test func thePasswordIsNeverOnTheDumpsCommandLine() async throws {
        let env = try TestEnvironment.require()
        let store = try makeDirectoryStore()
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("argv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: record) }
        // Records its argv, the option file's mode, and every command line on the machine while it runs.
        let wrapper = try script(
            """
            #!/bin/sh
            echo "ARGV $*" > \(record)
            for a in "$@"; do
              case "$a" in --defaults-extra-file=*) stat -c 'MODE %a' "${a#*=}" >> \(record);; esac
            done
            mariadb-dump "$@" &
            child=$!
            cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' >> \(record)
            wait $child
            """)
        _ = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(), dump: DumpOptions(databases: ["mysql"]),
                compression: .gzip, dumpExecutable: wrapper, now: nowUTC()), store: store)
        let seen = try String(contentsOfFile: record, encoding: .utf8)
        #expect(seen.contains("ARGV --defaults-extra-file="))
        #expect(seen.contains("MODE 600"))
        #expect(!seen.contains(env.rootPassword))
    }

    @Test func retentionDeletesExpiredBackupsAndTheirManifests() async throws {
        let store = try makeDirectoryStore()
        for name in [
            "backup.2024-01-01T00:00:00Z.sql.gz", "backup.2024-01-02T00:00:00Z.sql.gz",
            "backup.2024-01-03T00:00:00Z.sql.gz", "notes.txt",
        ] {
            try await store.put(name: name, bytes: [1])
            if name.hasPrefix("backup") { try await store.put(name: name + ".manifest.json", bytes: [2]) }
        }
        let deleted = try await BackupPipeline.applyRetention(
            store: store, now: UTCDateTime.parseRFC3339("2024-01-03T12:00:00Z")!,
            maxRetentionSeconds: GoDuration.seconds("40h"), keepLast: nil)
        #expect(deleted.map(\.fileName) == ["backup.2024-01-01T00:00:00Z.sql.gz"])
        #expect(
            try await store.list().map(\.name) == [
                "backup.2024-01-02T00:00:00Z.sql.gz", "backup.2024-01-02T00:00:00Z.sql.gz.manifest.json",
                "backup.2024-01-03T00:00:00Z.sql.gz", "backup.2024-01-03T00:00:00Z.sql.gz.manifest.json", "notes.txt",
            ])
    }
}

func script(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("wrapper-\(UUID().uuidString).sh").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
}

/// Notes a backup made, collected from its progress callback.
final class LockedNotes: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []
    func append(_ note: String) { lock.withLock { notes.append(note) } }
    var all: [String] { lock.withLock { notes } }
}
