import Blocking
import BuildInfo
import Compression
import Dispatch
import Dump
import Foundation
import Hashing
import MariaDBClient
import ObjectStore
import UTCTime

/// What a backup needs. `now` names it; `dumpExecutable` nil means mariadb-dump on PATH.
public struct BackupRequest: Sendable {
    public var connection: ConnectionSettings
    public var dump: DumpOptions
    public var compression: CompressionAlgorithm
    public var gzipLevel: Int?
    public var dumpExecutable: String?
    public var now: UTCDateTime
    /// Record the snapshot's binlog/GTID position in the dump and manifest when the source logs binlogs.
    public var recordBinlogPosition: Bool
    /// Read the rows over a connection of this tool's own (`SnapshotRows`) when the dump allows it;
    /// false leaves them to mariadb-dump.
    public var readRows: Bool
    /// Carry the history of system-versioned tables (off: `--no-history`, their current rows only).
    public var history = true
    /// Rewrite definitions in the stream (issue #31); empty: none.
    public var fixes: [DumpFix] = []
    /// The account definers not carried become (`user@host`), with the definers fix.
    public var definer = DefinitionFixOptions.defaultDefiner

    public init(
        connection: ConnectionSettings, dump: DumpOptions, compression: CompressionAlgorithm, gzipLevel: Int? = nil,
        dumpExecutable: String? = nil, now: UTCDateTime, recordBinlogPosition: Bool = true, readRows: Bool = true
    ) {
        self.recordBinlogPosition = recordBinlogPosition
        self.readRows = readRows
        self.connection = connection
        self.dump = dump
        self.compression = compression
        self.gzipLevel = gzipLevel
        self.dumpExecutable = dumpExecutable
        self.now = now
    }
}

/// Written beside each backup (`<name>.manifest.json`, a name the operator ignores).
public struct BackupManifest: Codable, Sendable, Equatable {
    public struct Digest: Codable, Sendable, Equatable {
        public var sha256: String
        public var bytes: UInt64

        public init(sha256: String, bytes: UInt64) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// The content's size, and its SHA-256 only where it is the object's (no compression). A
    /// compressed object carries its content's checksums itself (gzip's CRC-32 and size, bzip2's
    /// block and stream CRCs), checked by every decompression, and the object's SHA-256 covers the
    /// stored bytes: a second SHA-256 of the content cost a backup and a restore about 0.2
    /// CPU-seconds per 400 MB each. Manifests written before carry it; a restore still checks it.
    public struct ContentDigest: Codable, Sendable, Equatable {
        public var sha256: String?
        public var bytes: UInt64

        public init(sha256: String?, bytes: UInt64) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    public var formatVersion = 1
    public var name: String
    /// nil: logical (manifests written before physical backups existed have no kind).
    public var kind: BackupKind?
    public var object: Digest
    /// The uncompressed content: the SQL of a logical backup, the xbstream of a physical one.
    public var sql: ContentDigest
    public var compression: CompressionAlgorithm
    public var serverVersion: String
    public var galera: Bool
    /// Binlog file/offset and GTID of the dump's snapshot (from the dump itself); nil when the
    /// source has no binlog or the position was not asked for.
    public var binlog: DumpPosition?
    public var databases: [String]
    /// The dump's arguments, without the credentials file.
    public var dumpArguments: [String]
    public var startedAt: UTCDateTime
    public var finishedAt: UTCDateTime
    public var tool: String
    /// The system-versioned tables whose history the dump carries (nil in manifests from before it did).
    public var historyTables: [String]?
    /// The system-versioned tables whose history the dump leaves out, on purpose or because no logical backup
    /// can carry it (nil when none, or in manifests from before it was recorded).
    public var historyLeftOut: [String]?
    /// The fixes the dump carries (`--fix`), and what each changed, object by object (nil without fixes).
    public var fixes: [DumpFix]?
    public var fixed: [String]?
    /// The backup this one is a fixed copy of (`scan --fix`).
    public var fixedFrom: String?
    /// The tool that read the rows, when not mariadb-dump (which then wrote the definitions only,
    /// with `--no-data`); `dumpArguments` are what mariadb-dump alone would need for the same file.
    public var rowsReadBy: String?

