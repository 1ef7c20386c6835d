import Compression
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import UTCTime

/// A physical backup as a person asks for it (`backup --physical`, a runbook's physical step):
/// `mariadb-backup --backup --stream=xbstream` of a server on this host, compressed as a whole
/// file, as the operator's `PhysicalBackup` writes and its `bootstrapFrom` reads.
public struct PhysicalBackupRequest: Sendable {
    public var connection: ConnectionSettings
    public var compression: CompressionAlgorithm
    public var gzipLevel: Int?
    /// Extra mariadb-backup arguments (the operator's `args`), e.g. `--parallel=4`.
    public var extraArguments: [String]
    /// nil: mariadb-backup on PATH.
    public var toolExecutable: String?
    /// The server's data directory as this host sees it; nil reads `@@datadir` from the server.
    public var dataDirectory: String?
    public var now: UTCDateTime
    /// This run's token in its pending name (`BackupName.pendingName(run:)`).
    public var pendingRun: String

    public init(
        connection: ConnectionSettings, compression: CompressionAlgorithm = .gzip, gzipLevel: Int? = nil,
        extraArguments: [String] = [], toolExecutable: String? = nil, dataDirectory: String? = nil,
        now: UTCDateTime = .now(), pendingRun: String = BackupName.newRun()
    ) {
        self.pendingRun = pendingRun
        self.connection = connection
        self.compression = compression
        self.gzipLevel = gzipLevel
        self.extraArguments = extraArguments
        self.toolExecutable = toolExecutable
        self.dataDirectory = dataDirectory
        self.now = now
    }
}

/// What a physical backup will do (`backup --physical --dry-run`).
public struct PhysicalBackupPlan: Codable, Sendable, Equatable {
    public var location: String
    public var source: String
    public var serverVersion: String
    public var toolVersion: String
    public var dataDirectory: String
    public var compression: CompressionAlgorithm
    /// mariadb-backup's arguments after the credentials file.
    public var arguments: [String]
}

public enum PhysicalBackupError: Error, LocalizedError, Equatable, Sendable {
    case toolNotFound
    case toolVersion(tool: String, server: String)
    case dataDirectoryUnreadable(path: String, endpoint: String)
    case missingPrivileges(account: String, missing: [String])
    case backtickInName(tables: [String], tool: String)
    case failed(status: Int32, stderr: String)
    case notCompleted(stderr: String)
    case malformedStream(detail: String)

    public var errorDescription: String? {
        switch self {
        case .toolNotFound:
            return "mariadb-backup was not found on PATH: install it on the source's host (apt-get install "
                + "mariadb-backup), of the server's version"
        case .toolVersion(let tool, let server):
            return "mariadb-backup is \(tool) but the server is \(server): install the mariadb-backup of the "
                + "server's major.minor version; nothing was backed up"
        case .dataDirectoryUnreadable(let path, let endpoint):
            return "the data directory \(path) of \(endpoint) cannot be read here: run the physical backup on the "
                + "source's host, as root or the mysql user (or pass --datadir); nothing was backed up"
        case .missingPrivileges(let account, let missing):
            return "\(account) lacks what mariadb-backup needs: \(missing.joined(separator: ", ")); fix: GRANT "
                + "\(missing.joined(separator: ", ")) ON *.* TO \(account); nothing was backed up"
        case .backtickInName(let tables, let tool):
            let shown =
                tables.prefix(3).joined(separator: ", ") + (tables.count > 3 ? " and \(tables.count - 3) more" : "")
            let them = tables.count == 1 ? "it" : "them"
            return "mariadb-backup \(tool) cannot copy \(shown): it locks a table that is not InnoDB with a BACKUP "
                + "LOCK that does not double a backtick in a name; fix: rename \(them), or ALTER TABLE … "
                + "ENGINE=InnoDB, or take the logical route; nothing was backed up"
        case .failed(let status, let stderr):
            let detail =
                stderr.isEmpty ? "no message" : stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "mariadb-backup failed (exit \(status)): \(detail); nothing was published"
        case .notCompleted(let stderr):
            let last = stderr.split(separator: "\n").last.map(String.init) ?? "no message"
            return "mariadb-backup exited 0 without 'completed OK!' (last line: \(last)); nothing was published"
        case .malformedStream(let detail):
            return "mariadb-backup's stream is not whole (\(detail)); nothing was published"
        }
    }
}

