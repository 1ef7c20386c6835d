import BackupEngine
import Compression
import Dump
import Foundation
import Manifests
import MariaDBClient
import ObjectStore
import TestSupport
import Testing
import UTCTime
import Verification

@testable import RestoreEngine

/// The physical route on the real servers: mariadb-backup of the source streamed into the store,
/// restored as the operator's init job does into a fresh datadir, a server started on it and
/// compared with the source. Serialized: mariadb-backup holds the source's backup locks.
@Suite(.serialized, .enabled(if: TestEnvironment.serversExpected))
struct PhysicalRouteTests {
    enum StoreKind: String, CaseIterable { case directory, s3 }

    func makeStore(_ kind: StoreKind, _ env: TestEnvironment) async throws -> any ObjectStore {
        kind == .directory ? try temporaryStore() : try await s3Store(env)
    }

    /// A database and an account of the test's own, on the source.
    func seedSource(_ env: TestEnvironment) async throws -> (database: String, account: String) {
        let database = TestEnvironment.uniqueName("phys")
        let account = TestEnvironment.uniqueName("phys_u")
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        try await seed(source, database, rows: 5000)
        try await source.execute([
            "CREATE USER '\(account)'@'%' IDENTIFIED BY 'pw-\(account)'",
            "GRANT SELECT, INSERT ON `\(database)`.* TO '\(account)'@'%'",
        ])
        return (database, account)
    }

    func scratchDirectory() -> String {
        NSTemporaryDirectory() + "mm-phys-\(UUID().uuidString)"
    }

    /// Starts a server on `dataDirectory` and compares the test's database and account with the source.
    func expectEqualToSource(
        _ env: TestEnvironment, dataDirectory: String, database: String, account: String
    ) async throws {
        let server = try await ScratchServer(dataDirectory: dataDirectory, password: env.rootPassword)
        defer { server.stop() }
        let report = try await VerifyJob(databases: [database], accounts: true, accountPatterns: [account]).run(
            source: try env.sourceTCP(), target: server.settings(password: env.rootPassword))
        #expect(report.differences == [])
        #expect(report.accounts == 1)
        #expect(report.tables >= 2)
        // The account logs in with its password on the restored server.
        var login = server.settings(password: "pw-\(account)", database: database)
        login.user = account
        let connection = try await MariaDBConnection.connect(login)
        #expect(try await connection.query("SELECT COUNT(*) FROM t").scalar.int == 5000)
    }