    public init(
        name: String, object: Digest, sql: ContentDigest, compression: CompressionAlgorithm, serverVersion: String,
        galera: Bool,
        binlog: DumpPosition?, databases: [String], dumpArguments: [String], startedAt: UTCDateTime,
        finishedAt: UTCDateTime, tool: String, kind: BackupKind? = nil, rowsReadBy: String? = nil
    ) {
        self.rowsReadBy = rowsReadBy
        self.name = name
        self.kind = kind
        self.object = object
        self.sql = sql
        self.compression = compression
        self.serverVersion = serverVersion
        self.galera = galera
        self.binlog = binlog
        self.databases = databases
        self.dumpArguments = dumpArguments
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.tool = tool
    }
}

extension BackupManifest {
    /// Writes the manifest beside backup `name`, as readable JSON with sorted keys.
    public func write(besides name: BackupName, to store: any ObjectStore) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try await store.put(name: name.manifestName, bytes: Array(try encoder.encode(self)))
    }

    /// The manifest beside backup `name` (`<name>.manifest.json`); nil when there is none or it is not one.
    public static func load(besides name: String, from store: any ObjectStore) async throws -> BackupManifest? {
        let manifestName = name + ".manifest.json"
        guard try await store.head(name: manifestName) != nil else { return nil }
        return try? JSONDecoder().decode(BackupManifest.self, from: Data(try await store.getAll(name: manifestName)))
    }
}

public enum BackupError: Error, LocalizedError, Equatable, Sendable {
    case dumpNotFound
    case dumpFailed(status: Int32, stderr: String)
    case incompleteDump(bytes: UInt64)
    case alreadyExists(location: String)
    case missingPrivileges(account: String, missing: [String], grants: [String])

    public var errorDescription: String? {
        switch self {
        case .dumpNotFound:
            return "mariadb-dump was not found on PATH: install mariadb-client (apt-get install mariadb-client)"
        case .dumpFailed(let status, let stderr):
            let detail =
                stderr.isEmpty ? "no message" : stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "mariadb-dump failed (exit \(status)): \(detail); nothing was published"
        case .incompleteDump(let bytes):
            return
                "the dump ended after \(bytes) bytes without its completion line: it was cut short; nothing was "
                + "published"
        case .missingPrivileges(let account, let missing, let grants):
            return "\(account) lacks what the dump needs: \(missing.joined(separator: "; ")); fix: "
                + grants.joined(separator: "; ") + "; nothing was dumped"
        case .alreadyExists(let location):
            return "\(location) already exists: nothing was overwritten; wait a second and run again"
        }
    }
}

/// What a backup will do (`backup --dry-run` prints it).
public struct BackupPlan: Codable, Sendable, Equatable {
    public var name: String
    public var location: String
    public var source: String
    public var serverVersion: String
    public var galera: Bool
    public var compression: CompressionAlgorithm
    /// mariadb-dump's arguments after the credentials file.
    public var dumpArguments: [String]
    /// Who reads the rows: `mariadb-migrate` (mariadb-dump then adds `--no-data`) or `mariadb-dump`.
    public var rowsReadBy = "mariadb-dump"
    /// Why mariadb-dump reads them, when it does.
    public var rowsReason: String?
    /// The system-versioned tables whose history the dump carries.
    public var historyTables: [String] = []
    /// The system-versioned tables whose history the dump leaves out.
    public var historyLeftOut: [String] = []
    /// The fixes the dump will carry.
    public var fixes: [DumpFix] = []
}

/// Progress callbacks: SQL bytes read from the dump, bytes handed to the store.
public struct BackupProgress: Sendable {
    public var dumped: @Sendable (Int) -> Void
    public var stored: @Sendable (Int) -> Void
    /// Something the user should know that does not stop the backup.
    public var noted: @Sendable (String) -> Void

    public init(
        dumped: @escaping @Sendable (Int) -> Void = { _ in }, stored: @escaping @Sendable (Int) -> Void = { _ in },
        noted: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.dumped = dumped
        self.stored = stored
        self.noted = noted
    }
}

/// A compressor handed to the compression queue; used by one task at a time.
final class CompressorBox: @unchecked Sendable {
    let transform: any StreamTransform
    init(_ transform: any StreamTransform) { self.transform = transform }
}

public enum BackupPipeline {
    public static var toolVersion: String { BuildInfo.tool }

