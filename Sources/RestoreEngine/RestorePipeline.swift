import BackupEngine
import Blocking
import Compression
import Dispatch
import Dump
import Foundation
import Hashing
import MariaDBClient
import ObjectStore
import UTCTime

public enum RestoreError: Error, LocalizedError, Equatable, Sendable {
    case objectMissing(location: String)
    case checksumMismatch(location: String, what: String, expected: String, actual: String)
    case databaseMissing(name: String, endpoint: String)
    case galeraUnsafe(table: String)
    case galeraUnsafeDump(location: String)
    case galeraNonInnoDB(table: String, engine: String)
    case clientNotFound
    case clientFailed(status: Int32, stderr: String)
    case invalidSQL(location: String, detail: String)
    case decompression(location: String, detail: String)
    case applyFailed(location: String, detail: String)
    /// No mariadb-dump completion line at the end: refused before anything is applied.
    case incompleteDump(location: String)
    /// Stopped with its progress recorded on the target: `--resume` goes on.
    case applyInterrupted(location: String, detail: String)
    case nothingToResume(endpoint: String)
    case unfinishedRestore(endpoint: String, backup: String, started: String)
    case resumeMismatch(endpoint: String, differences: [String])
    case targetChanged(endpoint: String, changes: [String])
    case progressUnreadable(endpoint: String, detail: String)
    case restoreRunning(endpoint: String)

    public var errorDescription: String? {
        switch self {
        case .objectMissing(let location):
            return "\(location) does not exist: run 'mariadb-migrate list' to see the backups"
        case .checksumMismatch(let location, let what, let expected, let actual):
            return
                "\(location) is corrupt: the \(what) SHA-256 is \(actual), its manifest says \(expected); the target "
                + "may hold part of it: restore again from a good backup"
        case .databaseMissing(let name, let endpoint):
            return
                "database '\(name)' does not exist on \(endpoint): create it first (CREATE DATABASE `\(name)`), as a "
                + "one-database restore needs"
        case .galeraUnsafe(let table):
            return
                "the dump writes \(table), which Galera does not replicate (its rows would live on one node only); "
                + "nothing after it was applied: re-dump with 'mariadb-migrate backup --galera' and move accounts "
                + "with 'mariadb-migrate users', or pass --force"
        case .galeraNonInnoDB(let table, let engine):
            return
                "the dump creates \(table) as \(engine), which Galera does not replicate (its rows would live on one "
                + "node only); the tables before it were applied: restore a fixed copy instead (mariadb-migrate scan "
                + "NAME --fix innodb, then restore it with --restart), or convert it on the source and back up again, "
                + "or go on with --resume --force"
        case .galeraUnsafeDump(let location):
            return
                "\(location) holds mysql privilege tables (not all seven were left out of the dump), which Galera does "
                + "not replicate: re-dump with 'mariadb-migrate backup --galera' and move accounts with "
                + "'mariadb-migrate users', or pass --force; nothing was applied"
        case .clientNotFound:
            return "the mariadb client was not found on PATH: install mariadb-client (apt-get install mariadb-client)"
        case .clientFailed(let status, let stderr):
            let detail =
                stderr.isEmpty ? "no message" : stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "mariadb failed (exit \(status)): \(detail); the target may hold part of the backup"
        case .invalidSQL(let location, let detail):
            return
                "\(location) does not end as a complete SQL script (\(detail)): it was cut short; the target may hold "
                + "part of it"
        case .applyFailed(let location, let detail):
            return "restoring \(location) stopped: \(detail); the target holds part of it: drop what was restored "
                + "and run the restore again"
        case .applyInterrupted(let location, let detail):
            return "restoring \(location) stopped: \(detail); its progress is kept on the target: run the same restore "
                + "with --resume to go on where it stopped"
        case .nothingToResume(let endpoint):
            return "there is no unfinished restore on \(endpoint) to resume: run the restore without --resume"
        case .unfinishedRestore(let endpoint, let backup, let started):
            return "\(endpoint) holds an unfinished restore of \(backup) (started \(started)): pass --resume to go on "
                + "where it stopped, or --restart to start over"
        case .resumeMismatch(let endpoint, let differences):
            return "the unfinished restore on \(endpoint) is not this one (\(differences.joined(separator: "; "))): "
                + "resume it with the same backup and settings, or pass --restart to start over"
        case .targetChanged(let endpoint, let changes):
            return "the tables restored into \(endpoint) changed since the restore stopped ("
                + SystemVersionedTables.shortList(changes) + "): resuming would not give the backup's data; pass "
                + "--restart to start over"
        case .progressUnreadable(let endpoint, let detail):
            return "the restore progress on \(endpoint) (schema _mariadb_migrate) cannot be read: \(detail); pass "
                + "--restart to drop it and start over"
        case .restoreRunning(let endpoint):
            return "the same restore into \(endpoint) is running now (its connections are open and its progress "
                + "moves): wait for it to end or stop it, then try again"
        case .decompression(let location, let detail):
            return "\(location) cannot be decompressed: \(detail); the target may hold part of it"
        case .incompleteDump(let location):
            return
                "\(location) does not end with mariadb-dump's completion line (-- Dump completed): it was cut short, "
                + "or another tool wrote it; nothing was applied: take the backup again, or pass --force to load it "
                + "anyway"
        }
    }
}

