import Accounts
import ArgumentParser
import Foundation
import Manifests
import MariaDBClient
import RestoreEngine

extension MariaDBMigrate {
    /// The runbook's step 5: accounts as User, Grant and Database CRs, and SQL for the rest.
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn the source's accounts, grants and databases into User, Grant and Database CRs (hashes in Secrets), with an SQL file and a report for what CRs cannot say.")

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: ArgumentHelp("Read accounts from a dump taken with mariadb-dump --system=users instead of the server.", valueName: "path"))
        var fromDump: String?
        @Option(help: "The MariaDB resource the CRs point at (mariaDbRef).") var mariadbName = "mariadb"
        @Option(help: "enterprise.mariadb.com or k8s.mariadb.com.") var apiGroup = "enterprise.mariadb.com"
        @Option(help: "Namespace for every resource.") var namespace: String?
        @Option(name: .customLong("database"), help: "A database to write a Database CR for (repeat; default: every non-system database).")
        var databases: [String] = []
        @Option(help: ArgumentHelp("Directory to write to.", valueName: "dir")) var outputDir = "migration-out/accounts"
        @Flag(help: "Print the SQL the operator would run for these CRs, then the SQL file, instead of writing files (for a server outside Kubernetes, or a test).")
        var emitSql = false

        func validate() throws {
            guard ManifestCatalog.apiGroups.contains(apiGroup) else { throw ValidationError("--api-group '\(apiGroup)' is not one of \(ManifestCatalog.apiGroups.joined(separator: ", "))") }
            guard ManifestCatalog.isDNS1123Label(mariadbName) else { throw ValidationError("--mariadb-name '\(mariadbName)' is not a DNS-1123 label") }
        }

        func run() async throws {
            var statements: [String]
            var databaseDefinitions: [DatabaseDefinition] = []
            if let fromDump {
                let bytes: [UInt8]
                do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fromDump))) } catch {
                    throw CommandError.unreadableFile(path: fromDump, option: "--from-dump", reason: error.localizedDescription)
                }
                var splitter = SQLSplitter()
                statements = (splitter.consume(bytes) + (try splitter.finish())).map { String(decoding: $0, as: UTF8.self) }
            } else {
                let source = try await MariaDBConnection.connect(try connection.resolve(prompter: nil))
                statements = try await AccountReader.statements(from: source)
                databaseDefinitions = try await AccountReader.databases(from: source, only: databases)
            }
            let inventory: AccountInventory
            do { inventory = try AccountInventory.parse(statements: statements) } catch { throw ValidationError("\(error)") }
            var options = AccountOptions()
            options.mariaDB = mariadbName
            options.apiGroup = apiGroup
            options.namespace = namespace
            let plan = AccountPlan.convert(inventory, databases: databaseDefinitions, options: options)
            var faults: [String] = []
            for document in plan.documents { for issue in ManifestCatalog.validate(document.json) { faults.append("\(document.fileName): \(issue)") } }
            guard faults.isEmpty else { throw ValidationError("the generated CRs do not validate (a bug; nothing was written): " + faults.joined(separator: "; ")) }

            if emitSql {
                for statement in OperatorSQL.statements(for: plan.documents) + plan.fallbackSQL { print(statement + ";") }
                return
            }
            let sqlFile = "-- Run after the MariaDB is bootstrapped and the User/Grant CRs are ready: what CRs cannot express.\n"
                + plan.fallbackSQL.map { $0 + ";\n" }.joined()
            var report = "# accounts report\n\n## converted\n" + plan.converted.map { "- \($0.subject): \($0.decision)\n" }.joined()
            report += "\n## in after-bootstrap.sql\n" + plan.sqlOnly.map { "- \($0.subject): \($0.decision)\n" }.joined()
            report += "\n## skipped\n" + plan.skipped.map { "- \($0.subject): \($0.decision)\n" }.joined()
            let files = try ManifestDirectory.write(plan.documents, extra: [("after-bootstrap.sql", sqlFile, true), ("report.md", report, false)], to: outputDir)
            if output.json {
                struct Result: Codable {
                    var directory: String; var files: [String]
                    var converted: [AccountPlan.Note]; var sqlOnly: [AccountPlan.Note]; var skipped: [AccountPlan.Note]
                }
                try output.printJSON(Result(directory: outputDir, files: files.map(\.name), converted: plan.converted, sqlOnly: plan.sqlOnly, skipped: plan.skipped))
            } else {
                let count = { (kind: String) in plan.documents.filter { $0.kind == kind }.count }
                print("wrote \(count("User")) User, \(count("Grant")) Grant, \(count("Database")) Database CRs and \(count("Secret")) Secrets to \(outputDir)")
                print("  after-bootstrap.sql: \(plan.fallbackSQL.count) statements CRs cannot express (\(plan.sqlOnly.count) items in report.md)")
                print("  skipped: \(plan.skipped.map(\.subject).joined(separator: ", "))")
            }
        }
    }
}