    /// Dump → compress → store, streaming with backpressure and no staging file. The backup
    /// becomes visible under its name only when the dump exited 0 and wrote its completion
    /// line; otherwise the upload or temp file is removed and the error says why.
    public static func run(
        _ request: BackupRequest, store: any ObjectStore, progress: BackupProgress = BackupProgress()
    ) async throws -> BackupManifest {
        let (plan, prepared, facts, notes, preface, fixOptions) = try await prepare(request, store: store)
        for note in notes { progress.noted(note) }
        let name = BackupName(time: request.now, compression: request.compression)
        guard let executable = request.dumpExecutable ?? ChildProcess.locate(["mariadb-dump", "mysqldump"]) else {
            throw BackupError.dumpNotFound
        }

        let credentials = try CredentialsFile(settings: request.connection)
        defer { credentials.remove() }
        var dump = prepared
        var readRows = request.readRows
        func attempt() async throws -> DumpAttempt {
            let rows = readRows ? try await rowReader(request, dump: dump).0 : nil
            return try await dumpOnce(
                request, dump: dump, executable: executable, credentials: credentials.path, rows: rows,
                preface: preface, fixes: fixOptions, into: try await store.makeWriter(name: name.fileName),
                progress: progress)
        }
        // A refused attempt stored nothing; the next one does without what made it fail.
        func attemptUntilDone() async throws -> DumpAttempt {
            while true {
                do {
                    return try await attempt()
                } catch let refusal as BinaryDumpRefused where dump.binaryCharacterSet {
                    // The information_schema check missed a definition: the same dump again, in utf8mb4.
                    progress.noted(
                        "table \(refusal.table) has non-ASCII text in its definition, which a binary-character-set "
                            + "dump would change: dumping again in utf8mb4")
                    dump.binaryCharacterSet = false
                } catch let unplanned as SplicedDump.UnplannedTable where readRows {
                    progress.noted(
                        "table \(unplanned.table) appeared or changed while the dump ran: dumping again with "
                            + "mariadb-dump reading the rows")
                    readRows = false
                }
            }
        }
        let done = try await attemptUntilDone()
        _ = try await done.writer.commit()

        var manifest = BackupManifest(
            name: name.fileName,
            object: done.digests.object, sql: done.digests.content,
            compression: request.compression, serverVersion: facts.version, galera: dump.galera,
            binlog: done.scanner.position,
            databases: dump.databases, dumpArguments: Array(done.arguments.dropFirst()),
            startedAt: done.started, finishedAt: UTCDateTime.now(), tool: toolVersion,
            rowsReadBy: done.rowsReadHere ? toolVersion : nil)
        manifest.historyTables = dump.dumpHistory ? plan.historyTables : nil
        manifest.historyLeftOut = plan.historyLeftOut.isEmpty ? nil : plan.historyLeftOut
        if let fixOptions {
            manifest.fixes = fixOptions.fixes
            manifest.fixed = done.fixed
            for note in Self.fixSummary(done.fixed) { progress.noted(note) }
        }
        try await manifest.write(besides: name, to: store)
        return manifest
    }

    /// What the dump makes before its databases (`DumpPreface`): the source's plugins, and the accounts the
    /// dumped objects run as; the note that says so.
    static func preface(_ source: MariaDBConnection, dump: DumpOptions) async throws -> (text: [UInt8], note: String?) {
        guard !dump.operatorFlags else { return ([], nil) }
        let (plugins, statements) = try await DumpPreface.read(from: source, options: dump)
        let accounts = statements.filter { $0.hasPrefix("CREATE USER") }.count
        let note =
            accounts == 0
            ? nil
            : "the dump first creates the \(accounts == 1 ? "account" : "\(accounts) accounts") its views, routines, "
                + "triggers and events run as (with their global and database grants), since it leaves the "
                + "privilege tables out and a view over such a view cannot be made without them"
        return (DumpPreface.text(plugins: plugins, accounts: statements), note)
    }

    /// A binary-character-set dump stopped by `BinaryDumpGuard`; nothing was stored.
    struct BinaryDumpRefused: Error { var table: String }

    /// One dump in a writer not yet committed.
    struct DumpAttempt {
        var arguments: [String]
        var writer: any ObjectWriter
        var started: UTCDateTime
        var scanner: DumpScanner
        var digests: StreamDigests
        var rowsReadHere: Bool
        /// What the fixes changed.
        var fixed: [String] = []
    }

