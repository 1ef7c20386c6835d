import ArgumentParser
import Foundation
import MariaDBClient
import Replication
import Terminal

extension MariaDBMigrate {
    /// The target replicates from the source, starting at the backup's position: the catch-up of a live cutover.
    struct Replicate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Make the target (--target-host …) replicate from the source (--host …), starting at the GTID "
                + "position of the backup it was restored from, so it catches up with the writes made since.",
            discussion:
                "Checks first and changes nothing when one fails: binlog on and ROW or MIXED, different server ids, "
                + "the source's binlogs still reaching back to the backup. The target gets a named replication "
                + "connection (MASTER_USE_GTID=slave_pos) that applies only the backup's databases. Run it again to "
                + "see the state; it never moves a running replica's position (--reset starts over)."
        )

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup(title: "Target connection") var target: TargetConnectionOptions
        @OptionGroup(title: "Storage (where the backup's manifest is)") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The backup the target was restored from (default: the newest in the store).")
        var backup: String?

        @Option(help: ArgumentHelp("Start at this GTID position instead of a backup's manifest.", valueName: "gtid"))
        var gtid: String?

        @Option(
            name: .customLong("database"),
            help: "Apply only this database's events (repeat for several; default: the backup's databases).")
        var databases: [String] = []

        @Option(help: "The account the target replicates with.")
        var replicationUser = SystemObjects.replicationAccount

        @Option(
            help: ArgumentHelp(
                "Read its password from this file. Env: MARIADB_REPLICATION_PASSWORD. With "
                    + "--create-replication-user and no such file, a new password is written there (mode 0600).",
                valueName: "path"))
        var replicationPasswordFile: String?

        @Flag(help: "Create the replication account on the source (not binlogged) when it is missing.")
        var createReplicationUser = false

        @Option(help: "The host part of that account.")
        var replicationAccountHost = "%"

        @Option(help: "The source's address as the target sees it (default: --host).")
        var replicationHost: String?

        @Option(help: "The source's port as the target sees it (default: --port, else 3306).")
        var replicationPort: Int?

        @Flag(help: "Replicate over TLS (on when --replication-ssl-ca is given).")
        var replicationSsl = false

        @Option(
            help: ArgumentHelp(
                "CA file on the target's machine that signs the source's certificate; also verifies it.",
                valueName: "path"))
        var replicationSslCa: String?

        @Option(help: "The name of the target's replication connection.")
        var connectionName = ReplicationSetup.defaultConnectionName

        @Option(
            help: ArgumentHelp(
                "Set the target's server_id to this first (SET GLOBAL: lost at its next restart, so also put it in "
                    + "its configuration, spec.myCnf of an operator's MariaDB).", valueName: "id"))
        var targetServerId: Int?

        @Flag(help: "Remove an existing connection of that name and start again at the backup's position.")
        var reset = false

        @Flag(help: "Check and print the statements (password as <secret>) without changing anything.")
        var dryRun = false

        func validate() throws {
            if let gtid { _ = try GTIDPosition(parsing: gtid) }
            if gtid != nil && backup != nil {
                throw ValidationError("--gtid and --backup exclude each other: give one")
            }
            if let targetServerId, !(1...4_294_967_295).contains(targetServerId) {
                throw ValidationError("--target-server-id '\(targetServerId)' is outside 1-4294967295")
            }
            if connectionName.isEmpty || connectionName.count > 64 {
                throw ValidationError("--connection-name '\(connectionName)' must have 1 to 64 characters")
            }
        }

        var request: ReplicateRequest {
            var request = ReplicateRequest()
            request.backup = backup
            request.gtid = gtid
            request.databases = databases
            request.user = replicationUser
            request.passwordFile = replicationPasswordFile
            request.createUser = createReplicationUser
            request.accountHost = replicationAccountHost
            request.host = replicationHost
            request.port = replicationPort
            request.tls = replicationSsl
            request.tlsCA = replicationSslCa
            request.connectionName = connectionName
            request.reset = reset
            request.dryRun = dryRun
            request.targetServerID = targetServerId
            return request
        }

        func run() async throws {
            let outcome = try await request.run(
                source: try connection.resolve(prompter: connection.askPassword ? Prompter() : nil),
                target: try target.resolve(), store: { try storage.makeStore(forWriting: false) })
            if output.json { return try output.printJSON(outcome.report) }
            print(Self.describe(outcome.report, passwordFile: outcome.passwordWrittenTo))
            if dryRun, outcome.report.findings.contains(where: { $0.severity == .blocker }) { throw ExitCode(1) }
        }

        static func describe(_ report: ReplicateJob.Report, passwordFile: String?) -> String {
            var lines: [String] = []
            let scope = report.databases.isEmpty ? "every database" : report.databases.joined(separator: ", ")
            switch report.outcome {
            case .planned:
                lines.append(
                    "would make \(report.target) replicate \(scope) from \(report.source) as "
                        + "'\(report.connectionName)' from \(report.start):")
                lines += report.statements.map { "  \($0)" }
            case .started:
                lines.append(
                    "\(report.target) replicates \(scope) from \(report.source) as '\(report.connectionName)', "
                        + "from \(report.start)")
            case .alreadyRunning:
                lines.append("\(report.target) already replicates from \(report.source) as '\(report.connectionName)'")
            case .restarted:
                lines.append("\(report.target): replication '\(report.connectionName)' started again where it stopped")
            }
            if let passwordFile { lines.append("  the replication account's new password is in \(passwordFile)") }
            if let lag = report.lagTransactions {
                let seconds = report.status?.secondsBehind.map { ", \($0) s behind" } ?? ""
                lines.append(
                    "  \(lag) transactions to catch up\(seconds); watch with `mariadb-migrate cutover --watch`")
            }
            return lines.joined(separator: "\n") + report.findings.map(\.text).joined()
        }
    }
}