    @Test(arguments: StoreKind.allCases, [CompressionAlgorithm.none, .gzip, .bzip2])
    func backupThenRestoreIsEqualToTheSource(store kind: StoreKind, compression: CompressionAlgorithm) async throws {
        let env = try TestEnvironment.require()
        let (database, account) = try await seedSource(env)
        let store = try await makeStore(kind, env)
        let manifest = try await PhysicalBackupPipeline.run(
            PhysicalBackupRequest(connection: try env.sourceTCP(), compression: compression), store: store)

        // The operator's name, and only it (plus the manifest) in the store.
        let parsed = try #require(BackupName(parsingPhysical: manifest.name))
        #expect(parsed.compression == compression)
        #expect(
            manifest.name.range(of: #"^physicalbackup-\d{14}\.xb(\.gz|\.bz2)?$"#, options: .regularExpression) != nil)
        #expect(try await store.list().map(\.name) == [manifest.name, manifest.name + ".manifest.json"])
        #expect(manifest.kind == .physical)
        #expect(manifest.binlog?.gtid != nil)

        let dataDirectory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let report = try await PhysicalRestore.run(
            PhysicalRestoreRequest(
                target: .time(UTCDateTime(epochSeconds: UTCDateTime.now().epochSeconds + 60)),
                dataDirectory: dataDirectory), store: store)
        #expect(report.name == manifest.name)
        #expect(report.verifiedAgainstManifest)
        let info = try String(contentsOfFile: dataDirectory + "/mariadb-operator.info", encoding: .utf8)
        #expect(info.contains(manifest.binlog?.gtid ?? "-"))
        #expect(!FileManager.default.fileExists(atPath: report.commands[0].components(separatedBy: " ").last ?? "/"))
        try await expectEqualToSource(env, dataDirectory: dataDirectory, database: database, account: account)
    }

    func parsedTime(_ name: String) -> UTCDateTime { BackupName(parsingPhysical: name)!.time }

    /// Issue #29: a physical restore that stops in each step in turn goes on, on the next run, at that
    /// step: the download with a ranged GET from what the first run had synced, a failed prepare from the
    /// local copy (nothing fetched again), a failed copy-back after emptying what it had copied. The
    /// server on the result equals the source, and no staging is left.
    @Test func aStoppedRunIsTakenUpAtTheStepItStoppedIn() async throws {
        let env = try TestEnvironment.require()
        let (database, account) = try await seedSource(env)
        let proxy = try FaultProxy(upstream: try env["MM_TEST_S3_ENDPOINT"])
        let store = try await s3Store(env, through: proxy.endpoint)
        let manifest = try await PhysicalBackupPipeline.run(
            PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .gzip), store: store)
        let size = try #require(try await store.head(name: manifest.name)).size
        let scratch = scratchDirectory()
        let markers = scratch + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let dataDirectory = scratch + "/data"
        // mariadb-backup behind a wrapper that fails a step once per marker file (a copy-back after copying).
        let real = try #require(ChildProcess.locate(["mariadb-backup", "mariabackup"]))
        let wrapper = scratch + "/mariadb-backup"
        try """
            #!/bin/sh
            case " $* " in *" --prepare "*) step=prepare ;; *" --copy-back "*) step=copy-back ;; *) step=other ;; esac
            if [ -e "\(markers)/$step" ]; then
              rm "\(markers)/$step"
              [ "$step" = copy-back ] && "\(real)" "$@" >/dev/null 2>&1
              echo "stopped by the test" >&2
              exit 1
            fi
            exec "\(real)" "$@"
            """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        #expect(chmod(wrapper, 0o755) == 0)
        let request = PhysicalRestoreRequest(
            target: .file(manifest.name), dataDirectory: dataDirectory, stagingDirectory: scratch,
            toolExecutable: wrapper)
        let staging = PhysicalStaging(
            parent: scratch, location: store.location + manifest.name, dataDirectory: dataDirectory)
        func objectGETs() async throws -> [FaultProxy.Logged] {
            try await proxy.log().filter { $0.method == "GET" && $0.path.hasSuffix("/" + manifest.name) }
        }

        // 1. The object's body cut at half, the ranged retry refused: the run stops in the download.
        try await proxy.set([
            .init(path: ".manifest.json", times: 100, action: "forward"),
            .init(method: "GET", path: manifest.name, action: "truncate"),
            .init(method: "GET", path: manifest.name, action: "status", status: 403, code: "AccessDenied"),
        ])
        await #expect(throws: (any Error).self) { try await PhysicalRestore.run(request, store: store) }
        let first = try #require(staging.load())
        #expect(first.step == .download)
        #expect(first.downloaded > 0 && first.downloaded < size)

        // 2. The download goes on from the synced bytes; prepare fails.
        try await proxy.set([])
        _ = FileManager.default.createFile(atPath: markers + "/prepare", contents: nil)
        await #expect(throws: PhysicalRestoreError.self) { try await PhysicalRestore.run(request, store: store) }
        let ranges = try await objectGETs().map { $0.headers["range"] }
        #expect(ranges == ["bytes=\(first.downloaded)-"])
        #expect(staging.load()?.step == .preparing)

        // 3. Prepare again from the local copy (no GET of the object); copy-back fails after copying.
        try await proxy.set([])
        _ = FileManager.default.createFile(atPath: markers + "/copy-back", contents: nil)
        await #expect(throws: PhysicalRestoreError.self) { try await PhysicalRestore.run(request, store: store) }
        #expect(try await objectGETs().isEmpty)
        #expect(staging.load()?.step == .copyingBack)
        #expect(!PhysicalRestore.occupants(of: dataDirectory).isEmpty)

        // 4. Copy-back again into the emptied directory, and nothing else.
        let plan = try await PhysicalRestore.plan(request, store: store)
        #expect(plan.resumesAfter == "copyingBack")
        #expect(plan.runs == ["copy-back"])
        let report = try await PhysicalRestore.run(request, store: store)
        #expect(report.resumedAfter == "copyingBack")
        #expect(report.fetchedBytes == 0 && report.keptBytes == size)
        #expect(report.verifiedAgainstManifest && report.binlog?.gtid == manifest.binlog?.gtid)
        #expect(!FileManager.default.fileExists(atPath: staging.root))
        try await expectEqualToSource(env, dataDirectory: dataDirectory, database: database, account: account)
    }