/// How the SQL reaches the target.
public enum RestoreMethod: String, Codable, Sendable, CustomStringConvertible {
    /// Piped into the `mariadb` client (`--parallel 1`, whole backups).
    case client = "mariadb client"
    /// Split into statements and applied on one or more connections.
    case parallel
    public var description: String { rawValue }
}

/// What a restore will do (`restore --dry-run` prints it).
public struct RestorePlan: Codable, Sendable, Equatable {
    public var name: String
    public var location: String
    public var bytes: UInt64
    /// A manifest is there to check the object against.
    public var manifest: Bool
    public var target: String
    public var targetVersion: String
    public var galera: Bool
    public var method: RestoreMethod
    public var connections: Int
    public var databases: [String]
    public var staged: Bool
    /// How the dump is known to be whole before anything is applied: "manifest" (this tool's backups
    /// publish one only after the completion line), "read first" (no manifest: the SQL is read to its
    /// end once before it is applied), "not checked (--force)".
    public var completeness: String
    /// Progress kept on the target as the load goes (`RestoreLedger`), so an interrupted restore can resume.
    public var tracked: Bool = false
    /// What a resume would skip: what the interrupted restore had committed.
    public var resume: ResumePoint?
    /// `--restart`: the unfinished restore whose progress is dropped.
    public var restarts: String?
}

/// Which backup to restore: the newest at or before a time (the operator's targetRecoveryTime), or a name.
public enum RestoreTarget: Sendable, Equatable {
    case time(UTCDateTime)
    case file(String)
}

public struct RestoreRequest: Sendable, Equatable {
    public var connection: ConnectionSettings
    public var target: RestoreTarget
    /// Empty: everything in the dump.
    public var databases: [String]
    public var stagingDirectory: String?
    /// Connections to load on; nil chooses (the cores, at least 2; 1 on Galera).
    public var parallel: Int?
    /// Apply a dump that writes the privilege or wsrep tables to a Galera target anyway, and one
    /// without mariadb-dump's completion line (cut short, or another tool's).
    public var force: Bool
    /// `SET sql_log_bin=0` on the loading connections (as myloader does by default).
    public var skipBinlog: Bool
    /// Plain secondary keys of InnoDB tables added after their rows (`DeferredIndexes`); parallel method only.
    public var deferIndexes: Bool
    public var clientExecutable: String?
    /// Keep progress on the target (`RestoreLedger`): on by default; off pipes `--parallel 1` into the client.
    public var trackProgress: Bool = true
    public var progressMode: ProgressMode = .fresh
    /// SQL bytes of row data one connection commits at a time with its record: at most this much
    /// per connection loads again after an interruption.
    public var chunkBytes: Int = RestoreRequest.defaultChunkBytes
    /// Leave the progress records on the target when the restore ends (marked finished).
    public var keepProgress: Bool = false

