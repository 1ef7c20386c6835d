import BackupEngine
import Dump
import Foundation
import ObjectStore
import UTCTime

/// A physical restore as the operator's bootstrap init job does it, into a data directory on this
/// host: `mbstream -x -C <dir>`, `mariadb-backup --prepare --target-dir=<dir>`, `mariadb-backup
/// --copy-back --target-dir=<dir> --force-non-empty-directories`, then the binlog position copied
/// to `mariadb-operator.info`. `moveBack` renames the files instead of copying them (`--move-back`).
public struct PhysicalRestoreRequest: Sendable, Equatable {
    public var target: RestoreTarget
    /// Where the server's files go: absent or empty (a `lost+found` is allowed).
    public var dataDirectory: String
    /// Where the stream is extracted and prepared (the operator's stagingStorage); nil: beside the datadir.
    public var stagingDirectory: String?
    public var toolExecutable: String?
    public var streamExecutable: String?
    public var moveBack: Bool

    public init(
        target: RestoreTarget, dataDirectory: String, stagingDirectory: String? = nil, toolExecutable: String? = nil,
        streamExecutable: String? = nil, moveBack: Bool = false
    ) {
        self.moveBack = moveBack
        self.target = target
        self.dataDirectory = dataDirectory
        self.stagingDirectory = stagingDirectory
        self.toolExecutable = toolExecutable
        self.streamExecutable = streamExecutable
    }
}

public struct PhysicalRestorePlan: Codable, Sendable, Equatable {
    public var name: String
    public var location: String
    public var bytes: UInt64
    public var manifest: Bool
    public var serverVersion: String?
    public var toolVersion: String
    public var dataDirectory: String
    public var workDirectory: String
    /// The command lines, as the operator's init job runs them.
    public var commands: [String]
    /// The last step an earlier, killed run of this restore ended (its staging is kept): nil when new.
    public var resumesAfter: String?
    /// Bytes of the object an earlier run downloaded that this one keeps (nil: no extract step).
    public var keptBytes: UInt64?
    /// The steps this run takes: extract, prepare, copy-back or move-back.
    public var runs: [String]
}

public struct PhysicalRestoreReport: Codable, Sendable, Equatable {
    public var name: String
    public var location: String
    public var objectBytes: UInt64
    public var streamBytes: UInt64
    public var objectSHA256: String
    /// nil when the object is compressed (see `BackupManifest.ContentDigest`).
    public var streamSHA256: String?
    public var verifiedAgainstManifest: Bool
    public var dataDirectory: String
    /// The binlog position the backup recorded (also in `<datadir>/mariadb-operator.info`).
    public var binlog: DumpPosition?
    public var commands: [String]
    /// Who the files were given to (a restore run as root); nil: they stay the runner's.
    public var owner: DataDirectoryOwner?
    /// The last step an earlier, killed run had ended, when this run went on from it.
    public var resumedAfter: String?
    /// Bytes read from the store by this run (a resumed download fetches only the rest).
    public var fetchedBytes: UInt64
    /// Bytes of the object taken from what an earlier run had downloaded.
    public var keptBytes: UInt64
}

public enum PhysicalRestoreError: Error, LocalizedError, Equatable, Sendable {
    case notPhysical(name: String)
    case dataDirectoryNotEmpty(path: String, entries: [String])
    case toolNotFound(name: String)
    case toolVersion(tool: String, backup: String)
    case stepFailed(command: String, status: Int32, stderr: String, dataDirectoryTouched: Bool)
    case incompleteStream(location: String, detail: String)
    case ownership(path: String, owner: String, reason: String)
    case staging(path: String, reason: String)
    case restoreRunning(path: String)

