import ArgumentParser
import BackupEngine
import Compression
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import Presentation
import Terminal
import UTCTime

extension MariaDBMigrate {
    /// What the operator's `Backup` resource does, from outside the cluster.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Dump a server into the store under a name the operator reads (backup.<time>.sql[.gz|.bz2]), with a "
                + "manifest beside it."
        )

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup(title: "Fixes in the dump") var fix: FixOptions

        @Option(help: "none, gzip or bzip2 (the operator's compression).")
        var compression: CompressionAlgorithm = .gzip

        @Option(
            help: ArgumentHelp(
                "gzip level 1-9: 1-3 through ISA-L (one core outruns the dump), 4-9 through zlib on every core "
                    + "(default \(GzipCompressor.defaultLevel), chosen from bench/backup.sh's table: see the README)."))
        var gzipLevel: Int?

        @Option(name: .customLong("database"), help: "A database to back up (repeat for several; default: all).")
        var databases: [String] = []

        @Flag(
            help: ArgumentHelp(
                "Apply the Galera rules (--skip-add-locks, privilege tables left out) for a Galera target; automatic "
                    + "for a Galera source.")
        )
        var galera = false

        @Flag(
            inversion: .prefixedNo, help: "Leave the mysql privilege tables out of the dump (default: on for Galera).")
        var ignoreGlobalPriv: Bool?

        @Flag(
            help: ArgumentHelp(
                "Use the operator's exact flags (for Galera: only mysql.global_priv left out; no binary character "
                    + "set)."))
        var operatorFlags = false

        @Option(
            name: .customLong("dump-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp(
                "An extra mariadb-dump argument (repeat for several), as the operator's args. The dump travels in "
                    + "the binary character set when every table definition is ASCII (no conversion, about half "
                    + "mariadb-dump's CPU), in utf8mb4 otherwise; --dump-arg=--default-character-set=utf8mb4 keeps "
                    + "mariadb-dump's own."))
        var dumpArguments: [String] = []

        @Flag(
            help: ArgumentHelp(
                "Stream mariadb-backup of the source's data files instead of dumping SQL, as the operator's "
                    + "PhysicalBackup (physicalbackup-<UTC time>.xb[.gz|.bz2], named by its consistent point), for a "
                    + "bootstrapFrom with backupContentType Physical. Runs on the source's host."))
        var physical = false

        @Option(
            name: .customLong("backup-arg"), parsing: .unconditionalSingleValue,
            help: "An extra mariadb-backup argument for --physical (repeat for several), e.g. --parallel=4.")
        var backupArguments: [String] = []

        @Option(
            name: .customLong("datadir"),
            help: ArgumentHelp(
                "The source's data directory as this host sees it, for --physical (default: the server's @@datadir).",
                valueName: "dir"))
        var dataDirectory: String?

        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Record the snapshot's binlog file/offset and GTID (--master-data=2 --gtid, as comments) when the "
                    + "source logs binlogs.")
        )
        var binlogPosition = true

        @Flag(
            help: ArgumentHelp(
                "Let mariadb-dump read the rows too. By default, without --operator-flags and with no --dump-arg "
                    + "that may change the rows (see the README), this tool reads the rows itself in one "
                    + "consistent snapshot and mariadb-dump writes the definitions (--no-data); the file is the "
                    + "one mariadb-dump would write, for about half of mariadb-dump's CPU.")
        )
        var dumpReadsRows = false

        @Flag(
            help: ArgumentHelp(
                "Leave the history of system-versioned tables out: their current rows only. By default a logical "
                    + "backup carries it (mariadb-dump --dump-history), unless a transaction-precise table, whose "
                    + "history no logical backup carries, is among the tables; the physical route keeps any history.")
        )
        var noHistory = false

        @Option(
            help: ArgumentHelp(
                "Delete backups older than this after a successful backup (Go duration, e.g. 720h), as the operator's "
                    + "maxRetention.")
        )
        var maxRetention: String?

        @Option(help: "Keep at most this many backups after a successful backup.")
        var keepLast: Int?

        @Option(
            help: ArgumentHelp(
                "First discard the unfinished uploads of backups (runs that were killed) older than this Go duration; "
                    + "'off' keeps them. A younger one is never touched: it may be another run's.",
                valueName: "duration"))
        var gcAge = StoreGC.defaultAge

        @Option(
            help: ArgumentHelp(
                "Stay running and back up on this cron schedule, in UTC (5 fields or @daily, @hourly, …), as the "
                    + "operator's schedule.cron. Runs never overlap.")
        )
        var schedule: String?

        @Option(
            help: ArgumentHelp(
                "While this file exists, scheduled runs are skipped (the operator's schedule.suspend).",
                valueName: "path"))
        var suspendFile: String?

        @Flag(help: "Start with the schedule suspended: runs are skipped until the process is restarted without it.")
        var suspend = false

        @Flag(
            help:
                "Check the source and the store and print what the backup would do (name, dump flags), without dumping."
        )
        var dryRun = false

        var job: BackupJob {
            var job = BackupJob()
            job.databases = databases
            job.galera = galera
            job.ignoreGlobalPrivileges = ignoreGlobalPriv
            job.operatorFlags = operatorFlags
            job.dumpArguments = dumpArguments
            job.compression = compression
            job.gzipLevel = gzipLevel
            job.recordBinlogPosition = binlogPosition
            if dumpReadsRows { job.dumpReadsRows = true }
            if noHistory { job.noHistory = true }
            job.maxRetention = maxRetention
            job.keepLast = keepLast
            job.gcAge = gcAge == "off" ? nil : gcAge
            job.physical = physical
            job.backupArguments = backupArguments
            job.dataDirectory = dataDirectory
            job.fixes = (try? fix.fixes()) ?? []
            job.definer = fix.definer
            return job
        }

        func validate() throws {
            _ = try fix.fixes()
            if let problem = job.problems().first { throw ValidationError(problem) }
            if let schedule { _ = try CronSchedule(schedule) }
            if schedule == nil && (suspend || suspendFile != nil) {
                throw ValidationError("--suspend and --suspend-file go with --schedule")
            }
        }

        func run() async throws {
            let settings = try connection.resolve(prompter: connection.askPassword ? Prompter() : nil)
            let store = try storage.makeStore(forWriting: true)
            if dryRun { return try await printPlan(settings: settings, store: store) }
            guard let schedule else {
                return try report(
                    try await runCancellingOnSignals { try await backupOnce(settings: settings, store: store) })
            }
            let plan = try BackupSchedule(schedule, suspended: suspend, suspendFile: suspendFile)
            try await runCancellingOnSignals {
                try await plan.run(note: note) { try report(try await backupOnce(settings: settings, store: store)) }
            }
        }

        @Sendable func note(_ message: String) {
            Console.error("\(UTCDateTime.now().rfc3339) \(message)\n")
        }

        func printPlan(settings: ConnectionSettings, store: any ObjectStore) async throws {
            if physical { return try await printPhysicalPlan(settings: settings, store: store) }
            let plan = try await BackupPipeline.plan(job.request(connection: settings, now: .now()), store: store)
            let next = schedule.flatMap { try? CronSchedule($0) }?.next(after: UTCDateTime.now())
            if output.json {
                struct DryRun: Codable {
                    var plan: BackupPlan
                    var nextScheduledRun: UTCDateTime?
                }
                return try output.printJSON(DryRun(plan: plan, nextScheduledRun: next))
            }
            print(
                "would back up \(plan.source) (MariaDB \(plan.serverVersion)\(plan.galera ? ", Galera rules on" : "")) "
                    + "to \(plan.location)"
            )
            print("  mariadb-dump \(plan.dumpArguments.joined(separator: " ")) | \(plan.compression.rawValue)")
            if let why = plan.rowsReason {
                print("  rows read by mariadb-dump: \(why)")
            } else {
                print("  rows read by mariadb-migrate in one snapshot; mariadb-dump writes the rest (--no-data)")
            }
            if !plan.historyTables.isEmpty {
                print("  history carried for \(BackupPipeline.listed(plan.historyTables)) (--no-history leaves it out)")
            }
            if !plan.historyLeftOut.isEmpty {
                print("  history left out for \(BackupPipeline.listed(plan.historyLeftOut)) (current rows only)")
            }
            if !plan.fixes.isEmpty {
                print("  fixed in the stream: \(plan.fixes.map(\.rawValue).joined(separator: ", ")) (definitions only)")
            }
            if let next { print("  next scheduled run at \(next.rfc3339)") }
            if maxRetention != nil || keepLast != nil {
                print("  then retention: max \(maxRetention ?? "-"), keep last \(keepLast.map(String.init) ?? "-")")
            }
        }

        func printPhysicalPlan(settings: ConnectionSettings, store: any ObjectStore) async throws {
            let plan = try await PhysicalBackupPipeline.plan(
                job.physicalRequest(connection: settings, now: .now()), store: store)
            if output.json { return try output.printJSON(plan) }
            print(
                "would back up \(plan.source) (MariaDB \(plan.serverVersion), data in \(plan.dataDirectory)) to "
                    + plan.location)
            print("  mariadb-backup \(plan.arguments.joined(separator: " ")) | \(plan.compression.rawValue)")
        }

        func backupOnce(settings: ConnectionSettings, store: any ObjectStore) async throws -> BackupJob.Result {
            let meter = ProgressMeter(
                label: "dumped", total: nil, mode: ProgressMeter.mode(json: output.json), outputLabel: "stored")
            let result = try await job.run(
                connection: settings, store: store,
                progress: .showing(meter))
            meter.finish()
            return result
        }

        func report(_ result: BackupJob.Result) throws {
            if output.json { return try output.printJSON(result) }
            let manifest = result.manifest
            print("backed up to \(result.location)")
            let content = manifest.kind == .physical ? "xbstream" : "sql"
            print(
                "  \(content) \(ByteFormat.string(manifest.sql.bytes)) → stored "
                    + "\(ByteFormat.string(manifest.object.bytes)) (\(manifest.compression.rawValue)) in "
                    + "\(String(format: "%.1f", result.seconds)) s"
            )
            print("  sha256 \(manifest.object.sha256); manifest \(manifest.name).manifest.json")
            if let position = manifest.binlog {
                let file = [position.file, position.offset.map(String.init)].compactMap { $0 }.joined(separator: ":")
                print("  snapshot at binlog \(file), gtid \(position.gtid ?? "none")")
            }
            if let fixes = manifest.fixes {
                let changes = manifest.fixed ?? []
                print(
                    "  fixes \(fixes.map(\.rawValue).joined(separator: ",")): \(changes.count) changes, listed in the "
                        + "manifest")
            }
            for name in result.deleted { print("  deleted by retention: \(name)") }
            for name in result.discarded { print("  discarded an unfinished upload of a killed run: \(name)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List the backups in the store, logical and physical, as the operator reads them: time, size, "
                + "compression, manifest check.")

        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let listing = try await BackupListing.read(try storage.makeStore(forWriting: false))
            let lookAlikes = listing.lookAlikes
            if !lookAlikes.isEmpty {
                Console.error(
                    "note: skipped \(lookAlikes.count) object\(lookAlikes.count == 1 ? "" : "s") named like a backup "
                        + "that the operator would not read either: "
                        + lookAlikes.prefix(10).map { "\($0.name) (\($0.reason))" }.joined(separator: ", ")
                        + (lookAlikes.count > 10 ? ", …" : "") + "\n")
            }
            let entries = listing.entries
            if output.json { return try output.printJSON(entries) }
            print(
                TextTable.render(
                    headers: ["name", "time", "size", "compression", "manifest", "kind"],
                    rows: entries.map {
                        [
                            $0.name, $0.time.rfc3339, ByteFormat.string($0.bytes), $0.compression.rawValue,
                            $0.manifest, $0.kind.rawValue,
                        ]
                    },
                    rightAligned: [2]), terminator: "")
        }
    }
}

extension CompressionAlgorithm: ExpressibleByArgument {}

// A parsed command is never mutated afterwards; its property wrappers are just not marked
// Sendable. The schedule loop runs it inside the signal-cancellable task.
extension MariaDBMigrate.Backup: @unchecked Sendable {}