    public static let defaultChunkBytes = 1 << 20

    public init(
        connection: ConnectionSettings, target: RestoreTarget, databases: [String] = [],
        stagingDirectory: String? = nil,
        parallel: Int? = nil, force: Bool = false, skipBinlog: Bool = false, deferIndexes: Bool = true,
        clientExecutable: String? = nil, trackProgress: Bool = true, progressMode: ProgressMode = .fresh,
        chunkBytes: Int = RestoreRequest.defaultChunkBytes, keepProgress: Bool = false
    ) {
        self.trackProgress = trackProgress
        self.progressMode = progressMode
        self.chunkBytes = chunkBytes
        self.keepProgress = keepProgress
        self.connection = connection
        self.target = target
        self.databases = databases
        self.stagingDirectory = stagingDirectory
        self.parallel = parallel
        self.force = force
        self.skipBinlog = skipBinlog
        self.deferIndexes = deferIndexes
        self.clientExecutable = clientExecutable
    }
}

public struct RestoreReport: Codable, Sendable, Equatable {
    public var name: String
    public var location: String
    public var objectBytes: UInt64
    public var sqlBytes: UInt64
    public var objectSHA256: String
    /// nil when the object is compressed (see `BackupManifest.ContentDigest`).
    public var sqlSHA256: String?
    /// Whether a manifest was there to check the checksums against.
    public var verifiedAgainstManifest: Bool
    public var method: RestoreMethod
    public var connections: Int
    public var databases: [String]
    public var staged: Bool
    /// The SQL ended with mariadb-dump's completion line; false only when `force` let a cut dump through.
    public var complete: Bool = true
    public var tracked: Bool = false
    /// Where this run went on from, when it resumed an interrupted restore.
    public var resumed: ResumePoint?
    /// Statements (and their SQL bytes) skipped because the interrupted restore had applied them.
    public var skippedStatements: Int = 0
    public var skippedBytes: UInt64 = 0
}

public struct RestoreProgress: Sendable {
    /// A pass over the object begins ("download" when staging, then "apply"), with its size.
    public var begin: @Sendable (_ phase: String, _ bytes: UInt64) -> Void
    public var read: @Sendable (Int) -> Void
    public var applied: @Sendable (Int) -> Void
    /// SQL bytes passed over because an interrupted restore had applied them.
    public var skipped: @Sendable (Int) -> Void
    /// A resume begins from this point; or a note (`--restart` says what it drops).
    public var resumed: @Sendable (ResumePoint) -> Void
    public var note: @Sendable (String) -> Void

    public init(
        begin: @escaping @Sendable (String, UInt64) -> Void = { _, _ in },
        read: @escaping @Sendable (Int) -> Void = { _ in },
        applied: @escaping @Sendable (Int) -> Void = { _ in },
        skipped: @escaping @Sendable (Int) -> Void = { _ in },
        resumed: @escaping @Sendable (ResumePoint) -> Void = { _ in },
        note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.begin = begin
        self.read = read
        self.applied = applied
        self.skipped = skipped
        self.resumed = resumed
        self.note = note
    }
}

/// Where decompressed SQL goes: a `mariadb` child's stdin or the parallel applier.
protocol SQLSink: AnyObject, Sendable {
    func write(_ sql: [UInt8]) async throws
    func finish() async throws
    func abort() async
}

final class ClientSink: SQLSink, @unchecked Sendable {
    let child: ChildProcess
    let credentials: CredentialsFile
    let password: String?

    init(executable: String, settings: ConnectionSettings, skipBinlog: Bool) throws {
        credentials = try CredentialsFile(settings: settings)
        password = settings.password
        var arguments = ["--defaults-extra-file=\(credentials.path)", "--batch"]
        if skipBinlog { arguments.append("--init-command=SET sql_log_bin=0") }
        child = ChildProcess(executable: executable, arguments: arguments, standardInput: true)
        try child.start()
    }

    func write(_ sql: [UInt8]) async throws {
        do { try await child.write(sql) } catch { try await failed() }
    }

