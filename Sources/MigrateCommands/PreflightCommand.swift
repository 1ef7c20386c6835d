import ArgumentParser
import MariaDBClient
import Preflight
import Terminal

extension TargetTopology: ExpressibleByArgument {}

extension MariaDBMigrate {
    /// The checks before a topology change: what would break on Galera or replication.
    struct PreflightCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preflight",
            abstract: "Check a source before it moves into Galera, replication or a standalone server: each finding "
                + "with its severity, the objects and the fix. Exit 1 when there is a blocker.",
            discussion: """
                For Galera: tables not on InnoDB and tables without a primary key (blockers), mysql.wsrep_* \
                tables, tables too large for one write set, and events (warnings), triggers (a note). For \
                replication: the binary log, binlog_format and server_id. For every target: objects whose \
                DEFINER will not exist, and the source's version against --target-version. Reads \
                information_schema and variables only, so it is quick on large schemas.
                """)

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup(title: "Fixes the backup will carry") var fix: FixOptions

        @Option(help: "The topology the source moves into: galera, replication or standalone.")
        var target: TargetTopology

        @Option(name: .customLong("database"), help: "A database to check (repeat for several; default: all).")
        var databases: [String] = []

        @Option(help: ArgumentHelp("The target image's MariaDB version.", valueName: "major.minor"))
        var targetVersion: String?

        var job: PreflightJob {
            PreflightJob(
                target: target, databases: databases, targetVersion: targetVersion,
                fixes: (try? fix.fixes()) ?? [])
        }

        func validate() throws {
            _ = try fix.fixes()
            if let problem = job.problems().first { throw ValidationError(problem) }
        }

        func run() async throws {
            let source = try await MariaDBConnection.connect(
                try connection.resolve(prompter: connection.askPassword ? Prompter() : nil))
            let report = try await job.run(source: source)
            if output.json {
                try output.printJSON(report)
            } else {
                print(Self.render(report), terminator: "")
            }
            if report.blockers > 0 { throw ExitCode(1) }
        }

        static func render(_ report: PreflightJob.Report) -> String {
            var text =
                "preflight of \(report.source) for \(report.target.rawValue): "
                + "\(report.blockers) blocker\(report.blockers == 1 ? "" : "s"), "
                + "\(report.warnings) warning\(report.warnings == 1 ? "" : "s")\n"
            text += report.findings.map(\.text).joined()
            return text
        }
    }
}