    public var errorDescription: String? {
        switch self {
        case .notPhysical(let name):
            return "\(name) is not a physical backup (physicalbackup-<YYYYMMDDHHMMSS>.xb[.gz|.bz2]): restore it "
                + "without --physical"
        case .dataDirectoryNotEmpty(let path, let entries):
            return "the data directory \(path) is not empty (\(entries.prefix(5).joined(separator: ", "))"
                + (entries.count > 5 ? ", …" : "") + "): give an empty or new directory; nothing was changed"
        case .toolNotFound(let name):
            return "\(name) was not found on PATH: install mariadb-backup (apt-get install mariadb-backup), of the "
                + "backup's server version"
        case .toolVersion(let tool, let backup):
            return "mariadb-backup is \(tool) but the backup was taken from MariaDB \(backup): prepare it with the "
                + "mariadb-backup of that major.minor version; nothing was changed"
        case .incompleteStream(let location, let detail):
            return "\(location) is not a whole mariadb-backup stream (\(detail)): it was cut short; the data "
                + "directory was not changed"
        case .ownership(let path, let owner, let reason):
            return "could not give \(path) to \(owner): \(reason); the data directory holds the whole backup: "
                + "chown -R it to the server's user before starting the server"
        case .staging(let path, let reason):
            return "the restore's staging \(path) cannot be used: \(reason); give another --staging-dir"
        case .restoreRunning(let path):
            return "another restore of this backup into this data directory is running (its staging \(path) is "
                + "locked): wait for it to end; nothing was changed"
        case .stepFailed(let command, let status, let stderr, let touched):
            let detail =
                stderr.isEmpty ? "no message" : stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "\(command) failed (exit \(status)): \(detail); "
                + (touched
                    ? "the data directory holds part of the backup: run the same restore again, which empties it "
                        + "and copies again"
                    : "the data directory was not changed; the same restore run again goes on from this step")
        }
    }
}

public enum PhysicalRestore {
    static let binlogInfoFiles = ["mariadb_backup_binlog_info", "xtrabackup_binlog_info"]
    /// Where the operator copies the binlog position for replication (`pkg/replication`).
    public static let operatorInfoFile = "mariadb-operator.info"

    /// Picks the newest physical backup at or before the target time, or the named one.
    static func choose(_ target: RestoreTarget, store: any ObjectStore) async throws -> BackupName {
        switch target {
        case .time(let time):
            let names = try await store.list().map(\.name)
            return try BackupSelection.target(time, among: names, location: store.location, kind: .physical)
        case .file(let name):
            guard let backup = BackupName(parsingPhysical: name) else {
                throw PhysicalRestoreError.notPhysical(name: name)
            }
            guard try await store.head(name: name) != nil else {
                throw RestoreError.objectMissing(location: store.location + name)
            }
            return backup
        }
    }

    /// The commands of the operator's init job, for `dir` and `datadir` (with `--move-back` in place
    /// of `--copy-back` when asked). Pure.
    public static func commands(workDirectory dir: String, dataDirectory: String, moveBack: Bool = false) -> [[String]]
    {
        [
            ["mbstream", "-x", "-C", dir],
            ["mariadb-backup", "--prepare", "--target-dir=\(dir)"],
            [
                "mariadb-backup", moveBack ? "--move-back" : "--copy-back", "--target-dir=\(dir)",
                "--force-non-empty-directories", "--datadir=\(dataDirectory)",
            ],
        ]
    }