    func finish() async throws {
        try? child.closeInput()
        let exit = await child.wait()
        credentials.remove()
        guard exit.status == 0 else { throw clientError(exit) }
    }

    /// The pipe broke: the client died; its own message says why.
    private func failed() async throws -> Never {
        let exit = await child.wait()
        credentials.remove()
        throw clientError(exit)
    }

    private func clientError(_ exit: (status: Int32, stderr: String)) -> RestoreError {
        var text = exit.stderr
        if let password, !password.isEmpty { text = text.replacingOccurrences(of: password, with: "<redacted>") }
        return .clientFailed(status: exit.status, stderr: text)
    }

    func abort() async {
        // Killed, not closed: a closed stdin would let the client run a cut statement, and the
        // client ignores SIGTERM while it reads stdin.
        child.kill()
        _ = await child.wait()
        credentials.remove()
    }
}

final class ApplierSink: SQLSink, @unchecked Sendable {
    let applier: ParallelApplier
    var splitter: SQLSplitter
    let location: String
    let skipped: @Sendable (Int) -> Void

    init(applier: ParallelApplier, location: String, skipped: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.applier = applier
        self.location = location
        self.skipped = skipped
        splitter = SQLSplitter(recycled: applier.recycled)
    }

    func write(_ sql: [UInt8]) async throws {
        let before = applier.skipped.bytes
        for statement in splitter.consume(sql) {
            // A stop (SIGINT/SIGTERM) takes effect between statements, not only between reads.
            try Task.checkCancellation()
            try await applier.apply(statement)
        }
        if applier.skipped.bytes > before { skipped(applier.skipped.bytes - before) }
    }

    func finish() async throws {
        do {
            for statement in try splitter.finish() { try await applier.apply(statement) }
        } catch let error as SQLSplitterError {
            _ = try? await applier.finish()
            if case .unterminated(let text) = error {
                throw RestoreError.invalidSQL(location: location, detail: "unterminated statement `\(text)`")
            }
        }
        try await applier.finish()
    }

    func abort() async { await applier.abort() }
}

/// A backup's decompressor, run off the cooperative pool; its faults name the object. Used by
/// one task at a time (the restore's or the scan's reading loop).
final class ObjectDecompressor: @unchecked Sendable {
    private let transform: any StreamTransform
    private let location: String
    private let queue = DispatchQueue(label: "object-decompression")

    /// Input bytes per decompression call: SQL expands a few-fold, so 64 KiB (a logical backup)
    /// decompresses fastest; a physical backup's empty pages come close to gzip's 1032-fold limit,
    /// so 4 KiB (about 4 MiB out at most).
    let sliceBytes: Int
    /// No compression: what comes out is what went in.
    let passesThrough: Bool

    init(_ compression: CompressionAlgorithm, location: String, sliceBytes: Int = 64 << 10) throws {
        transform = try compression.makeDecompressor()
        passesThrough = compression == .none
        self.location = location
        self.sliceBytes = sliceBytes
    }

    /// Output handed on at once: about the size a whole chunk of SQL gave before.
    static let outputTarget = 4 << 20

    /// Decompresses `chunk` a slice at a time on the decompression queue, handing the output to `emit`
    /// each time it reaches `outputTarget`, so a megabyte in never becomes most of a gigabyte held at
    /// once. Measured restoring a 1.1 GB physical backup: 169 MiB peak RSS with whole chunks, 54 MiB
    /// in 4 KiB slices; a logical restore ran ~7% slower in 4 KiB slices than whole (alternating
    /// runs), hence 64 KiB for SQL; slices handed on one by one, not gathered, cost it 12%.
    func update(_ chunk: [UInt8], emit: ([UInt8]) async throws -> Void) async throws {
        var offset = 0
        while offset < chunk.count {
            let start = offset
            let (output, end) = try await run { () throws -> ([UInt8], Int) in
                let transform = self.transform
                var output = self.spare.emptied(reserving: Self.outputTarget + self.sliceBytes * 4)
                var position = start
                while position < chunk.count && output.count < Self.outputTarget {
                    let next = min(position + self.sliceBytes, chunk.count)
                    try chunk.withUnsafeBytes { bytes in
                        try transform.update(
                            UnsafeRawBufferPointer(rebasing: bytes[position..<next]), appendingTo: &output)
                    }
                    position = next
                }
                return (output, position)
            }
            offset = end
            try await emit(output)
            spare.give(output)
        }
    }