    /// The fixes' changes for the user: up to 20 lines, then how many more the manifest lists. Pure.
    public static func fixSummary(_ fixed: [String]) -> [String] {
        guard !fixed.isEmpty else { return ["the fixes found nothing to change"] }
        let shown = fixed.prefix(20).map { "fixed in the dump: \($0)" }
        return fixed.count > 20 ? shown + ["and \(fixed.count - 20) more changes, listed in the manifest"] : shown
    }

    /// A snapshot to read the rows from, when every table's rows can be read here: mariadb-dump's
    /// own flags (not the operator's; extra arguments only if they leave data sections alone), in
    /// the binary character set or utf8mb4 (its escaping is byte by byte in both). Otherwise nil,
    /// and why mariadb-dump reads them.
    static func rowReader(_ request: BackupRequest, dump: DumpOptions) async throws -> (SnapshotRows?, why: String?) {
        guard request.readRows else { return (nil, "--dump-reads-rows") }
        // The history's rows and their row start and end: mariadb-dump writes them as the server takes them back.
        guard !dump.dumpHistory else { return (nil, "system-versioned tables with their history (--dump-history)") }
        if let argument = dump.firstRowShapingArgument { return (nil, "--dump-arg \(argument)") }
        guard !dump.operatorFlags else { return (nil, "--operator-flags") }
        let rows = try await SnapshotRows.open(
            request.connection, databases: dump.databases, binlogPosition: dump.binlogPosition,
            binaryCharacterSet: dump.binaryCharacterSet)
        if let table = rows.plan.unsupported { return (nil, "table \(table)") }
        // Without the snapshot's own position the file would carry mariadb-dump's, not the rows'.
        if dump.binlogPosition && rows.position == nil { return (nil, "the server gives no snapshot binlog position") }
        return (rows, nil)
    }

    /// Runs mariadb-dump once into `writer` without committing it; on a throw the child is stopped
    /// and the writer aborted. A binary-character-set dump is watched by `BinaryDumpGuard`.
    static func dumpOnce(
        _ request: BackupRequest, dump: DumpOptions, executable: String, credentials: String, rows: SnapshotRows?,
        preface: [UInt8] = [], fixes: DefinitionFixOptions? = nil, into writer: any ObjectWriter,
        progress: BackupProgress
    ) async throws -> DumpAttempt {
        let arguments = try dump.arguments(defaultsExtraFile: credentials)
        let guarded = dump.binaryCharacterSet
        let started = UTCDateTime.now()
        // With rows read here, mariadb-dump writes the definitions only.
        let child = ChildProcess.buffered(
            executable: executable, arguments: rows == nil ? arguments : arguments + ["--no-data"])
        let spliced = rows.map { SplicedDump(definitions: child, rows: $0, addLocks: !dump.galera) }
        // The fixes see mariadb-dump's lines as it wrote them, before the views are ordered.
        let definitions: any DumpSource = spliced ?? child
        let fixed = fixes.map { FixedDump(definitions, options: $0) }
        let source: any DumpSource = RewrittenDump(
            fixed ?? definitions, preface: preface, orderViews: spliced == nil && !dump.operatorFlags)
        var scanner = DumpScanner()
        var binaryGuard = BinaryDumpGuard()
        do {
            try child.start()
            let digests = try await pump(
                source, compression: request.compression, gzipLevel: request.gzipLevel, into: writer,
                progress: progress
            ) { chunk in
                scanner.consume(chunk)
                guard guarded, spliced?.lastReadWasRows != true else { return }
                binaryGuard.consume(chunk)
                if let table = binaryGuard.offendingTable { throw BinaryDumpRefused(table: table) }
            }
            let exit = await child.wait()
            guard exit.status == 0 else {
                throw BackupError.dumpFailed(
                    status: exit.status, stderr: redact(exit.stderr, secret: request.connection.password))
            }
            guard scanner.sawTrailer else { throw BackupError.incompleteDump(bytes: scanner.bytes) }
            return DumpAttempt(
                arguments: arguments, writer: writer, started: started, scanner: scanner, digests: digests,
                rowsReadHere: rows != nil, fixed: fixed?.notes ?? [])
        } catch {
            spliced?.cancel()
            child.terminate()
            await writer.abort()
            if error is CancellationError { throw error }
            if error is BinaryDumpRefused || error is SplicedDump.UnplannedTable {
                _ = await child.wait()
                throw error
            }
            // A dump that died explains itself best through its own exit status and stderr.
            if !(error is BackupError) {
                let exit = await child.wait()
                if exit.status != 0 && exit.status != 128 + SIGKILL {
                    throw BackupError.dumpFailed(
                        status: exit.status, stderr: redact(exit.stderr, secret: request.connection.password))
                }
            }
            throw error
        }
    }