public enum PhysicalBackupPipeline {
    /// What a physical backup would do, checked against the source, this host and the store.
    public static func plan(_ request: PhysicalBackupRequest, store: any ObjectStore) async throws -> PhysicalBackupPlan
    {
        try await prepare(request, store: store).plan
    }

    static func prepare(
        _ request: PhysicalBackupRequest, store: any ObjectStore
    ) async throws -> (plan: PhysicalBackupPlan, facts: ServerFacts, executable: String, notes: [String]) {
        let source = try await MariaDBConnection.connect(request.connection)
        let facts = try await source.serverFacts()
        if let (privileges, account) = try await source.dumpPrivileges() {
            let missing = privileges.missingForPhysicalBackup()
            guard missing.isEmpty else {
                throw PhysicalBackupError.missingPrivileges(account: account, missing: missing)
            }
        }
        let (executable, toolVersion, dataDirectory) = try await checkHost(
            source, facts: facts, toolExecutable: request.toolExecutable, dataDirectory: request.dataDirectory)
        try await checkTableNames(source, toolVersion: toolVersion)
        var notes: [String] = []
        if !facts.binlog.enabled {
            notes.append(
                "the source writes no binlog: the backup has no binlog position, so a live cutover cannot follow it")
        }
        let suffix = request.compression.fileExtension.map { ".\($0)" } ?? ""
        let plan = PhysicalBackupPlan(
            location: store.location + "physicalbackup-<UTC time of its consistent point>.xb" + suffix,
            source: source.endpoint, serverVersion: facts.version,
            toolVersion: toolVersion, dataDirectory: dataDirectory, compression: request.compression,
            arguments: arguments(request, dataDirectory: dataDirectory, credentials: nil))
        return (plan, facts, executable, notes)
    }

    /// What a physical backup needs on this host: mariadb-backup of the server's major.minor, and
    /// the server's data directory readable here (the backup runs on the source's host).
    public static func checkHost(
        _ source: MariaDBConnection, facts: ServerFacts, toolExecutable: String? = nil, dataDirectory: String? = nil
    ) async throws -> (executable: String, toolVersion: String, dataDirectory: String) {
        var directory = dataDirectory ?? ""
        if dataDirectory == nil { directory = try await source.query("SELECT @@datadir").scalar.string ?? "" }
        guard let executable = toolExecutable ?? ChildProcess.locate(["mariadb-backup", "mariabackup"]) else {
            throw PhysicalBackupError.toolNotFound
        }
        let toolVersion = try await Self.toolVersion(executable)
        guard Self.versionsMatch(tool: toolVersion, server: facts.version) else {
            throw PhysicalBackupError.toolVersion(tool: toolVersion, server: facts.version)
        }
        guard Self.readable(directory: directory) else {
            throw PhysicalBackupError.dataDirectoryUnreadable(path: directory, endpoint: source.endpoint)
        }
        return (executable, toolVersion, directory)
    }

    /// mariadb-backup (10.11.19 seen) runs ``BACKUP LOCK `db`.`t` `` for each table it copies that is
    /// not InnoDB (Aria, MyISAM, CSV, MERGE, ARCHIVE; MEMORY has no file) without doubling a backtick
    /// in either name, and fails midway with a syntax error: refused before it starts. MariaDB's newest
    /// source read (extra/mariabackup/common_engine.cc, `Table::copy`) still joins the raw names.
    public static func checkTableNames(_ source: MariaDBConnection, toolVersion: String) async throws {
        let result = try await source.query(
            """
            SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE FROM information_schema.TABLES
            WHERE TABLE_TYPE <> 'VIEW' AND ENGINE NOT IN ('InnoDB', 'MEMORY')
              AND (LOCATE('`', TABLE_SCHEMA) > 0 OR LOCATE('`', TABLE_NAME) > 0)
            ORDER BY TABLE_SCHEMA, TABLE_NAME
            """)
        let tables = result.rows.map {
            SQLQuoting.identifier($0[0].string ?? "") + "." + SQLQuoting.identifier($0[1].string ?? "")
                + " (\($0[2].string ?? "?"))"
        }
        guard tables.isEmpty else { throw PhysicalBackupError.backtickInName(tables: tables, tool: toolVersion) }
    }

