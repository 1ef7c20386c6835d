import Compression
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import UTCTime

/// One backup as a person asks for it (the `backup` command and a runbook's backup step): what to
/// dump, how to compress it, and the retention applied after it succeeded.
public struct BackupJob: Codable, Sendable, Equatable {
    public var databases: [String] = []
    public var galera = false
    public var ignoreGlobalPrivileges: Bool?
    public var operatorFlags = false
    public var dumpArguments: [String] = []
    public var compression: CompressionAlgorithm = .gzip
    public var gzipLevel: Int?
    public var recordBinlogPosition = true
    /// mariadb-dump reads the rows as well (true), instead of this tool's own snapshot reader.
    public var dumpReadsRows: Bool?
    /// Leave the history of system-versioned tables out (`--no-history`).
    public var noHistory: Bool?
    /// Go duration, as the operator's maxRetention (e.g. 720h).
    public var maxRetention: String?
    public var keepLast: Int?
    /// Before dumping, discard the unfinished uploads of backups older than this (Go duration; nil: don't).
    public var gcAge: String? = StoreGC.defaultAge
    /// A mariadb-backup stream instead of a dump (the operator's PhysicalBackup).
    public var physical = false
    /// Extra mariadb-backup arguments, for a physical backup.
    public var backupArguments: [String] = []
    /// The source's data directory as this host sees it (physical; nil: the server's @@datadir).
    public var dataDirectory: String?
    /// The token of a physical backup's pending name when it must be known before the run starts
    /// (the wizard records it); nil: a fresh one for each run.
    public var pendingRun: String?
    /// Definitions rewritten in the stream (`--fix`), and the account definers not carried become.
    public var fixes: [DumpFix] = []
    public var definer: String?

    public init() {}

    public var kind: BackupKind { physical ? .physical : .logical }

    /// The input rules, shared by the command's validate(), a prompt and an answers file.
    public func problems() -> [String] {
        var problems: [String] = []
        if let gzipLevel, !(1...9).contains(gzipLevel) { problems.append("gzip level '\(gzipLevel)' is outside 1-9") }
        if let maxRetention, GoDuration.seconds(maxRetention) == nil {
            problems.append("max retention '\(maxRetention)' is not a duration: write e.g. 720h or 1h30m")
        }
        if let keepLast, keepLast < 1 { problems.append("keep last '\(keepLast)' must be 1 or more") }
        if let gcAge, GoDuration.seconds(gcAge) == nil {
            problems.append("gc age '\(gcAge)' is not a duration: write e.g. 1h or 30m")
        }
        if !fixes.isEmpty && operatorFlags { problems.append(DefinitionFixError.withOperatorFlags.message) }
        if !fixes.isEmpty && physical {
            problems.append("--fix rewrites a logical dump: a physical backup copies the data files as they are")
        }
        if let definer, definer != DefinitionFixOptions.invokerWord, !definer.contains("@") || definer.hasPrefix("@") {
            problems.append(
                "definer '\(definer)' is not an account: write it as user@host, e.g. app@%, or "
                    + DefinitionFixOptions.invokerWord)
        }
        if definer != nil && !fixes.contains(.definers) {
            problems.append("--definer '\(definer!)' is for the definers fix: add --fix definers")
        }
        if physical {
            if !databases.isEmpty {
                problems.append(
                    "a physical backup holds every database ('\(databases.joined(separator: ","))' given): drop "
                        + "--database, or take a logical backup")
            }
            if !dumpArguments.isEmpty { problems.append("--dump-arg is for logical backups: use --backup-arg") }
        } else if !backupArguments.isEmpty {
            problems.append("--backup-arg is for physical backups: add --physical, or use --dump-arg")
        }
        return problems
    }

    public func request(connection: ConnectionSettings, now: UTCDateTime) -> BackupRequest {
        var request = BackupRequest(
            connection: connection,
            dump: DumpOptions(
                databases: databases, galera: galera, ignoreGlobalPrivileges: ignoreGlobalPrivileges,
                operatorFlags: operatorFlags, extraArguments: dumpArguments),
            compression: compression, gzipLevel: gzipLevel, now: now, recordBinlogPosition: recordBinlogPosition,
            readRows: dumpReadsRows != true)
        request.history = noHistory != true
        request.fixes = fixes
        request.definer = definer ?? DefinitionFixOptions.defaultDefiner
        return request
    }

    public func physicalRequest(connection: ConnectionSettings, now: UTCDateTime) -> PhysicalBackupRequest {
        PhysicalBackupRequest(
            connection: connection, compression: compression, gzipLevel: gzipLevel, extraArguments: backupArguments,
            dataDirectory: dataDirectory, now: now, pendingRun: pendingRun ?? BackupName.newRun())
    }

