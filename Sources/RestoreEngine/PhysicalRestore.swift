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
}

public enum PhysicalRestoreError: Error, LocalizedError, Equatable, Sendable {
    case notPhysical(name: String)
    case dataDirectoryNotEmpty(path: String, entries: [String])
    case toolNotFound(name: String)
    case toolVersion(tool: String, backup: String)
    case stepFailed(command: String, status: Int32, stderr: String, dataDirectoryTouched: Bool)
    case incompleteStream(location: String, detail: String)
    case ownership(path: String, owner: String, reason: String)

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
        case .stepFailed(let command, let status, let stderr, let touched):
            let detail =
                stderr.isEmpty ? "no message" : stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "\(command) failed (exit \(status)): \(detail); "
                + (touched
                    ? "the data directory holds part of the backup: empty it and restore again"
                    : "the data directory was not changed")
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

    static func prepare(
        _ request: PhysicalRestoreRequest, store: any ObjectStore
    ) async throws -> (plan: PhysicalRestorePlan, backup: BackupName, manifest: BackupManifest?, tools: [String]) {
        let backup = try await choose(request.target, store: store)
        let manifest = try await BackupManifest.load(besides: backup.fileName, from: store)
        let size = try await store.head(name: backup.fileName)?.size ?? 0
        let dataDirectory = (request.dataDirectory as NSString).standardizingPath
        let occupants = occupants(of: dataDirectory)
        guard occupants.isEmpty else {
            throw PhysicalRestoreError.dataDirectoryNotEmpty(path: dataDirectory, entries: occupants)
        }
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
        let parent = request.stagingDirectory ?? (dataDirectory as NSString).deletingLastPathComponent
        let work = (parent as NSString).appendingPathComponent(".mariadb-migrate-restore-\(UUID().uuidString)/full")
        let plan = PhysicalRestorePlan(
            name: backup.fileName, location: store.location + backup.fileName, bytes: size, manifest: manifest != nil,
            serverVersion: manifest?.serverVersion, toolVersion: toolVersion, dataDirectory: dataDirectory,
            workDirectory: work,
            commands: commands(workDirectory: work, dataDirectory: dataDirectory, moveBack: request.moveBack).map {
                $0.joined(separator: " ")
            })
        return (plan, backup, manifest, [stream, tool])
    }

    /// Streams the backup into `mbstream -x`, checks it against its manifest, prepares it and copies
    /// it into the data directory. The work directory is removed afterwards, also on failure.
    public static func run(
        _ request: PhysicalRestoreRequest, store: any ObjectStore, progress: RestoreProgress = RestoreProgress()
    ) async throws -> PhysicalRestoreReport {
        let (plan, backup, manifest, tools) = try await prepare(request, store: store)
        let work = plan.workDirectory
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(atPath: (work as NSString).deletingLastPathComponent) }
        let lines = commands(workDirectory: work, dataDirectory: plan.dataDirectory, moveBack: request.moveBack)

        // 1. extract: the object, decompressed, into mbstream's standard input.
        let extract = ChildProcess(executable: tools[0], arguments: Array(lines[0].dropFirst()), standardInput: true)
        let reader = try await store.makeReader(name: backup.fileName)
        progress.begin("extract", reader.size)
        let decompressor = try ObjectDecompressor(backup.compression, location: plan.location, sliceBytes: 4 << 10)
        var scanner = XBStreamScanner()
        try extract.start()
        // One write into mbstream in flight while the next chunk is read and decompressed.
        var writing: Task<Void, any Error>?
        let transferred: RestorePipeline.Transferred
        do {
            transferred = try await RestorePipeline.transfer(
                reader, through: decompressor, checkedAgainst: manifest, progress: progress
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
                throw stepFailed(lines[0], exit, touched: false)
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
            throw stepFailed(lines[0], exit, touched: false)
        }
        try transferred.check(against: manifest, location: plan.location, content: "stream")
        guard scanner.complete else {
            throw PhysicalRestoreError.incompleteStream(
                location: plan.location, detail: scanner.fault ?? "it ends inside a chunk")
        }

        // 2. prepare, 3. copy (or move) back: the data directory is touched only by the last step.
        progress.begin("prepare", 0)
        try await runStep(tools[1], lines[1], touched: false)
        progress.begin(request.moveBack ? "move-back" : "copy-back", 0)
        let owner = DataDirectoryOwner.decide(for: plan.dataDirectory)
        try fileManager.createDirectory(atPath: plan.dataDirectory, withIntermediateDirectories: true)
        try await runStep(tools[1], lines[2], touched: true)
        for file in binlogInfoFiles {
            let source = (work as NSString).appendingPathComponent(file)
            guard fileManager.fileExists(atPath: source) else { continue }
            let destination = (plan.dataDirectory as NSString).appendingPathComponent(operatorInfoFile)
            try? fileManager.removeItem(atPath: destination)
            try fileManager.copyItem(atPath: source, toPath: destination)
            break
        }
        try owner?.apply(to: plan.dataDirectory)
        return PhysicalRestoreReport(
            name: backup.fileName, location: plan.location, objectBytes: transferred.object.bytes,
            streamBytes: transferred.content.bytes, objectSHA256: transferred.object.sha256,
            streamSHA256: transferred.content.sha256, verifiedAgainstManifest: manifest != nil,
            dataDirectory: plan.dataDirectory, binlog: scanner.binlogPosition, commands: plan.commands, owner: owner)
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
