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
    /// Go duration, as the operator's maxRetention (e.g. 720h).
    public var maxRetention: String?
    public var keepLast: Int?
    /// Before dumping, discard the unfinished uploads of backups older than this (Go duration; nil: don't).
    public var gcAge: String? = StoreGC.defaultAge

    public init() {}

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
        return problems
    }

    public func request(connection: ConnectionSettings, now: UTCDateTime) -> BackupRequest {
        BackupRequest(
            connection: connection,
            dump: DumpOptions(
                databases: databases, galera: galera, ignoreGlobalPrivileges: ignoreGlobalPrivileges,
                operatorFlags: operatorFlags, extraArguments: dumpArguments),
            compression: compression, gzipLevel: gzipLevel, now: now, recordBinlogPosition: recordBinlogPosition)
    }

    /// The name a backup started at `now` gets.
    public func name(at now: UTCDateTime) -> String { BackupName(time: now, compression: compression).fileName }

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
        var discarded: [String] = []
        if let age = gcAge.flatMap(GoDuration.seconds) {
            discarded = try await StoreGC.run(store, now: now, minimumAgeSeconds: age).map(\.name)
        }
        let manifest = try await BackupPipeline.run(request, store: store, progress: progress)
        var deleted: [String] = []
        if maxRetention != nil || keepLast != nil {
            deleted = try await BackupPipeline.applyRetention(
                store: store, now: request.now, maxRetentionSeconds: maxRetention.flatMap(GoDuration.seconds),
                keepLast: keepLast
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