    /// `--move-back`: the prepared files are renamed into the datadir instead of copied; the server
    /// on it is the same, the binlog position still lands in mariadb-operator.info, no work directory stays.
    @Test func moveBackRestoresTheSame() async throws {
        let env = try TestEnvironment.require()
        let (database, account) = try await seedSource(env)
        let store = try temporaryStore()
        let manifest = try await PhysicalBackupPipeline.run(
            PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .gzip), store: store)
        let dataDirectory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        // Made for the server by another account: as root, the restored files become that account's.
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: false)
        let asRoot = geteuid() == 0
        if asRoot { #expect(chown(dataDirectory, 4242, 4243) == 0) }
        let report = try await PhysicalRestore.run(
            PhysicalRestoreRequest(target: .file(manifest.name), dataDirectory: dataDirectory, moveBack: true),
            store: store)
        #expect(report.commands[2].hasPrefix("mariadb-backup --move-back --target-dir="))
        #expect(report.owner == (asRoot ? DataDirectoryOwner(uid: 4242, gid: 4243, account: nil) : nil))
        if asRoot {
            let entries = [""] + (FileManager.default.subpaths(atPath: dataDirectory) ?? [])
            #expect(entries.count > 5)
            let strays = entries.filter { entry in
                var status = stat()
                return lstat(dataDirectory + "/" + entry, &status) != 0 || status.st_uid != 4242
                    || status.st_gid != 4243
            }
            #expect(strays == [])
        }
        let info = try String(contentsOfFile: dataDirectory + "/mariadb-operator.info", encoding: .utf8)
        #expect(info.contains(manifest.binlog?.gtid ?? "-"))
        #expect(!FileManager.default.fileExists(atPath: report.commands[0].components(separatedBy: " ").last ?? "/"))
        try await expectEqualToSource(env, dataDirectory: dataDirectory, database: database, account: account)
    }

    /// Issue #33: the history of a transaction-precise system-versioned table, which no logical backup carries,
    /// travels by the physical route: `AS OF TRANSACTION` gives the source's rows on the restored server, and
    /// verify compares every version.
    @Test func theTransactionPreciseHistoryTravelsPhysically() async throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("phys_trx")
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        defer { Task { _ = try? await source.query("DROP DATABASE IF EXISTS `\(database)`") } }
        try await source.execute([
            "CREATE DATABASE `\(database)`",
            "CREATE TABLE `\(database)`.ledger (id INT PRIMARY KEY, v INT, s BIGINT UNSIGNED AS ROW START INVISIBLE, "
                + "e BIGINT UNSIGNED AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(s, e)) ENGINE=InnoDB "
                + "WITH SYSTEM VERSIONING",
            "INSERT INTO `\(database)`.ledger (id, v) VALUES (1, 1), (2, 2), (3, 3)",
            "UPDATE `\(database)`.ledger SET v = 10 WHERE id = 1",
            "UPDATE `\(database)`.ledger SET v = 20 WHERE id = 1",
            "DELETE FROM `\(database)`.ledger WHERE id = 3",
        ])
        let store = try temporaryStore()
        let manifest = try await PhysicalBackupPipeline.run(
            PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .gzip), store: store)
        let dataDirectory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        _ = try await PhysicalRestore.run(
            PhysicalRestoreRequest(target: .file(manifest.name), dataDirectory: dataDirectory), store: store)
        let server = try await ScratchServer(dataDirectory: dataDirectory, password: env.rootPassword)
        defer { server.stop() }
        let restored = try await MariaDBConnection.connect(server.settings(password: env.rootPassword))

        // The transaction that ended the first version of row 1: as of it, row 1 reads its first update.
        let transaction = try #require(
            try await source.query(
                "SELECT MIN(e) FROM `\(database)`.ledger FOR SYSTEM_TIME ALL WHERE id = 1").scalar.string)
        func rows(_ connection: MariaDBConnection, _ query: String) async throws -> [String] {
            try await connection.query(query).rows.map { $0.values.map { $0.string ?? "NULL" }.joined(separator: "|") }
        }
        let asOf = "SELECT id, v FROM `\(database)`.ledger FOR SYSTEM_TIME AS OF TRANSACTION \(transaction) ORDER BY id"
        let expected = try await rows(source, asOf)
        #expect(expected == ["1|10", "2|2", "3|3"])
        #expect(try await rows(restored, asOf) == expected)
        let all = "SELECT id, v, s, e FROM `\(database)`.ledger FOR SYSTEM_TIME ALL ORDER BY id, s"
        #expect(try await rows(restored, all) == (try await rows(source, all)))

        let report = try await VerifyJob(databases: [database]).run(
            source: try env.sourceTCP(), target: server.settings(password: env.rootPassword))
        #expect(report.differences == [])
        #expect(report.historyCompared == ["\(database).ledger"])
    }

    /// Backups of the same kind without a manifest in the prefix are the operator's own: its
    /// maxRetention would delete ours there too, and the backup says so.
    @Test func aSharedPrefixIsNoted() async throws {
        let env = try TestEnvironment.require()
        let store = try temporaryStore()
        try await store.put(name: "physicalbackup-20240826122434.xb.gz", bytes: [1])
        let notes = NoteBox()
        var job = BackupJob()
        job.physical = true
        _ = try await job.run(
            connection: try env.sourceTCP(), store: store, progress: BackupProgress(noted: { notes.add($0) }))
        #expect(notes.all.contains { $0.contains("as an operator PhysicalBackup writes them: its maxRetention") })
    }

    /// Another backup took the name of this one's consistent point (two started in one second): it
    /// stays as it was, and this one leaves nothing behind, its pending upload included.
    @Test func aTakenNameIsNotOverwritten() async throws {
        let env = try TestEnvironment.require()
        let store = try temporaryStore()
        let start = UTCDateTime(epochSeconds: Int64(Date().timeIntervalSince1970))
        var taken: [String] = []
        for second in 0...300 {
            let name = BackupName(
                time: UTCDateTime(epochSeconds: start.epochSeconds + Int64(second)), compression: .gzip,
                kind: .physical)
            try await store.put(name: name.fileName, bytes: [7])
            taken.append(name.fileName)
        }
        let error = await #expect(throws: BackupError.self) {
            try await PhysicalBackupPipeline.run(
                PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .gzip), store: store)
        }
        #expect(error?.localizedDescription.contains("nothing was overwritten") == true)
        #expect(try await store.list().map(\.name).sorted() == taken.sorted())
        for name in taken.prefix(30) { #expect(try await store.getAll(name: name) == [7]) }
    }

    /// Tables created, renamed and dropped while mariadb-backup runs put rename and remove chunks
    /// into the stream (as the other tests' DDL on the shared source once did): still one whole
    /// stream, restored and equal to the source.
    @Test func ddlDuringTheBackupStillGivesAWholeStream() async throws {
        let env = try TestEnvironment.require()
        let (database, account) = try await seedSource(env)
        let churn = TestEnvironment.uniqueName("phys_ddl")
        let ddl = try await MariaDBConnection.connect(try env.sourceTCP())
        try await ddl.execute(["CREATE DATABASE \(churn)"])
        let stop = Task {
            var round = 0
            while !Task.isCancelled {
                round += 1
                try? await ddl.execute([
                    "CREATE TABLE \(churn).a\(round) (id INT PRIMARY KEY) ENGINE=InnoDB",
                    "RENAME TABLE \(churn).a\(round) TO \(churn).b\(round)", "DROP TABLE \(churn).b\(round)",
                ])
            }
        }
        let store = try temporaryStore()
        var manifests: [BackupManifest] = []
        for _ in 0..<3 {
            manifests.append(
                try await PhysicalBackupPipeline.run(
                    PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .gzip), store: store))
            try await Task.sleep(for: .milliseconds(1100))
        }
        stop.cancel()
        _ = await stop.result
        let dataDirectory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        _ = try await PhysicalRestore.run(
            PhysicalRestoreRequest(target: .file(manifests.last!.name), dataDirectory: dataDirectory), store: store)
        try await expectEqualToSource(env, dataDirectory: dataDirectory, database: database, account: account)
        try await ddl.execute(["DROP DATABASE \(churn)"])
    }

    /// The bootstrap as the operator's init job runs it (pkg/command/backup.go at 8970edf8): its
    /// `backup restore` step leaves the decompressed stream in the staging volume, then bash runs
    /// these exact lines; the job's my.cnf names the datadir (here through $HOME/.my.cnf).
    @Test(arguments: [CompressionAlgorithm.none, .gzip, .bzip2])
    func theOperatorsInitJobRestoresIt(compression: CompressionAlgorithm) async throws {
        let env = try TestEnvironment.require()
        let (database, account) = try await seedSource(env)
        let store = try await s3Store(env)
        let manifest = try await PhysicalBackupPipeline.run(
            PhysicalBackupRequest(connection: try env.sourceTCP(), compression: compression), store: store)

        let scratch = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let dataDirectory = scratch + "/var/lib/mysql"
        try FileManager.default.createDirectory(
            atPath: dataDirectory + "/lost+found", withIntermediateDirectories: true)
        let compressed = try await store.getAll(name: manifest.name)
        let stream = try compression.makeDecompressor()
        let uncompressed = try stream.update(compressed) + stream.finish()
        // What the operator's `backup restore` step leaves: the file without its compression extension.
        let target =
            scratch + "/backup/"
            + BackupName(time: parsedTime(manifest.name), compression: .none, kind: .physical).fileName
        try FileManager.default.createDirectory(atPath: scratch + "/backup", withIntermediateDirectories: true)
        try Data(uncompressed).write(to: URL(fileURLWithPath: target))
        try "[mysqld]\ndatadir=\(dataDirectory)\n".write(
            toFile: scratch + "/.my.cnf", atomically: true, encoding: .utf8)

        let full = scratch + "/backup/full"
        let script = """
            set -euo pipefail
            echo 💾 Extracting backup
            mkdir -p \(full)
            mbstream -x -C \(full) < \(target)
            echo 💾 Preparing backup
            mariadb-backup --prepare --target-dir=\(full)
            echo 💾 Copying backup to data directory
            mariadb-backup --copy-back --target-dir=\(full) --force-non-empty-directories
            if [ -f \(full)/mariadb_backup_binlog_info ]; then
                cp \(full)/mariadb_backup_binlog_info \(dataDirectory)/mariadb-operator.info
            fi
            if [ -f \(full)/xtrabackup_binlog_info ]; then
                cp \(full)/xtrabackup_binlog_info \(dataDirectory)/mariadb-operator.info
            fi
            """
        let result = try CLI.shell(
            "bash -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))'",
            environment: [
                "HOME": scratch
            ])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/mariadb-operator.info"))
        try await expectEqualToSource(env, dataDirectory: dataDirectory, database: database, account: account)
    }

    /// mariadb-backup dies mid-stream (its output cut at 9 MB, then SIGKILL): nothing under a valid
    /// name, no multipart upload left, nothing pending.
    @Test(arguments: StoreKind.allCases)
    func aKilledBackupLeavesNothing(store kind: StoreKind) async throws {
        let env = try TestEnvironment.require()
        let store = try await makeStore(kind, env)
        let wrapper = scratchDirectory() + ".sh"
        defer { try? FileManager.default.removeItem(atPath: wrapper) }
        try """
        #!/bin/bash
        [ "$1" = "--version" ] && exec mariadb-backup --version
        mariadb-backup "$@" | head -c 9000000
        kill -9 $$
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        var request = PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .none)
        request.toolExecutable = wrapper
        await #expect(throws: PhysicalBackupError.self) { try await PhysicalBackupPipeline.run(request, store: store) }
        #expect(try await store.list().isEmpty)
        #expect(try await store.unfinishedWrites().isEmpty)
    }

    /// A table dropped while mariadb-backup lists the tablespaces stops it ("File ./db/t.ibd was not found"): the
    /// backup is tried again, says so, and ends with one whole backup and nothing else in the store. The first run
    /// of the real tool is replaced by that failure, so the test does not depend on a DROP's timing.
    @Test(arguments: StoreKind.allCases)
    func aTableDroppedDuringTheScanIsTriedAgain(store kind: StoreKind) async throws {
        let env = try TestEnvironment.require()
        let store = try await makeStore(kind, env)
        let scratch = scratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let wrapper = scratch + "/mariadb-backup"
        try """
        #!/bin/bash
        [ "$1" = "--version" ] && exec mariadb-backup --version
        if [ ! -e "\(scratch)/failed-once" ]; then
          touch "\(scratch)/failed-once"
          echo "2026-12-05 19:01:23 0 [ERROR] InnoDB: File ./gone/t.ibd was not found" >&2
          echo "[00] FATAL ERROR: 2026-12-05 19:01:23 Failed to validate first page of the file gone/t, error 61" >&2
          exit 1
        fi
        exec mariadb-backup "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        var request = PhysicalBackupRequest(connection: try env.sourceTCP(), compression: .gzip)
        request.toolExecutable = wrapper
        let notes = NoteLog()
        let manifest = try await PhysicalBackupPipeline.run(
            request, store: store, progress: BackupProgress(noted: { notes.append($0) }))
        let retried = notes.all.contains { $0.contains("gone/t was dropped") && $0.contains("attempt 2 of 3") }
        #expect(retried, "\(notes.all)")
        #expect(try await store.list().map(\.name) == [manifest.name, manifest.name + ".manifest.json"])
        #expect(try await store.unfinishedWrites().isEmpty)
    }

    @Test func checksComeFirstAndNameTheFix() async throws {
        let env = try TestEnvironment.require()
        let store = try temporaryStore()
        var request = PhysicalBackupRequest(connection: try env.sourceTCP())

        request.dataDirectory = "/nonexistent/datadir"
        await #expect(
            throws: PhysicalBackupError.dataDirectoryUnreadable(
                path: "/nonexistent/datadir", endpoint: try env.sourceTCP().endpointDescription)
        ) { try await PhysicalBackupPipeline.run(request, store: store) }

        request.dataDirectory = nil
        let wrongVersion = scratchDirectory() + ".sh"
        defer { try? FileManager.default.removeItem(atPath: wrongVersion) }
        try "#!/bin/sh\necho 'mariadb-backup based on MariaDB server 10.6.21-MariaDB' >&2\n".write(
            toFile: wrongVersion, atomically: true, encoding: .utf8)
        chmod(wrongVersion, 0o755)
        request.toolExecutable = wrongVersion
        let error = await #expect(throws: PhysicalBackupError.self) {
            try await PhysicalBackupPipeline.run(request, store: store)
        }
        guard case .toolVersion(let tool, _) = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(tool == "10.6.21")

        // An account with only SELECT: each missing privilege named, with the GRANT.
        let account = TestEnvironment.uniqueName("phys_ro")
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        try await source.execute([
            "CREATE USER '\(account)'@'%' IDENTIFIED BY 'pw'", "GRANT SELECT ON *.* TO '\(account)'@'%'",
        ])
        var limited = try env.sourceTCP()
        limited.user = account
        limited.password = "pw"
        let missing = await #expect(throws: PhysicalBackupError.self) {
            try await PhysicalBackupPipeline.run(PhysicalBackupRequest(connection: limited), store: store)
        }
        #expect(
            missing?.localizedDescription.contains("RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR") == true,
            "\(String(describing: missing))")
        #expect(missing?.localizedDescription.contains("GRANT RELOAD") == true)
        #expect(try await store.list().isEmpty)
    }

    @Test func aRestoreRefusesADataDirectoryInUse() async throws {
        let env = try TestEnvironment.require()
        let store = try temporaryStore()
        _ = try await PhysicalBackupPipeline.run(PhysicalBackupRequest(connection: try env.sourceTCP()), store: store)
        let dataDirectory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        try FileManager.default.createDirectory(atPath: dataDirectory + "/mysql", withIntermediateDirectories: true)
        await #expect(throws: PhysicalRestoreError.dataDirectoryNotEmpty(path: dataDirectory, entries: ["mysql"])) {
            try await PhysicalRestore.run(
                PhysicalRestoreRequest(
                    target: .time(UTCDateTime(epochSeconds: UTCDateTime.now().epochSeconds + 60)),
                    dataDirectory: dataDirectory), store: store)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDirectory) == ["mysql"])
    }

    /// `manifests --physical` checks the accounts the bootstrap keeps: on a server restored from a
    /// physical backup (without root@'%'), then with root@'%' added, then changed.
    @Test func manifestsCheckTheRootAccountsAPhysicalBootstrapKeeps() async throws {
        let env = try TestEnvironment.require()
        let store = try temporaryStore()
        _ = try await PhysicalBackupPipeline.run(PhysicalBackupRequest(connection: try env.sourceTCP()), store: store)
        let dataDirectory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        _ = try await PhysicalRestore.run(
            PhysicalRestoreRequest(
                target: .time(UTCDateTime(epochSeconds: UTCDateTime.now().epochSeconds + 60)),
                dataDirectory: dataDirectory),
            store: store)
        let server = try await ScratchServer(dataDirectory: dataDirectory, password: env.rootPassword)
        defer { server.stop() }
        let settings = server.settings(password: env.rootPassword)
        var inputs = ManifestInputs()
        inputs.physical = true
        inputs.volumeClaim = "backups"
        let secrets = ManifestSecrets(rootPassword: env.rootPassword)
        // The source may have root@'%' (another test adds it): the copy starts without.
        let connection = try await MariaDBConnection.connect(settings)
        try await connection.execute(["DROP USER IF EXISTS root@'%'"])

        let missing = await #expect(throws: ManifestJobError.self) {
            try await ManifestJob.run(inputs, secrets: secrets, source: settings)
        }
        #expect(missing?.localizedDescription.contains("root@'%' does not exist") == true)

        try await connection.execute([
            "CREATE USER root@'%' IDENTIFIED BY \(SQLQuoting.literal(env.rootPassword))",
            "GRANT ALL PRIVILEGES ON *.* TO root@'%' WITH GRANT OPTION",
        ])
        let result = try await ManifestJob.run(inputs, secrets: secrets, source: settings)
        #expect(
            result.notes.contains { $0.contains("root@localhost and root@'%' on the source take the root password") })
        #expect(result.documents.contains { "\($0.json)".contains("Physical") })

        try await connection.execute(["ALTER USER root@'%' IDENTIFIED BY 'another-password'"])
        let differs = await #expect(throws: ManifestJobError.self) {
            try await ManifestJob.run(inputs, secrets: secrets, source: settings)
        }
        #expect(differs?.localizedDescription.contains("its password differs") == true)
    }
}