    /// The last output, given back once `emit` is done with it (its consumers copy what they keep):
    /// filled again in place, its pages are not faulted in anew for every 4 MiB of SQL (page faults
    /// were a tenth of a restore's CPU). Shared still, it is simply not reused.
    private let spare = BufferPool(limit: 1, largest: 4 * outputTarget)

    func finish() async throws -> [UInt8] { try await run { try self.transform.finish() } }

    private func run<Output: Sendable>(_ body: @escaping @Sendable () throws -> Output) async throws -> Output {
        do {
            return try await runBlocking(on: queue, body)
        } catch let error as CompressionError {
            throw RestoreError.decompression(location: location, detail: error.localizedDescription)
        }
    }
}

public enum RestorePipeline {
    /// The engines a Galera node replicates (lowercased): InnoDB, and MyISAM and Aria when its wsrep_mode says
    /// REPLICATE_MYISAM or REPLICATE_ARIA.
    static func replicatedEngines(_ connection: MariaDBConnection) async throws -> Set<String> {
        let mode = (try? await connection.query("SELECT @@GLOBAL.wsrep_mode").scalar.string) ?? ""
        var engines: Set<String> = ["innodb"]
        if mode.contains("REPLICATE_MYISAM") { engines.insert("myisam") }
        if mode.contains("REPLICATE_ARIA") { engines.insert("aria") }
        return engines
    }

    /// Picks the backup: the newest at or before the target time, or the named file.
    public static func choose(
        _ target: RestoreTarget, store: any ObjectStore
    ) async throws -> (name: String, compression: CompressionAlgorithm) {
        switch target {
        case .time(let time):
            let names = try await store.list().map(\.name)
            let chosen = try BackupSelection.target(time, among: names, location: store.location)
            return (chosen.fileName, chosen.compression)
        case .file(let name):
            guard try await store.head(name: name) != nil else {
                throw RestoreError.objectMissing(location: store.location + name)
            }
            let compression =
                BackupName(parsing: name)?.compression
                ?? (name.hasSuffix(".gz") ? .gzip : name.hasSuffix(".bz2") ? .bzip2 : .none)
            return (name, compression)
        }
    }

    /// What a restore will do, checked against the store and the target without applying
    /// anything: `restore --dry-run`.
    public static func plan(_ request: RestoreRequest, store: any ObjectStore) async throws -> RestorePlan {
        let prepared = try await prepare(request, store: store)
        var plan = prepared.plan
        // What a resume would skip: read here only, as reading it checks every restored table (a COUNT(*) each),
        // which a run does once, when it opens the records.
        if plan.tracked,
            case .resume(let record) = try await RestoreLedger.decide(
                on: prepared.first, identity: prepared.identity, mode: request.progressMode)
        {
            plan.resume = try await RestoreLedger.read(
                on: prepared.first, identity: prepared.identity, started: record.started
            ).resumed
        }
        return plan
    }