    /// The name a backup started at `now` gets (a physical one is named at its end, later).
    public func name(at now: UTCDateTime) -> String {
        BackupName(time: now, compression: compression, kind: kind).fileName
    }

    /// Backups of this kind without our manifest beside them were written by the operator's own
    /// `Backup`/`PhysicalBackup` into the same prefix: its maxRetention deletes this tool's backups too.
    /// Pure.
    static func sharedPrefixNote(names: [String], location: String, kind: BackupKind) -> String? {
        let present = Set(names)
        let foreign = BackupSelection.backups(in: names, kind: kind).filter { !present.contains($0.manifestName) }
        guard let newest = foreign.last else { return nil }
        let resource = kind == .physical ? "PhysicalBackup" : "Backup"
        return "\(location) also holds \(foreign.count) \(kind.rawValue) backup\(foreign.count == 1 ? "" : "s") "
            + "without a manifest (newest \(newest.fileName)), as an operator \(resource) writes them: its "
            + "maxRetention deletes this tool's backups there too; give each its own prefix"
    }

    public struct Result: Codable, Sendable, Equatable {
        public var name: String
        public var location: String
        public var manifest: BackupManifest
        public var deleted: [String]
        /// Unfinished uploads of earlier, killed backups that this run discarded first.
        public var discarded: [String]
        public var seconds: Double
    }

    /// Dumps into the store, then applies the retention. Nothing is published on failure.
    public func run(
        connection: ConnectionSettings, store: any ObjectStore, now: UTCDateTime = .now(),
        progress: BackupProgress = BackupProgress()
    ) async throws -> Result {
        let request = request(connection: connection, now: now)
        let started = ContinuousClock.now
        // One listing serves the clean-up and the shared-prefix check.
        let objects = try await store.list()
        var discarded: [String] = []
        if let age = gcAge.flatMap(GoDuration.seconds) {
            discarded = try await StoreGC.run(store, now: now, minimumAgeSeconds: age, objects: objects).map(\.name)
        }
        let note = Self.sharedPrefixNote(names: objects.map(\.name), location: store.location, kind: kind)
        if let note { progress.noted(note) }
        let manifest =
            physical
            ? try await PhysicalBackupPipeline.run(
                physicalRequest(connection: connection, now: now), store: store, progress: progress)
            : try await BackupPipeline.run(request, store: store, progress: progress)
        var deleted: [String] = []
        if maxRetention != nil || keepLast != nil {
            deleted = try await BackupPipeline.applyRetention(
                store: store, now: request.now, maxRetentionSeconds: maxRetention.flatMap(GoDuration.seconds),
                keepLast: keepLast, kind: kind
            ).map(\.fileName)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        return Result(
            name: manifest.name, location: store.location + manifest.name, manifest: manifest, deleted: deleted,
            discarded: discarded, seconds: (seconds * 100).rounded() / 100)
    }
}

/// The operator's `schedule`: backups on a cron in UTC, one at a time, skipped while suspended.
public struct BackupSchedule: Sendable {
    public var cron: CronSchedule
    public var text: String
    public var suspended: Bool
    public var suspendFile: String?

    public init(_ text: String, suspended: Bool = false, suspendFile: String? = nil) throws {
        cron = try CronSchedule(text)
        self.text = text
        self.suspended = suspended
        self.suspendFile = suspendFile
    }

    /// Runs `backup` at each fire time until cancelled. A failed run is noted and the schedule
    /// goes on; cancellation during a run is rethrown (the run has aborted its upload).
    public func run(
        note: @escaping @Sendable (String) -> Void, backup: @escaping @Sendable () async throws -> Void
    ) async throws {
        while true {
            let now = UTCDateTime.now()
            guard let next = cron.next(after: now) else { return }
            note("next backup at \(next.rfc3339) (schedule '\(text)')")
            do {
                try await Task.sleep(for: .seconds(next.epochSeconds - now.epochSeconds))
            } catch {
                note("schedule stopped; no backup was running")
                return
            }
            if suspended || suspendFile.map({ FileManager.default.fileExists(atPath: $0) }) == true {
                note("schedule suspended: skipped the backup due at \(next.rfc3339)")
                continue
            }
            // One run at a time: the next fire time is computed after this run ends.
            do {
                try await backup()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                note("backup failed: \(error.localizedDescription)")
            }
        }
    }
}

extension BackupJob {
    /// Cleans up after an attempt stopped while writing `name` (its recorded name): a pending physical backup
    /// (`BackupName.waiting(in:)`), complete but never renamed, is deleted, and the upload left open is aborted.
    /// Returns how many unfinished uploads were aborted.
    public static func discardAttempt(name: String, in store: any ObjectStore) async throws -> Int {
        if BackupName.waiting(in: name) != nil { try? await store.delete(name: name) }
        return try await store.discardUnfinishedWrites(name: name)
    }
}