    /// SHA-256 and size of what was stored (`object`), and the size of what a child wrote
    /// (`content`, with the SHA-256 when it is the object).
    public struct StreamDigests: Sendable {
        public var object: BackupManifest.Digest
        public var content: BackupManifest.ContentDigest
    }

    /// The compressed bytes not yet handed to the store, filled on the compression queue while the
    /// pump awaits it (never touched by both at once), in buffers that come back after their write.
    final class PendingOutput: @unchecked Sendable {
        var bytes: [UInt8] = []
        private let written = BufferPool(limit: 2, largest: 4 << 20)

        /// The bytes so far; `bytes` goes on in a buffer given back earlier, if there is one.
        func take() -> [UInt8] {
            var next = written.emptied(reserving: 0)
            swap(&next, &bytes)
            return next
        }

        func giveBack(_ buffer: consuming [UInt8]) { written.give(buffer) }
    }

    /// A child's standard output → `inspect` → compression → `writer`, streaming with backpressure:
    /// one store write in flight while the next megabyte compresses. Does not commit; on a throw
    /// the write in flight has settled, and the caller stops the child and aborts the writer.
    public static func pump(
        _ source: any DumpSource, compression: CompressionAlgorithm, gzipLevel: Int?, workers: Int? = nil,
        into writer: any ObjectWriter, progress: BackupProgress, inspect: ([UInt8]) throws -> Void
    ) async throws -> StreamDigests {
        // Compression is CPU work on every core: it runs on its own queue, not the cooperative pool.
        let compressor = CompressorBox(try compression.makeCompressor(level: gzipLevel, workers: workers))
        let compressionQueue = DispatchQueue(label: "backup-compression")
        let objectHash = SHA256Hasher()
        var contentBytes: UInt64 = 0
        var storedBytes: UInt64 = 0
        var writing: Task<Void, any Error>?
        // Compressed bytes collect in `pending` and go to the store about a megabyte at a time; the
        // buffers come back once written, so no fresh megabyte is faulted in for each.
        let pending = PendingOutput()

        func send(_ bytes: [UInt8]) async throws {
            guard !bytes.isEmpty else { return }
            try await writing?.value
            objectHash.update(bytes)
            storedBytes += UInt64(bytes.count)
            writing = Task {
                try await writer.write(bytes)
                progress.stored(bytes.count)
                pending.giveBack(bytes)
            }
        }

        do {
            while let chunk = try await source.read() {
                try Task.checkCancellation()
                try inspect(chunk)
                contentBytes += UInt64(chunk.count)
                progress.dumped(chunk.count)
                async let compressed: Void = runBlocking(on: compressionQueue) {
                    try chunk.withUnsafeBytes { try compressor.transform.update($0, appendingTo: &pending.bytes) }
                }
                try await compressed
                source.recycle(consume chunk)
                if pending.bytes.count >= 1 << 20 { try await send(pending.take()) }
            }
            pending.bytes += try await runBlocking(on: compressionQueue) { try compressor.transform.finish() }
            try await send(pending.take())
            try await writing?.value
        } catch {
            _ = try? await writing?.value
            throw error
        }
        let objectSHA256 = objectHash.finalize().hexString
        return StreamDigests(
            object: .init(sha256: objectSHA256, bytes: storedBytes),
            content: .init(sha256: compression == .none ? objectSHA256 : nil, bytes: contentBytes))
    }

    /// What a backup would do, checked against the source and the store, without dumping:
    /// `backup --dry-run`.
    public static func plan(_ request: BackupRequest, store: any ObjectStore) async throws -> BackupPlan {
        let prepared = try await prepare(request, store: store)
        var plan = prepared.plan
        let (rows, why) = try await rowReader(request, dump: prepared.dump)
        if rows != nil { plan.rowsReadBy = "mariadb-migrate" }
        plan.rowsReason = why
        return plan
    }