    static func prepare(
        _ request: RestoreRequest, store: any ObjectStore
    ) async throws
        -> (
            plan: RestorePlan, compression: CompressionAlgorithm, manifest: BackupManifest?, first: MariaDBConnection,
            identity: RestoreIdentity
        )
    {
        let (name, compression) = try await choose(request.target, store: store)
        let location = store.location + name
        let manifest = try await BackupManifest.load(besides: name, from: store)
        let size = try await store.head(name: name)?.size ?? 0

        let first = try await MariaDBConnection.connect(request.connection)
        let facts = try await first.serverFacts()
        let galera = facts.galera.enabled
        if !request.databases.isEmpty {
            let existing = Set(try await first.query("SHOW DATABASES").rows.compactMap { $0[0].string })
            for database in request.databases where !existing.contains(database) {
                throw RestoreError.databaseMissing(name: database, endpoint: first.endpoint)
            }
        }
        if galera && !request.force, let manifest, writesPrivilegeTables(manifest, restoring: request.databases) {
            throw RestoreError.galeraUnsafeDump(location: location)
        }
        let connections = request.parallel ?? (galera ? 1 : max(2, ProcessInfo.processInfo.activeProcessorCount))
        // The client's own --one-database would still run the CREATE DATABASE of the databases
        // after the chosen one (they come while it is current): selections go through the applier.
        let useClient = connections == 1 && !galera && request.databases.isEmpty && !request.trackProgress
        var plan = RestorePlan(
            name: name, location: location, bytes: size, manifest: manifest != nil, target: first.endpoint,
            targetVersion: facts.version, galera: galera, method: useClient ? .client : .parallel,
            connections: useClient ? 1 : connections, databases: request.databases,
            staged: request.stagingDirectory != nil,
            completeness: manifest != nil ? "manifest" : request.force ? "not checked (--force)" : "read first")
        let identity = RestoreIdentity(
            backup: name, object: manifest.map { "sha256:" + $0.object.sha256 } ?? "bytes:\(size)",
            target: try await RestoreLedger.targetIdentity(first, galera: galera),
            settings: RestoreIdentity.settings(databases: request.databases, deferIndexes: request.deferIndexes))
        if request.trackProgress {
            // Refused here, before a long check or download, when the target's progress says no.
            let decision = try await RestoreLedger.decide(on: first, identity: identity, mode: request.progressMode)
            plan.tracked = true
            if case .restart(let record) = decision { plan.restarts = record.identity.backup }
            if case .dropUnreadable = decision { plan.restarts = "(unreadable records)" }
        }
        return (plan, compression, manifest, first, identity)
    }