    /// mariadb-backup's arguments as the operator's `PhysicalBackup` job passes them, and the datadir.
    static func arguments(_ request: PhysicalBackupRequest, dataDirectory: String, credentials: String?) -> [String] {
        (credentials.map { ["--defaults-extra-file=\($0)"] } ?? [])
            + ["--backup", "--stream=xbstream", "--datadir=\(dataDirectory)", "--databases-exclude=lost+found"]
            + request.extraArguments
    }

    /// The server version mariadb-backup was built from (`… based on MariaDB server 10.11.19-MariaDB …`).
    public static func toolVersion(_ executable: String) async throws -> String {
        let run = try await ChildProcess(executable: executable, arguments: ["--version"]).runToEnd()
        let text = String(decoding: run.output, as: UTF8.self) + run.stderr
        return parseToolVersion(text) ?? text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `10.11.19` from mariadb-backup's `--version` line. Pure.
    public static func parseToolVersion(_ text: String) -> String? {
        guard let range = text.range(of: #"server \d+\.\d+\.\d+"#, options: .regularExpression) else { return nil }
        return String(text[range].dropFirst("server ".count))
    }

    /// A backup is prepared by the mariadb-backup of the same major.minor as the server. Pure.
    public static func versionsMatch(tool: String, server: String) -> Bool {
        let toolParts = tool.split(separator: ".").prefix(2)
        let serverParts = server.split(whereSeparator: { !$0.isNumber }).prefix(2)
        return toolParts.count == 2 && toolParts.elementsEqual(serverParts)
    }

    static func readable(directory: String) -> Bool {
        guard !directory.isEmpty, access(directory, R_OK | X_OK) == 0 else { return false }
        return (try? FileManager.default.contentsOfDirectory(atPath: directory)) != nil
    }

    /// mariadb-backup → compression → store, as the logical route streams (no staging file, bounded
    /// memory). The stream is written under a pending name and takes its final name, the consistent
    /// point's time, only after mariadb-backup exited 0 with `completed OK!` and the stream ended at a
    /// chunk boundary; otherwise the upload is aborted.
    public static func run(
        _ request: PhysicalBackupRequest, store: any ObjectStore, progress: BackupProgress = BackupProgress()
    ) async throws -> BackupManifest {
        let (plan, facts, executable, notes) = try await prepare(request, store: store)
        for note in notes { progress.noted(note) }
        let provisional = BackupName(time: request.now, compression: request.compression, kind: .physical)
        let credentials = try CredentialsFile(settings: request.connection)
        defer { credentials.remove() }
        let arguments = arguments(request, dataDirectory: plan.dataDirectory, credentials: credentials.path)
        let pendingName = provisional.pendingName(run: request.pendingRun)
        var attempt = 1
        while true {
            do {
                let streamed = try await stream(
                    request, executable: executable, arguments: arguments, pendingName: pendingName, store: store,
                    progress: progress)
                return try await publish(
                    streamed, request: request, facts: facts, arguments: arguments, pendingName: pendingName,
                    store: store)
            } catch PhysicalBackupError.failed(let status, let stderr) {
                // A table dropped while mariadb-backup listed the tablespaces stops it at once: that DDL is over on
                // the next try, so it is tried again, as a transient fault, before anything is published.
                guard let table = droppedDuringScan(stderr), attempt < maximumAttempts else {
                    throw PhysicalBackupError.failed(status: status, stderr: stderr)
                }
                progress.noted(
                    "the table \(table) was dropped while mariadb-backup listed the tablespaces: trying again "
                        + "(attempt \(attempt + 1) of \(maximumAttempts))")
                try await Task.sleep(for: .seconds(attempt))
                attempt += 1
            }
        }
    }

    /// How often a backup that a concurrent DROP stopped is tried in all.
    static let maximumAttempts = 3

    /// The table (`db/table`) whose file mariadb-backup did not find while it listed the tablespaces
    /// (`InnoDB: File ./db/t.ibd was not found`), nil when the failure is another.
    public static func droppedDuringScan(_ stderr: String) -> String? {
        guard let match = stderr.firstMatch(of: /File \.\/(?<table>[^\s]+)\.ibd was not found/) else { return nil }
        return String(match.output.table)
    }

    /// What one run of mariadb-backup left under the pending name.
    struct Streamed {
        var digests: BackupPipeline.StreamDigests
        var binlog: DumpPosition?
        var consistentPoint: Double?
        var started: UTCDateTime
    }

    /// One run of mariadb-backup → compression → the store under `pendingName`; the upload is aborted when it fails.
    static func stream(
        _ request: PhysicalBackupRequest, executable: String, arguments: [String], pendingName: String,
        store: any ObjectStore, progress: BackupProgress
    ) async throws -> Streamed {
        let child = ChildProcess(executable: executable, arguments: arguments)
        let writer = try await store.makeWriter(name: pendingName)
        let started = UTCDateTime.now()
        var scanner = XBStreamScanner()
        var consistentPoint: Double?
        let digests: BackupPipeline.StreamDigests
        do {
            try child.start()
            // mariadb-backup streams pages about twice as fast as one core of ISA-L compresses them.
            digests = try await BackupPipeline.pump(
                child, compression: request.compression, gzipLevel: request.gzipLevel,
                workers: ParallelGzipCompressor.defaultWorkers, into: writer, progress: progress
            ) { chunk in
                scanner.consume(chunk)
                if consistentPoint == nil && scanner.reachedConsistentPoint {
                    consistentPoint = Date().timeIntervalSince1970
                }
            }
            let exit = await child.wait()
            let stderr = BackupPipeline.redact(exit.stderr, secret: request.connection.password)
            guard exit.status == 0 else { throw PhysicalBackupError.failed(status: exit.status, stderr: stderr) }
            guard stderr.hasSuffix("completed OK!") else { throw PhysicalBackupError.notCompleted(stderr: stderr) }
            if let fault = scanner.fault { throw PhysicalBackupError.malformedStream(detail: fault) }
            guard scanner.complete else {
                throw PhysicalBackupError.malformedStream(detail: "it ends inside a chunk after \(scanner.bytes) bytes")
            }
        } catch {
            child.terminate()
            await writer.abort()
            if error is CancellationError || error is PhysicalBackupError { throw error }
            let exit = await child.wait()
            if exit.status != 0 && exit.status != 128 + SIGKILL {
                throw PhysicalBackupError.failed(
                    status: exit.status, stderr: BackupPipeline.redact(exit.stderr, secret: request.connection.password)
                )
            }
            throw error
        }
        _ = try await writer.commit()
        return Streamed(
            digests: digests, binlog: scanner.binlogPosition, consistentPoint: consistentPoint, started: started)
    }

    /// The pending stream takes its final name, and its manifest is written beside it.
    static func publish(
        _ streamed: Streamed, request: PhysicalBackupRequest, facts: ServerFacts, arguments: [String],
        pendingName: String, store: any ObjectStore
    ) async throws -> BackupManifest {
        // Named by the consistent point, to the second below it, as a logical backup is named by the
        // second its snapshot starts in; so a restore right after the backup, at "now", finds it.
        let point = (streamed.consistentPoint ?? Date().timeIntervalSince1970).rounded(.down)
        let name = BackupName(
            time: UTCDateTime(epochSeconds: Int64(point)), compression: request.compression, kind: .physical)
        do {
            // Another backup may have taken this second's name: it stays, and this one goes.
            guard try await store.head(name: name.fileName) == nil else {
                throw BackupError.alreadyExists(location: store.location + name.fileName)
            }
            try await store.rename(pendingName, to: name.fileName)
        } catch {
            try? await store.delete(name: pendingName)
            throw error
        }
        let manifest = BackupManifest(
            name: name.fileName, object: streamed.digests.object, sql: streamed.digests.content,
            compression: request.compression, serverVersion: facts.version, galera: facts.galera.enabled,
            binlog: streamed.binlog, databases: [], dumpArguments: Array(arguments.dropFirst()),
            startedAt: streamed.started, finishedAt: UTCDateTime.now(), tool: BackupPipeline.toolVersion,
            kind: .physical)
        try await manifest.write(besides: name, to: store)
        return manifest
    }
}