    static func prepare(
        _ request: BackupRequest, store: any ObjectStore
    ) async throws -> (
        plan: BackupPlan, dump: DumpOptions, facts: ServerFacts, notes: [String], preface: [UInt8],
        fixes: DefinitionFixOptions?
    ) {
        let source = try await MariaDBConnection.connect(request.connection)
        let facts = try await source.serverFacts()
        var dump = request.dump
        if facts.galera.enabled { dump.galera = true }
        // `file` is set only when SHOW MASTER STATUS worked: mariadb-dump needs the same privilege.
        var notes: [String] = []
        var historyTables: [String] = []
        if request.recordBinlogPosition && facts.binlog.enabled {
            if facts.binlog.file != nil {
                dump.binlogPosition = true
            } else {
                let account = try await source.query("SELECT CURRENT_USER()").scalar.string ?? request.connection.user
                notes.append(
                    "the binlog position is not recorded (a live cutover needs it): \(account) may not run SHOW "
                        + "MASTER STATUS; fix: GRANT BINLOG MONITOR ON *.* TO \(account)")
            }
        }
        let versioned = try await source.systemVersionedTables(filter: "TABLE_SCHEMA " + schemaScope(dump.databases))
        let history = historyDecision(versioned, wanted: request.history, operatorFlags: dump.operatorFlags)
        dump.dumpHistory = history.dumpHistory
        if history.dumpHistory { historyTables = versioned.timestamp }
        if let note = history.note { notes.append(note) }
        try await checkPrivileges(source, dump: dump)
        // On the connection the checks used; the preface depends on the dump's scope, not on its character set.
        let preface = try await Self.preface(source, dump: dump)
        if let note = preface.note { notes.append(note) }
        dump.binaryCharacterSet = await binaryCharacterSetIsSafe(source, dump: dump)
        let name = BackupName(time: request.now, compression: request.compression)
        guard try await store.head(name: name.fileName) == nil else {
            throw BackupError.alreadyExists(location: store.location + name.fileName)
        }
        let arguments = Array(try dump.arguments(defaultsExtraFile: "<credentials file>").dropFirst())
        var plan = BackupPlan(
            name: name.fileName, location: store.location + name.fileName, source: source.endpoint,
            serverVersion: facts.version,
            galera: dump.galera, compression: request.compression, dumpArguments: arguments)
        plan.historyTables = historyTables
        plan.historyLeftOut = history.leftOut
        plan.fixes = request.fixes
        return (plan, dump, facts, notes, preface.text, try await fixOptions(request, source: source))
    }

    /// The fixes with what they need of the source: its accounts, whose definers stay. nil without fixes.
    static func fixOptions(_ request: BackupRequest, source: MariaDBConnection) async throws -> DefinitionFixOptions? {
        guard !request.fixes.isEmpty else { return nil }
        guard !request.dump.operatorFlags else { throw DefinitionFixError.withOperatorFlags }
        var accounts: [String] = []
        if request.fixes.contains(.definers) {
            accounts = try await source.query("SELECT User, Host FROM mysql.user").rows.map {
                "\($0[0].string ?? "")@\($0[1].string ?? "")"
            }
        }
        return DefinitionFixOptions(
            fixes: request.fixes, keptAccounts: accounts + SystemObjects.presentOnEveryTarget,
            definer: request.definer)
    }

    /// What a logical backup does with the history of system-versioned tables.
    public struct HistoryDecision: Sendable, Equatable {
        /// mariadb-dump `--dump-history`.
        public var dumpHistory = false
        /// Every system-versioned table in the dump's scope.
        public var versioned: [String] = []
        /// What to tell the user; nil when no table is versioned.
        public var note: String?

        /// The versioned tables whose history the dump leaves out (their current rows travel): all of them,
        /// unless it dumps the history.
        public var leftOut: [String] { dumpHistory ? [] : versioned }
    }