    /// Reads the chosen backup and applies it to the target, checking it against its manifest.
    public static func run(
        _ request: RestoreRequest, store: any ObjectStore, progress: RestoreProgress = RestoreProgress()
    ) async throws -> RestoreReport {
        let (plan, compression, manifest, first, identity) = try await prepare(request, store: store)
        let name = plan.name
        let location = plan.location
        let galera = plan.galera
        let useClient = plan.method == .client
        let connections = plan.connections

        // The object comes from the staging file (downloaded and checked first) or straight from the store.
        var staged: String?
        if let directory = request.stagingDirectory {
            staged = try await stage(
                name: name, store: store, directory: directory, manifest: manifest, progress: progress)
        }
        defer { if let staged { try? FileManager.default.removeItem(atPath: staged) } }
        let reader: any ObjectReader
        if let staged {
            let directory = (staged as NSString).deletingLastPathComponent
            reader = try await DirectoryStore(path: directory, create: false).makeReader(
                name: (staged as NSString).lastPathComponent)
        } else {
            reader = try await store.makeReader(name: name)
        }
        // A dump without a manifest is read to its end once before anything is applied: one cut short
        // would otherwise leave the target half restored (`mariadb < file` applies it up to the cut).
        if plan.completeness == "read first" {
            let check: any ObjectReader =
                if let staged { try LocalFileReader(path: staged) } else { try await store.makeReader(name: name) }
            progress.begin("check", check.size)
            guard
                try await endsWithCompletionLine(
                    check, compression: compression, location: location, progress: progress)
            else { throw RestoreError.incompleteDump(location: location) }
        }

        let sink: any SQLSink
        var opening: RestoreLedger.Opening?
        var applier: ParallelApplier?
        if useClient {
            guard let executable = request.clientExecutable ?? ChildProcess.locate(["mariadb", "mysql"]) else {
                throw RestoreError.clientNotFound
            }
            sink = try ClientSink(executable: executable, settings: request.connection, skipBinlog: request.skipBinlog)
        } else {
            var settings = request.connection
            settings.database = request.databases.first
            // The connection that read the server's facts is the first of the pool.
            if let database = settings.database { try await first.query("USE \(SQLQuoting.identifier(database))") }
            var pool = [first]
            while pool.count < max(1, connections) { pool.append(try await MariaDBConnection.connect(settings)) }
            // Deferred indexes build on a connection of their own while the next table loads (not on
            // Galera, where an ALTER TABLE holds up the cluster's applying anyway).
            let indexConnection =
                request.deferIndexes && !galera ? try await MariaDBConnection.connect(settings) : nil
            if request.skipBinlog {
                for connection in pool + (indexConnection.map { [$0] } ?? []) {
                    try await connection.query("SET SESSION sql_log_bin=0")
                }
            }
            if plan.tracked {
                let ledgerConnection = try await MariaDBConnection.connect(request.connection)
                var ids: [Int] = []
                for connection in pool + [indexConnection, ledgerConnection].compactMap({ $0 }) {
                    ids.append(try await connection.query("SELECT CONNECTION_ID()").scalar.int ?? 0)
                }
                opening = try await RestoreLedger.open(
                    on: ledgerConnection, identity: identity, mode: request.progressMode, loading: ids,
                    announce: progress.note, resumed: progress.resumed)
            }
            applier = ParallelApplier(
                connections: pool, databases: request.databases, guardGalera: galera && !request.force,
                galeraTarget: galera, galeraEngines: galera ? try await Self.replicatedEngines(first) : [],
                deferIndexes: request.deferIndexes, indexConnection: indexConnection, ledger: opening,
                chunkBytes: request.chunkBytes)
            sink = ApplierSink(applier: applier!, location: location, skipped: progress.skipped)
        }

        progress.begin("apply", reader.size)
        let decompressor = try ObjectDecompressor(compression, location: location)
        let transferred: Transferred
        var trailer = DumpScanner()
        do {
            transferred = try await transfer(
                reader, through: decompressor, checkedAgainst: manifest, progress: progress
            ) { sql in
                trailer.consume(sql)
                try await sink.write(sql)
                progress.applied(sql.count)
            }
            try await sink.finish()
        } catch let error as MariaDBError {
            await sink.abort()
            await opening?.stop()
            if opening != nil {
                throw RestoreError.applyInterrupted(location: location, detail: error.localizedDescription)
            }
            throw RestoreError.applyFailed(location: location, detail: error.localizedDescription)
        } catch {
            await sink.abort()
            await opening?.stop()
            throw error
        }
        let ledger = try await opening?.opened()
        do {
            try transferred.check(against: manifest, location: location, content: "SQL")
        } catch {
            // A corrupt backup is not one to resume: its records go.
            try? await ledger?.finish(keep: false)
            throw error
        }
        try await ledger?.finish(keep: request.keepProgress)
        let (objectBytes, objectSHA) = (transferred.object.bytes, transferred.object.sha256)
        let (sqlBytes, sqlSHA) = (transferred.content.bytes, transferred.content.sha256)
        return RestoreReport(
            name: name, location: location, objectBytes: objectBytes, sqlBytes: sqlBytes, objectSHA256: objectSHA,
            sqlSHA256: sqlSHA, verifiedAgainstManifest: manifest != nil, method: useClient ? .client : .parallel,
            connections: useClient ? 1 : connections, databases: request.databases, staged: staged != nil,
            complete: trailer.sawTrailer, tracked: ledger != nil, resumed: ledger?.resumed,
            skippedStatements: applier?.skipped.statements ?? 0, skippedBytes: UInt64(applier?.skipped.bytes ?? 0))
    }

    /// Whether the dump's SQL ends with mariadb-dump's completion line (`-- Dump completed`), read
    /// through to its end without applying anything.
    static func endsWithCompletionLine(
        _ reader: any ObjectReader, compression: CompressionAlgorithm, location: String, progress: RestoreProgress
    ) async throws -> Bool {
        var scanner = DumpScanner()
        _ = try await transfer(
            reader, through: try ObjectDecompressor(compression, location: location), checkedAgainst: nil,
            progress: progress
        ) { scanner.consume($0) }
        return scanner.sawTrailer
    }

    /// SHA-256 and size of the object read, and size (and SHA-256, when asked for or when it is
    /// the object) of the content it decompressed to.
    struct Transferred {
        var object: BackupManifest.Digest
        var content: BackupManifest.ContentDigest

