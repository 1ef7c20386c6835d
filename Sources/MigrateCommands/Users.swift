import Accounts
import ArgumentParser
import Foundation
import Manifests
import MariaDBClient

extension MariaDBMigrate {
    /// The runbook's step 5: accounts as User, Grant and Database CRs, and SQL for the rest.
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Turn the source's accounts, grants and databases into User, Grant and Database CRs (hashes in "
                    + "Secrets), with an SQL file and a report for what CRs cannot say."
        )

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(
            help: ArgumentHelp(
                "Read accounts from a dump taken with mariadb-dump --system=users instead of the server.",
                valueName: "path"))
        var fromDump: String?
        @Option(help: "The MariaDB resource the CRs point at (mariaDbRef).") var mariadbName = "mariadb"
        @Option(help: "enterprise.mariadb.com or k8s.mariadb.com.") var apiGroup = "enterprise.mariadb.com"
        @Option(help: "Namespace for every resource.") var namespace: String?
        @Option(
            name: .customLong("database"),
            help: "A database to write a Database CR for (repeat; default: every non-system database).")
        var databases: [String] = []
        @Option(help: ArgumentHelp("Directory to write to.", valueName: "dir")) var outputDir = "migration-out/accounts"
        @Flag(
            help: ArgumentHelp(
                "Print the SQL the operator would run for these CRs, then the SQL file, instead of writing files (for "
                    + "a server outside Kubernetes, or a test).")
        )
        var emitSql = false

        @Option(
            name: .customLong("account"),
            help: ArgumentHelp(
                "Only accounts whose user or role name matches this SQL LIKE pattern (repeat for several; default: "
                    + "all).",
                valueName: "pattern"))
        var accounts: [String] = []

        @Flag(
            help: ArgumentHelp(
                "Also write what CRs cannot express as an SqlJob in the kustomization (only when that SQL holds no "
                    + "password hash).")
        )
        var sqlJob = false

        var job: AccountsJob {
            var job = AccountsJob()
            job.mariaDB = mariadbName
            job.apiGroup = apiGroup
            job.namespace = namespace
            job.databases = databases
            job.accounts = accounts
            job.fromDump = fromDump
            job.sqlJob = sqlJob
            return job
        }

        func validate() throws {
            if let problem = job.problems().first { throw ValidationError(problem) }
        }

        func run() async throws {
            let plan: AccountPlan
            do {
                if let fromDump {
                    plan = try await job.plan(dumpFile: fromDump)
                } else {
                    plan = try await job.plan(
                        source: try await MariaDBConnection.connect(try connection.resolve(prompter: nil)))
                }
            } catch let error as AccountParseError {
                throw ValidationError("\(error)")
            }
            if emitSql {
                for statement in AccountsJob.statements(plan) { print(statement + ";") }
                return
            }
            let result = try job.write(plan, to: outputDir)
            if output.json { return try output.printJSON(result) }
            let count = { (kind: String) in result.counts[kind] ?? 0 }
            print(
                "wrote \(count("User")) User, \(count("Grant")) Grant, \(count("Database")) Database CRs and "
                    + "\(count("Secret")) Secrets to \(outputDir)"
            )
            print(
                "  after-bootstrap.sql: \(plan.fallbackSQL.count) statements CRs cannot express (\(plan.sqlOnly.count) "
                    + "items in report.md)\(result.sqlJob ? "; also in an SqlJob" : "")"
            )
            print("  skipped: \(plan.skipped.map(\.subject).joined(separator: ", "))")
        }
    }
}
