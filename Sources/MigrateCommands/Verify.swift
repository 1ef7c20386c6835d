import ArgumentParser
import Foundation
import MariaDBClient
import Verification

extension MariaDBMigrate {
    /// Proves a restore: the same schemas, rows, checksums, objects and accounts on both servers.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a source (--host …) with a target (--target-host …): tables with row counts and CHECKSUM TABLE, views, routines, triggers, events, accounts and grants. Exit 1 on any difference.")

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup(title: "Target connection") var target: TargetConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("database"), help: "A database to compare (repeat for several; default: every non-system database).")
        var databases: [String] = []

        @Flag(inversion: .prefixedNo, help: "Compare accounts and grants too (default: on when every database is compared, off with --database).")
        var accounts: Bool?

        struct Report: Codable {
            var source: String
            var target: String
            var databases: [String]
            var tables: Int
            var accounts: Int?
            var differences: [String]
        }

        func run() async throws {
            let sourceSettings = try connection.resolve(prompter: nil)
            let targetSettings = try target.resolve()
            async let sourceConnection = MariaDBConnection.connect(sourceSettings)
            async let targetConnection = MariaDBConnection.connect(targetSettings)
            let (source, target) = try await (sourceConnection, targetConnection)
            let databases = self.databases, accounts = self.accounts ?? databases.isEmpty
            async let sourceInventory = Inventory.take(from: source, databases: databases, accounts: accounts)
            async let targetInventory = Inventory.take(from: target, databases: databases, accounts: accounts)
            let (a, b) = try await (sourceInventory, targetInventory)
            let differences = Inventory.differences(source: a, target: b)
            let report = Report(source: source.endpoint, target: target.endpoint, databases: a.schemas.keys.sorted(),
                                tables: a.schemas.values.reduce(0) { $0 + $1.tables.count }, accounts: a.accounts?.count,
                                differences: differences)
            if output.json {
                try output.printJSON(report)
            } else {
                let scope = "\(report.databases.count) databases, \(report.tables) tables" + (report.accounts.map { ", \($0) accounts" } ?? "")
                if differences.isEmpty {
                    print("no differences between \(report.source) and \(report.target) (\(scope))")
                } else {
                    print("\(differences.count) differences between \(report.source) and \(report.target) (\(scope)):")
                    for line in differences { print("  \(line)") }
                }
            }
            if !differences.isEmpty { throw ExitCode(1) }
        }
    }
}