final class NoteBox: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []
    func add(_ note: String) { lock.withLock { notes.append(note) } }
    var all: [String] { lock.withLock { notes } }
}

@Suite struct DataDirectoryOwnerTests {
    static let mysql = DataDirectoryOwner(uid: 105, gid: 107, account: "mysql")
    static let made = DataDirectoryOwner(uid: 999, gid: 999, account: nil)
    static let root = DataDirectoryOwner(uid: 0, gid: 0, account: nil)

    @Test(
        arguments: [
            (true, made, mysql, made), (true, root, mysql, mysql), (true, nil, mysql, mysql), (true, root, nil, nil),
            (true, nil, nil, nil), (false, made, mysql, nil), (false, nil, mysql, nil),
        ] as [(Bool, DataDirectoryOwner?, DataDirectoryOwner?, DataDirectoryOwner?)])
    func rootHandsTheFilesToTheDirectorysOwnerOrMySQL(
        root: Bool, existing: DataDirectoryOwner?, mysql: DataDirectoryOwner?, expected: DataDirectoryOwner?
    ) {
        #expect(DataDirectoryOwner.choose(runningAsRoot: root, existing: existing, mysqlAccount: mysql) == expected)
    }
}

/// Notes a backup reports, from whichever thread.
final class NoteLog: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []
    func append(_ note: String) { lock.withLock { notes.append(note) } }
    var all: [String] { lock.withLock { notes } }
}
