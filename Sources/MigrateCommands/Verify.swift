import ArgumentParser
import Foundation
import MariaDBClient
import Presentation
import Replication
import RestoreEngine
import Terminal
import Verification

extension MariaDBMigrate {
    /// Proves a restore: the same schemas, rows, checksums, objects and accounts on both servers.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Compare a source (--host …) with a target (--target-host …): tables with row counts and CHECKSUM "
                    + "TABLE, views, routines, triggers, events, accounts and grants. Exit 1 on any difference."
        )

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup(title: "Target connection") var target: TargetConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup(title: "Fixes the backup carried") var fix: FixOptions
        @OptionGroup(title: "Live comparison") var liveOptions: LiveVerifyOptions

        @Option(
            name: .customLong("database"),
            help: "A database to compare (repeat for several; default: every non-system database).")
        var databases: [String] = []

        @Flag(
            inversion: .prefixedNo,
            help: "Compare accounts and grants too (default: on when every database is compared, off with --database).")
        var accounts: Bool?

        @Option(
            name: .customLong("account"),
            help: ArgumentHelp(
                "Compare only accounts whose user or role name matches this SQL LIKE pattern (repeat for several).",
                valueName: "pattern"))
        var accountPatterns: [String] = []

        @Option(
            name: .customLong("tool-account"),
            help: ArgumentHelp(
                "A user name this tool made for the migration itself, left out of the comparison like "
                    + "\(SystemObjects.replicationAccount), the replication account replicate makes (repeat for "
                    + "several).",
                valueName: "user"))
        var toolUsers: [String] = []

        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Compare the history of system-versioned tables too: every version with its row start and end (a "
                    + "logical backup carries it for timestamp-versioned tables, the physical route for all). "
                    + "--no-history compares their current rows only."))
        var history = true

        @Option(
            name: .customLong("history-left-out"),
            help: ArgumentHelp(
                "A system-versioned table whose history the backup left out on purpose (its manifest's "
                    + "historyLeftOut): its current rows are compared, and the report says so (repeat, or separate "
                    + "with commas).",
                valueName: "database.table"))
        var historyLeftOut: [String] = []

        @Flag(
            help: ArgumentHelp(
                "When no difference is found, drop the progress that `restore --keep-progress` left on the target "
                    + "(the schema \(SystemObjects.toolSchema)); the progress of an unfinished restore stays."))
        var dropRestoreProgress = false

        var job: VerifyJob {
            var job = VerifyJob(
                databases: databases, accounts: self.accounts, accountPatterns: accountPatterns, toolUsers: toolUsers)
            job.history = history
            job.historyLeftOut = historyLeftOut.flatMap { $0.split(separator: ",").map(String.init) }
            job.fixes = ((try? fix.fixes()) ?? []).map(\.rawValue)
            return job
        }

        func validate() throws {
            _ = try fix.fixes()
            guard liveOptions.live else { return }
            // What only the quiet comparison reads: refused with --live rather than left unread.
            let quietOnly: [(String, Bool)] = [
                ("--fix", !fix.fixList.isEmpty), ("--account", !accountPatterns.isEmpty),
                ("--accounts/--no-accounts", accounts != nil), ("--tool-account", !toolUsers.isEmpty),
                ("--no-history", !history), ("--history-left-out", !historyLeftOut.isEmpty),
                ("--drop-restore-progress", dropRestoreProgress),
            ]
            if let flag = quietOnly.first(where: \.1)?.0 {
                throw ValidationError(
                    "\(flag) belongs to the quiet comparison, which --live does not run: drop it, or run verify "
                        + "without --live once the servers are quiet")
            }
        }

        func run() async throws {
            if liveOptions.live { return try await runLive() }
            let targetSettings = try target.resolve()
            let report = try await job.run(source: try connection.resolve(prompter: nil), target: targetSettings)
            var dropped: [String] = []
            if dropRestoreProgress && report.differences.isEmpty {
                dropped = try await RestoreLedger.dropFinished(on: try await MariaDBConnection.connect(targetSettings))
            }
            if output.json {
                try output.printJSON(report)
            } else if report.differences.isEmpty {
                print("no differences between \(report.source) and \(report.target) (\(report.scope))")
            } else {
                print(
                    "\(report.differences.count) differences between \(report.source) and \(report.target) "
                        + "(\(report.scope)):"
                )
                for line in report.differences { print("  \(line)") }
            }
            if !output.json {
                for note in [report.historyNote, report.leftOutNote, report.intendedNote].compactMap({ $0 }) {
                    print("  " + note)
                }
                if !dropped.isEmpty { print("  dropped the restore progress of \(dropped.joined(separator: ", "))") }
            }
            if !report.differences.isEmpty { throw ExitCode(1) }
        }
    }
}

extension MariaDBMigrate.Verify {
    /// `--live`: chunk by chunk at one GTID position; exit 1 on any differing row.
    func runLive() async throws {
        let job = try liveOptions.job(databases: databases)
        let display = LiveVerifyDisplay(mode: ProgressMeter.mode(json: output.json))
        let report: LiveVerifyJob.Report
        do {
            report = try await job.run(
                source: try connection.resolve(prompter: nil), target: try target.resolve(), events: display.show)
        } catch LiveVerifyError.nothingToResume(let file) {
            // Bad input, as restore --resume's: nothing was done.
            display.finish()
            Console.error("Error: \(LiveVerifyError.nothingToResume(file: file).localizedDescription)\n")
            throw ExitCode(2)
        } catch {
            display.finish()
            throw error
        }
        display.finish()
        if output.json {
            try output.printJSON(report)
        } else {
            let rows = report.tables.reduce(0) { $0 + $1.rows }
            let summary = "\(report.tables.count) tables, \(rows) rows, \(String(format: "%.1f", report.seconds)) s"
            if report.differences == 0 {
                print("no differences between \(report.source) and \(report.target) while replicating (\(summary))")
            } else {
                print("\(report.differences) rows differ between \(report.source) and \(report.target) (\(summary)):")
            }
            for table in report.tables where table.differences > 0 || table.note != nil {
                let found = table.differences == 0 ? "equal" : "\(table.differences) rows differ"
                print("  \(table.name): \(found)" + (table.note.map { " (\($0))" } ?? ""))
                for row in table.differingRows { print("    \(row.kind): key (\(row.key.joined(separator: ", ")))") }
            }
            if report.pauses > 0 { print("  paused \(report.pauses) times for the load bounds") }
        }
        if report.differences > 0 { throw ExitCode(1) }
    }
}
