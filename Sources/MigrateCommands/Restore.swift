import ArgumentParser
import Foundation
import MariaDBClient
import ObjectStore
import Presentation
import RestoreEngine
import Terminal
import UTCTime

extension MariaDBMigrate {
    /// What the operator's `Restore` resource and `bootstrapFrom` do, against any reachable MariaDB.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Restore the newest backup at or before --target-time (or --file) into a server, checked against its "
                + "manifest."
        )

        @OptionGroup(title: "Target connection") var connection: ConnectionOptions
        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        @Option(
            help: ArgumentHelp(
                "Restore the newest backup at or before this time (RFC 3339, e.g. 2024-08-26T12:24:34Z; default: now), "
                    + "as the operator's targetRecoveryTime.",
                valueName: "time"))
        var targetTime: String?

        @Option(help: ArgumentHelp("Restore this object instead (a name in the store).", valueName: "name"))
        var file: String?

        @Option(
            name: .customLong("database"),
            help: ArgumentHelp(
                "Restore only this database (repeat for several); it must exist on the target (--one-database "
                    + "semantics).")
        )
        var databases: [String] = []

        @Option(
            help: ArgumentHelp(
                "Download and check the backup here first, then apply it (the operator's stagingStorage).",
                valueName: "dir"))
        var stagingDir: String?

        @Option(
            help: ArgumentHelp(
                "Connections to load on (default: the number of cores, at least 2; 1 on Galera). 1 pipes the dump into "
                    + "the mariadb client.")
        )
        var parallel: Int?

        @Flag(
            help: ArgumentHelp(
                "Apply a dump that does not end with mariadb-dump's completion line (cut short, or another tool's) "
                    + "anyway, as far as it goes; on a Galera target, also one that writes mysql.global_priv or "
                    + "mysql.wsrep_*."))
        var force = false

        @Flag(
            help: ArgumentHelp(
                "Check the store, the backup's manifest and the target, and print what the restore would do, without "
                    + "applying anything.")
        )
        var dryRun = false

        @Flag(
            help: ArgumentHelp(
                "Restore the newest physical backup (physicalbackup-<time>.xb[.gz|.bz2]) into --datadir on this host, "
                    + "as the operator's bootstrap init job does (mbstream -x, mariadb-backup --prepare, --copy-back); "
                    + "no server connection is used. Start a server on that directory afterwards."))
        var physical = false

        @Option(
            name: .customLong("datadir"),
            help: ArgumentHelp(
                "The data directory a --physical restore fills: absent or empty.", valueName: "dir"))
        var dataDirectory: String?

        @Flag(
            help: ArgumentHelp(
                "With --physical: move the prepared files into --datadir (mariadb-backup --move-back) instead of "
                    + "copying them as the operator's init job does. When the staging directory is on the data "
                    + "directory's file system, that saves writing the data a second time."))
        var moveBack = false

        @Flag(
            help: ArgumentHelp(
                "Do not write the restore to the target's binlog (SET sql_log_bin=0, as myloader does by default; "
                    + "replicas will not see it).")
        )
        var skipBinlog = false

        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Build an InnoDB table's plain secondary indexes after its rows are in (one sorted build instead of "
                    + "an insert per row; mydumper's --innodb-optimize-keys), on a connection of its own while the "
                    + "next table loads. The table comes out the same; tables with foreign keys keep their indexes "
                    + "throughout. Not used when --parallel 1 --no-track-progress pipes into the client.")
        )
        var deferIndexes = true

        @Flag(
            help: ArgumentHelp(
                "Go on with the unfinished restore this target holds, where it stopped (after a kill, a crash, a "
                    + "lost connection): what it had committed is skipped, the rest is applied. The same backup and "
                    + "settings are needed; any host can resume."))
        var resume = false

        @Flag(
            help: ArgumentHelp(
                "Drop the progress of the unfinished restore this target holds and start from the first statement "
                    + "(the dump's DROP TABLE replaces what it had restored)."))
        var restart = false

        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Keep the restore's progress on the target as it goes (schema _mariadb_migrate, written in the "
                    + "transaction of the rows it accounts for), so that an interrupted restore can --resume; "
                    + "removed when the restore ends. Off, --parallel 1 pipes the dump into the mariadb client."))
        var trackProgress = true

        @Option(
            help: ArgumentHelp(
                "SQL of row data one connection commits at a time with its progress record (default 1MiB; e.g. "
                    + "8MiB): at most this much per connection loads again after an interruption.",
                valueName: "size"))
        var chunkSize: String?

        @Flag(help: "Leave the progress records on the target when the restore ends (marked finished).")
        var keepProgress = false

        /// The progress mode the flags ask for.
        var progressMode: ProgressMode { resume ? .resume : restart ? .restart : .fresh }

        func validate() throws {
            if resume && restart {
                throw ValidationError("--resume and --restart exclude each other: give one")
            }
            if (resume || restart || keepProgress) && !trackProgress {
                let flag = resume ? "--resume" : restart ? "--restart" : "--keep-progress"
                throw ValidationError("\(flag) needs the progress that --no-track-progress turns off")
            }
            if let chunkSize, ByteFormat.parse(chunkSize).map({ $0 >= 1 << 16 && $0 <= 1 << 30 }) != true {
                throw ValidationError(
                    "--chunk-size '\(chunkSize)' is not a size between 64KiB and 1GiB: write e.g. 8MiB or 64M")
            }
            if targetTime != nil && file != nil {
                throw ValidationError("--target-time and --file exclude each other: give one")
            }
            if let targetTime, UTCDateTime.parseRFC3339(targetTime) == nil {
                throw ValidationError(
                    "--target-time '\(targetTime)' is not an RFC 3339 time: write e.g. 2024-08-26T12:24:34Z")
            }
            if let parallel, !(1...64).contains(parallel) {
                throw ValidationError("--parallel '\(parallel)' is outside 1-64")
            }
            if physical {
                guard dataDirectory != nil else {
                    throw ValidationError("--physical needs --datadir: the empty directory the server's files go to")
                }
                if !databases.isEmpty {
                    throw ValidationError(
                        "--database '\(databases[0])' does not go with --physical: a physical backup restores every "
                            + "database")
                }
            } else if let dataDirectory {
                throw ValidationError("--datadir '\(dataDirectory)' goes with --physical")
            } else if moveBack {
                throw ValidationError("--move-back goes with --physical: a logical restore has no files to move")
            }
        }

        func run() async throws {
            if physical { return try await runPhysical() }
            let settings = try connection.resolve(prompter: connection.askPassword ? Prompter() : nil)
            let store = try storage.makeStore(forWriting: false)
            let request = request(connection: settings)
            if dryRun {
                let plan = try await RestorePipeline.plan(request, store: store)
                if output.json { return try output.printJSON(plan) }
                let checked = plan.manifest ? "checked against its manifest" : "no manifest to check it against"
                let galera = plan.galera ? ", Galera" : ""
                print(
                    "would restore \(plan.location) (\(ByteFormat.string(plan.bytes)), \(checked)) "
                        + "into \(plan.target) (MariaDB \(plan.targetVersion)\(galera))")
                let connections = "\(plan.connections) connection\(plan.connections == 1 ? "" : "s")"
                let databases = plan.databases.isEmpty ? "" : ", databases \(plan.databases.joined(separator: ", "))"
                print("  \(plan.method), \(connections)\(databases)\(plan.staged ? ", staged first" : "")")
                print("  whole dump: \(plan.completeness)")
                if let restarts = plan.restarts {
                    print("  --restart: drops the progress of the unfinished restore of \(restarts) first")
                }
                if let point = plan.resume {
                    print("  resumes: " + Self.resumeText(point))
                    print("  redoes the rest; the dump is read from its start, the applied part passed over")
                } else if plan.tracked {
                    print("  progress kept on the target (schema _mariadb_migrate) for --resume")
                }
                return
            }
            let meter = ProgressMeter(
                label: "apply", total: nil, mode: ProgressMeter.mode(json: output.json), outputLabel: "applied")
            let started = ContinuousClock.now
            let report: RestoreReport
            do {
                report = try await runCancellingOnSignals {
                    try await RestorePipeline.run(request, store: store, progress: .showing(meter))
                }
            } catch RestoreError.nothingToResume(let endpoint) {
                // Bad input, as migrate's refusals: nothing was done.
                Console.error("Error: \(RestoreError.nothingToResume(endpoint: endpoint).localizedDescription)\n")
                throw ExitCode(2)
            }
            meter.finish()
            let elapsed = ContinuousClock.now - started
            let seconds = elapsed.inSeconds
            if output.json { return try output.printJSON(Timed(report: report, seconds: seconds)) }
            print("restored \(report.location) into \(settings.endpointDescription)")
            print(
                "  \(ByteFormat.string(report.objectBytes)) read, \(ByteFormat.string(report.sqlBytes)) of SQL applied "
                    + "in \(String(format: "%.1f", seconds)) s (\(report.method), \(report.connections) "
                    + "connection\(report.connections == 1 ? "" : "s"))"
            )
            print(
                report.verifiedAgainstManifest
                    ? "  sha256 matches the manifest" : "  no manifest beside the backup: its checksum was not checked")
            if let point = report.resumed {
                print(
                    "  resumed the restore started \(point.started): skipped \(report.skippedStatements) statements "
                        + "(\(ByteFormat.string(report.skippedBytes)) of SQL, \(point.rows) rows) already applied")
            }
            if report.tracked {
                print(
                    keepProgress
                        ? "  progress records kept in schema _mariadb_migrate (--keep-progress)"
                        : "  progress records removed")
            }
            if !report.complete {
                print(
                    "  warning: the dump has no completion line (-- Dump completed): it was cut short, and the target "
                        + "holds what it had up to the cut (--force)")
            }
        }

        func request(connection settings: ConnectionSettings) -> RestoreRequest {
            RestoreRequest(
                connection: settings, target: target, databases: databases, stagingDirectory: stagingDir,
                parallel: parallel, force: force, skipBinlog: skipBinlog, deferIndexes: deferIndexes,
                trackProgress: trackProgress, progressMode: progressMode,
                chunkBytes: chunkSize.flatMap(ByteFormat.parse).map(Int.init) ?? RestoreRequest.defaultChunkBytes,
                keepProgress: keepProgress)
        }

        var physicalRequest: PhysicalRestoreRequest {
            PhysicalRestoreRequest(
                target: target, dataDirectory: dataDirectory ?? "", stagingDirectory: stagingDir, moveBack: moveBack)
        }

        /// `--file`, or the newest backup at or before `--target-time` (default: now).
        var target: RestoreTarget {
            file.map { .file($0) } ?? .time(targetTime.flatMap { UTCDateTime.parseRFC3339($0) } ?? UTCDateTime.now())
        }

        static func resumeText(_ point: ResumePoint) -> String {
            let reloaded =
                point.reloaded.isEmpty
                ? "" : "; loads again, emptied first: " + SystemVersionedTables.shortList(point.reloaded)
            return "skips what the restore started \(point.started) applied: \(point.statements) statements, "
                + "\(ByteFormat.string(point.sqlBytes)) of SQL, \(point.rows) rows, \(point.tables.count) tables"
                + reloaded
        }

        /// A restore's report and its wall time, for `--json`.
        struct Timed<Report: Codable>: Codable {
            var report: Report
            var seconds: Double

            init(report: Report, seconds: Double) {
                self.report = report
                self.seconds = (seconds * 100).rounded() / 100
            }
        }

        func runPhysical() async throws {
            let store = try storage.makeStore(forWriting: false)
            let request = physicalRequest
            if dryRun {
                let plan = try await PhysicalRestore.plan(request, store: store)
                if output.json { return try output.printJSON(plan) }
                let checked = plan.manifest ? "checked against its manifest" : "no manifest to check it against"
                print(
                    "would restore \(plan.location) (\(ByteFormat.string(plan.bytes)), \(checked)) into "
                        + "\(plan.dataDirectory) with mariadb-backup \(plan.toolVersion):")
                for command in plan.commands { print("  \(command)") }
                if let after = plan.resumesAfter {
                    let kept = plan.keptBytes.map { ", keeping \(ByteFormat.string($0)) already downloaded" } ?? ""
                    print(
                        "  goes on after the step '\(after)' of an earlier run\(kept): runs "
                            + (plan.runs.isEmpty ? "nothing but the last touches" : plan.runs.joined(separator: ", ")))
                }
                return
            }
            let meter = ProgressMeter(
                label: "extract", total: nil, mode: ProgressMeter.mode(json: output.json), outputLabel: "stream")
            let started = ContinuousClock.now
            let report = try await runCancellingOnSignals {
                try await PhysicalRestore.run(request, store: store, progress: .showing(meter))
            }
            meter.finish()
            let seconds = (ContinuousClock.now - started).inSeconds
            if output.json { return try output.printJSON(Timed(report: report, seconds: seconds)) }
            print("restored \(report.location) into \(report.dataDirectory)")
            print(
                "  \(ByteFormat.string(report.objectBytes)) read, \(ByteFormat.string(report.streamBytes)) of xbstream "
                    + "extracted, prepared and \(moveBack ? "moved" : "copied") back in "
                    + "\(String(format: "%.1f", seconds)) s")
            print(
                report.verifiedAgainstManifest
                    ? "  sha256 matches the manifest" : "  no manifest beside the backup: its checksum was not checked")
            if let after = report.resumedAfter {
                print(
                    "  went on after the step '\(after)' of an earlier run: \(ByteFormat.string(report.fetchedBytes)) "
                        + "fetched now, \(ByteFormat.string(report.keptBytes)) kept from before")
            }
            if let binlog = report.binlog {
                print(
                    "  binlog position \(binlog.file ?? "-"):\(binlog.offset.map(String.init) ?? "-"), gtid "
                        + "\(binlog.gtid ?? "none") (in \(PhysicalRestore.operatorInfoFile))")
            }
            if let owner = report.owner {
                print("  files given to \(owner.description)")
                print("  next: start mariadbd with --datadir=\(report.dataDirectory)")
            } else {
                print(
                    "  next: chown -R mysql:mysql \(report.dataDirectory) if the server runs as mysql, and start "
                        + "mariadbd with --datadir=\(report.dataDirectory)")
            }
        }
    }
}