        /// Throws when the backup's manifest says otherwise (`content`: what it holds, for the message).
        func check(against manifest: BackupManifest?, location: String, content name: String) throws {
            guard let manifest else { return }
            if manifest.object.sha256 != object.sha256 {
                throw RestoreError.checksumMismatch(
                    location: location, what: "object", expected: manifest.object.sha256, actual: object.sha256)
            }
            if let expected = manifest.sql.sha256, let actual = content.sha256, expected != actual {
                throw RestoreError.checksumMismatch(location: location, what: name, expected: expected, actual: actual)
            }
        }
    }

    /// Reads the object to its end, decompresses it and hands the content to `deliver`, hashing the
    /// object, and the content too when `manifest` has its SHA-256 (`Transferred.check` compares
    /// them): the reading side of a logical and a physical restore.
    static func transfer(
        _ reader: any ObjectReader, through decompressor: ObjectDecompressor, checkedAgainst manifest: BackupManifest?,
        progress: RestoreProgress, deliver: ([UInt8]) async throws -> Void
    ) async throws -> Transferred {
        let objectHash = SHA256Hasher()
        // Without compression the content is the object: its hash is the object's.
        let contentHash = manifest?.sql.sha256 != nil && !decompressor.passesThrough ? SHA256Hasher() : nil
        var objectBytes: UInt64 = 0
        var contentBytes: UInt64 = 0
        func pass(_ content: [UInt8]) async throws {
            contentHash?.update(content)
            contentBytes += UInt64(content.count)
            try await deliver(content)
        }
        while let chunk = try await reader.read() {
            try Task.checkCancellation()
            objectHash.update(chunk)
            objectBytes += UInt64(chunk.count)
            progress.read(chunk.count)
            try await decompressor.update(chunk) { try await pass($0) }
            reader.recycle(consume chunk)
        }
        try await pass(try await decompressor.finish())
        let objectSHA256 = objectHash.finalize().hexString
        return Transferred(
            object: .init(sha256: objectSHA256, bytes: objectBytes),
            content: .init(
                sha256: decompressor.passesThrough ? objectSHA256 : contentHash?.finalize().hexString,
                bytes: contentBytes))
    }

    /// Whether restoring `databases` (empty: all) of this backup writes a privilege table of the
    /// mysql schema: the dump covered that schema and did not leave all seven out (the operator's
    /// ignoreGlobalPriv leaves out only global_priv; the other six stay on one Galera node and
    /// make the later CREATE USER of the same accounts fail with 1396). Pure.
    public static func writesPrivilegeTables(_ manifest: BackupManifest, restoring databases: [String]) -> Bool {
        (databases.isEmpty || databases.contains("mysql"))
            && (manifest.databases.isEmpty || manifest.databases.contains("mysql"))
            && !DumpOptions.privilegeTables.allSatisfy { manifest.dumpArguments.contains("--ignore-table=mysql.\($0)") }
    }

    /// Downloads into `directory` (the operator's stagingStorage) and checks the object against
    /// the manifest before anything is applied.
    static func stage(
        name: String, store: any ObjectStore, directory: String, manifest: BackupManifest?, progress: RestoreProgress
    ) async throws -> String {
        let staging = try DirectoryStore(path: directory, create: true)
        let stagedName = "staged.\(UUID().uuidString).\(name)"
        let writer = try await staging.makeWriter(name: stagedName)
        let hash = SHA256Hasher()
        do {
            let reader = try await store.makeReader(name: name)
            progress.begin("download", reader.size)
            while let chunk = try await reader.read() {
                hash.update(chunk)
                try await writer.write(chunk)
                progress.read(chunk.count)
            }
            _ = try await writer.commit()
        } catch {
            await writer.abort()
            throw error
        }
        let path = staging.location + stagedName
        let actual = hash.finalize().hexString
        if let manifest, manifest.object.sha256 != actual {
            try? FileManager.default.removeItem(atPath: path)
            throw RestoreError.checksumMismatch(
                location: store.location + name, what: "object", expected: manifest.object.sha256, actual: actual)
        }
        return path
    }
}