    /// What is in the way in `path`: anything but `lost+found`. Absent counts as empty.
    static func occupants(of path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != "lost+found" }.sorted()
    }

    public static func plan(
        _ request: PhysicalRestoreRequest, store: any ObjectStore
    ) async throws
        -> PhysicalRestorePlan
    {
        try await prepare(request, store: store).plan
    }

    /// What `prepare` found: the plan shown by `--dry-run`, and what `run` needs beside it.
    struct Prepared {
        var plan: PhysicalRestorePlan
        var backup: BackupName
        var manifest: BackupManifest?
        var tools: [String]
        var staging: PhysicalStaging
        var object: PhysicalStaging.Object
    }

    static func prepare(_ request: PhysicalRestoreRequest, store: any ObjectStore) async throws -> Prepared {
        let backup = try await choose(request.target, store: store)
        let manifest = try await BackupManifest.load(besides: backup.fileName, from: store)
        let info = try await store.head(name: backup.fileName)
        let size = info?.size ?? 0
        let dataDirectory = (request.dataDirectory as NSString).standardizingPath
        let location = store.location + backup.fileName
        let parent = request.stagingDirectory ?? (dataDirectory as NSString).deletingLastPathComponent
        let staging = PhysicalStaging(parent: parent, location: location, dataDirectory: dataDirectory)
        let object = PhysicalStaging.Object(
            location: location, size: size,
            version: info?.etag ?? info?.lastModified.map { String($0.epochSeconds) })
        let steps = try steps(
            staging.load(), object: object, dataDirectory: dataDirectory, moveBack: request.moveBack)
        guard let stream = request.streamExecutable ?? ChildProcess.locate(["mbstream"]) else {
            throw PhysicalRestoreError.toolNotFound(name: "mbstream")
        }
        guard let tool = request.toolExecutable ?? ChildProcess.locate(["mariadb-backup", "mariabackup"]) else {
            throw PhysicalRestoreError.toolNotFound(name: "mariadb-backup")
        }
        let toolVersion = try await PhysicalBackupPipeline.toolVersion(tool)
        if let serverVersion = manifest?.serverVersion,
            !PhysicalBackupPipeline.versionsMatch(tool: toolVersion, server: serverVersion)
        {
            throw PhysicalRestoreError.toolVersion(tool: toolVersion, backup: serverVersion)
        }
        let plan = PhysicalRestorePlan(
            name: backup.fileName, location: location, bytes: size, manifest: manifest != nil,
            serverVersion: manifest?.serverVersion, toolVersion: toolVersion, dataDirectory: dataDirectory,
            workDirectory: staging.full,
            commands: commands(workDirectory: staging.full, dataDirectory: dataDirectory, moveBack: request.moveBack)
                .map { $0.joined(separator: " ") },
            resumesAfter: steps.resumedAfter?.rawValue, keptBytes: steps.extract ? steps.keepBytes : nil,
            runs: steps.names(moveBack: request.moveBack))
        return Prepared(
            plan: plan, backup: backup, manifest: manifest, tools: [stream, tool], staging: staging, object: object)
    }

    /// The steps this run takes, from the state a killed run left in the staging; throws when the data
    /// directory holds files that are not an interrupted copy-back's.
    static func steps(
        _ state: PhysicalStaging.State?, object: PhysicalStaging.Object, dataDirectory: String, moveBack: Bool
    ) throws -> PhysicalStaging.Plan {
        let occupants = occupants(of: dataDirectory)
        switch PhysicalStaging.plan(state: state, object: object, occupants: occupants, moveBack: moveBack) {
        case .success(let plan): return plan
        case .failure(.dataDirectoryNotEmpty(let entries)):
            throw PhysicalRestoreError.dataDirectoryNotEmpty(path: dataDirectory, entries: entries)
        }
    }

    /// Streams the backup into `mbstream -x`, checks it against its manifest, prepares it and copies
    /// it into the data directory, keeping each step's end in the staging: a run that was killed is
    /// taken up by the next one at the step it stopped in (see `PhysicalStaging`). The staging is
    /// removed at the end, and when the backup turns out bad; a cancelled or failed step keeps it.
    public static func run(
        _ request: PhysicalRestoreRequest, store: any ObjectStore, progress: RestoreProgress = RestoreProgress()
    ) async throws -> PhysicalRestoreReport {
        let prepared = try await prepare(request, store: store)
        let (plan, staging, tools) = (prepared.plan, prepared.staging, prepared.tools)
        let fileManager = FileManager.default
        let lock = try staging.lock()
        defer { close(lock) }
        await staging.endOrphans()
        // Again under the lock, with the orphans gone: they may have changed the data directory.
        let previous = staging.load()
        let steps = try steps(
            previous, object: prepared.object, dataDirectory: plan.dataDirectory, moveBack: request.moveBack)
        if steps.discarded {
            for path in [staging.full, staging.localCopy, staging.stateFile] {
                try? fileManager.removeItem(atPath: path)
            }
        }
        let recorder = StagingRecorder(
            staging,
            (steps.resumedAfter != nil ? previous : nil)
                ?? PhysicalStaging.State(
                    object: prepared.object, moveBack: request.moveBack, step: .download, downloaded: 0, prepared: []))
        for name in steps.clear {
            try fileManager.removeItem(atPath: (plan.dataDirectory as NSString).appendingPathComponent(name))
        }
        if let after = steps.resumedAfter {
            progress.note("goes on after the step '\(after.rawValue)' of an earlier run")
        }
        let lines = commands(
            workDirectory: staging.full, dataDirectory: plan.dataDirectory, moveBack: request.moveBack)
        var fetched: UInt64 = 0
        do {
            if steps.extract {
                fetched = try await extract(prepared, keep: steps.keepBytes, store: store, recorder: recorder,
                    line: lines[0], progress: progress)
            }
            // 2. prepare, 3. copy (or move) back: the data directory is touched only by the last step.
            if steps.prepare {
                try recorder.update { $0.step = .preparing }
                progress.begin("prepare", 0)
                try await runStep(tools[1], lines[1], touched: false)
                let entries = (try? fileManager.contentsOfDirectory(atPath: staging.full)) ?? []
                try recorder.update {
                    $0.step = .prepared
                    $0.prepared = entries.sorted()
                }
            }
            let owner = DataDirectoryOwner.decide(for: plan.dataDirectory)
            if steps.copyBack {
                try recorder.update { $0.step = .copyingBack }
                progress.begin(request.moveBack ? "move-back" : "copy-back", 0)
                try fileManager.createDirectory(atPath: plan.dataDirectory, withIntermediateDirectories: true)
                try await runStep(tools[1], lines[2], touched: true)
                try recorder.update { $0.step = .copied }
            }
            for file in binlogInfoFiles {
                let source = (staging.full as NSString).appendingPathComponent(file)
                guard fileManager.fileExists(atPath: source) else { continue }
                let destination = (plan.dataDirectory as NSString).appendingPathComponent(operatorInfoFile)
                try? fileManager.removeItem(atPath: destination)
                try fileManager.copyItem(atPath: source, toPath: destination)
                break
            }
            try owner?.apply(to: plan.dataDirectory)
            let state = recorder.state
            staging.remove()
            return PhysicalRestoreReport(
                name: prepared.backup.fileName, location: plan.location,
                objectBytes: state.checked?.object.bytes ?? prepared.object.size,
                streamBytes: state.checked?.content.bytes ?? 0, objectSHA256: state.checked?.object.sha256 ?? "",
                streamSHA256: state.checked?.content.sha256, verifiedAgainstManifest: prepared.manifest != nil,
                dataDirectory: plan.dataDirectory, binlog: state.binlog, commands: plan.commands, owner: owner,
                resumedAfter: steps.resumedAfter?.rawValue, fetchedBytes: fetched,
                keptBytes: steps.extract ? steps.keepBytes : prepared.object.size)
        } catch let error as PhysicalRestoreError {
            if case .incompleteStream = error { staging.remove() }
            throw error
        } catch let error as RestoreError {
            if case .checksumMismatch = error { staging.remove() }
            throw error
        }
    }

    /// 1. extract: the object, decompressed, into `mbstream -x` (into an emptied `full/`). From a remote
    /// store the object passes through its local copy, which keeps what an earlier run downloaded
    /// (`keep` bytes) and takes the rest with a ranged GET. Returns the bytes fetched from the store.
    static func extract(
        _ prepared: Prepared, keep: UInt64, store: any ObjectStore, recorder: StagingRecorder, line: [String],
        progress: RestoreProgress
    ) async throws -> UInt64 {
        let (plan, staging, name) = (prepared.plan, prepared.staging, prepared.backup.fileName)
        try? FileManager.default.removeItem(atPath: staging.full)
        try FileManager.default.createDirectory(atPath: staging.full, withIntermediateDirectories: true)
        try recorder.update { $0.step = .download }
        let extract = ChildProcess(
            executable: prepared.tools[0], arguments: Array(line.dropFirst()), standardInput: true)
        let reader: any ObjectReader
        var download: KeptDownload?
        if store is DirectoryStore {
            reader = try await store.makeReader(name: name)
        } else {
            let kept = try KeptDownload(
                path: staging.localCopy, keep: keep, size: prepared.object.size,
                // Synced at least 16 times over the object, at most every 32 MiB: what a kill loses.
                syncBytes: max(1 << 20, min(32 << 20, prepared.object.size / 16)),
                remote: { offset in try await store.makeReader(name: name, from: offset) },
                synced: { bytes in try? recorder.update { $0.downloaded = bytes } })
            if kept.kept > 0 {
                progress.note("keeps \(kept.kept) bytes an earlier run downloaded; fetches the rest with a ranged GET")
            }
            download = kept
            reader = kept
        }
        progress.begin("extract", reader.size)
        let decompressor = try ObjectDecompressor(
            prepared.backup.compression, location: plan.location, sliceBytes: 4 << 10)
        var scanner = XBStreamScanner()
        try extract.start()
        // One write into mbstream in flight while the next chunk is read and decompressed.
        var writing: Task<Void, any Error>?
        let transferred: RestorePipeline.Transferred
        do {
            transferred = try await RestorePipeline.transfer(
                reader, through: decompressor, checkedAgainst: prepared.manifest, progress: progress
            ) {
                stream in
                scanner.consume(stream)
                try await writing?.value
                writing = Task {
                    try await extract.write(stream)
                    progress.applied(stream.count)
                }
            }
            try await writing?.value
            try extract.closeInput()
        } catch {
            _ = try? await writing?.value
            extract.kill()
            let exit = await extract.wait()
            // A broken pipe means mbstream stopped: its own message says why.
            if exit.status != 0 && exit.status != 128 + SIGKILL {
                throw stepFailed(line, exit, touched: false)
            }
            throw error
        }
        let exit = await extract.wait()
        guard exit.status == 0 else {
            // mbstream's own word for a cut stream is a failed read: say what happened.
            if !scanner.complete {
                throw PhysicalRestoreError.incompleteStream(
                    location: plan.location, detail: scanner.fault ?? "it ends inside a chunk")
            }
            throw stepFailed(line, exit, touched: false)
        }
        try transferred.check(against: prepared.manifest, location: plan.location, content: "stream")
        guard scanner.complete else {
            throw PhysicalRestoreError.incompleteStream(
                location: plan.location, detail: scanner.fault ?? "it ends inside a chunk")
        }
        try recorder.update {
            $0.step = .extracted
            $0.downloaded = prepared.object.size
            $0.checked = PhysicalStaging.Checked(object: transferred.object, content: transferred.content)
            $0.binlog = scanner.binlogPosition
        }
        return download?.fetched ?? transferred.object.bytes
    }

    static func runStep(_ executable: String, _ line: [String], touched: Bool) async throws {
        let run = try await ChildProcess(executable: executable, arguments: Array(line.dropFirst())).runToEnd()
        guard run.status == 0 else { throw stepFailed(line, (run.status, run.stderr), touched: touched) }
    }

    static func stepFailed(
        _ line: [String], _ exit: (status: Int32, stderr: String), touched: Bool
    )
        -> PhysicalRestoreError
    {
        .stepFailed(
            command: line.prefix(2).joined(separator: " "), status: exit.status, stderr: exit.stderr,
            dataDirectoryTouched: touched)
    }
}