    /// Whether the dump carries history (`--dump-history`), which tables' history it leaves out, and what to
    /// tell the user. Pure.
    public static func historyDecision(
        _ versioned: SystemVersionedTables, wanted: Bool, operatorFlags: Bool = false
    ) -> HistoryDecision {
        let timestamp = versioned.timestamp
        guard !versioned.all.isEmpty else { return HistoryDecision() }
        func leavingItOut(_ note: String) -> HistoryDecision { HistoryDecision(versioned: versioned.all, note: note) }
        if operatorFlags {
            return leavingItOut(
                "--operator-flags: the history of \(listed(versioned.all)) is left out, current rows only (the "
                    + "operator's flags carry none)")
        }
        guard !timestamp.isEmpty else {
            return leavingItOut(
                "the history of \(listed(versioned.transactionPrecise)) is transaction-precise, which no logical "
                    + "backup carries: current rows only; the physical route (backup --physical) keeps it")
        }
        guard wanted else {
            return leavingItOut("--no-history: the history of \(listed(versioned.all)) is left out, current rows only")
        }
        guard versioned.transactionPrecise.isEmpty else {
            return leavingItOut(
                "the history of \(listed(timestamp)) is left out: mariadb-dump cannot dump any history beside the "
                    + "transaction-precise \(listed(versioned.transactionPrecise)); the physical route (backup "
                    + "--physical) keeps all of it")
        }
        return HistoryDecision(
            dumpHistory: true, versioned: versioned.all,
            note: "the history of \(listed(timestamp)) travels with their rows (mariadb-dump --dump-history)")
    }

    /// "table s.a", "3 tables s.a, s.b, s.c".
    public static func listed(_ tables: [String]) -> String {
        (tables.count == 1 ? "table " : "\(tables.count) tables ") + SystemVersionedTables.shortList(tables)
    }

    /// Whether the dump may travel in the binary character set: not with the operator's exact flags or
    /// a character set of the user's, nor when a table definition holds non-ASCII text (`BinaryDumpGuard`).
    static func binaryCharacterSetIsSafe(_ source: MariaDBConnection, dump: DumpOptions) async -> Bool {
        guard !dump.operatorFlags, !dump.extraArguments.contains(where: { $0.hasPrefix("--default-character-set") })
        else { return false }
        let query = BinaryDumpGuard.nonASCIIDefinitionQuery(databases: dump.databases)
        // A server without one of these views (CHECK_CONSTRAINTS came in 10.2) keeps utf8mb4.
        guard let found = try? await source.query(query) else { return false }
        return found.rows.isEmpty
    }

    /// Refuses before dumping when the account lacks a privilege the dump needs, with the GRANT.
    static func checkPrivileges(_ source: MariaDBConnection, dump: DumpOptions) async throws {
        guard let (privileges, account) = try await source.dumpPrivileges() else { return }
        var databases = dump.databases
        if databases.isEmpty {
            let system: Set<String> = ["mysql", "information_schema", "performance_schema", "sys"]
            databases = try await source.query("SHOW DATABASES").rows.compactMap { $0[0].string }.filter {
                !system.contains($0)
            }
        }
        let missing = privileges.missing(for: databases, events: true)
        guard missing.isEmpty else {
            throw BackupError.missingPrivileges(
                account: account,
                missing: missing.map { "\($0.privilege) on \($0.database) (\($0.why))" },
                grants: DumpPrivileges.grants(for: missing, account: account))
        }
    }

    /// The password, and the hashes of SHOW GRANTS lines (mariadb-backup prints the account's grants
    /// when it lacks a privilege), as `<redacted>`.
    static func redact(_ text: String, secret: String?) -> String {
        var text = text.replacingOccurrences(
            of: #"(?i)(IDENTIFIED BY PASSWORD|USING) '[^']*'"#, with: "$1 '<redacted>'", options: .regularExpression)
        if let secret, !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "<redacted>") }
        return text
    }

    /// Deletes expired backups and their manifests; returns what was deleted.
    public static func applyRetention(
        store: any ObjectStore, now: UTCDateTime, maxRetentionSeconds: Int64?, keepLast: Int?,
        kind: BackupKind = .logical
    ) async throws -> [BackupName] {
        let names = try await store.list().map(\.name)
        let expired = BackupSelection.expired(
            among: names, now: now, maxRetentionSeconds: maxRetentionSeconds, keepLast: keepLast, kind: kind)
        for backup in expired {
            try await store.delete(name: backup.fileName)
            if names.contains(backup.manifestName) { try await store.delete(name: backup.manifestName) }
        }
        return expired
    }
}
