import ArgumentParser
import Foundation
import ObjectStore
import Preflight
import Presentation
import RestoreEngine
import Terminal

extension MariaDBMigrate {
    /// An existing dump judged before it goes into Galera.
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream an existing dump (a backup in the store, a file, or - for standard input; any "
                + "compression) and report what would break Galera: writes to the mysql privilege and wsrep "
                + "tables, LOCK TABLES, tables not on InnoDB, tables without a primary key. Exit 1 on a blocker.")

        @Argument(help: "A backup name in the store, a local file, or - for standard input.")
        var backup: String

        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let reader: any ObjectReader
            let location: String
            if backup == "-" || FileManager.default.fileExists(atPath: backup) {
                reader = try LocalFileReader(path: backup)
                location = backup == "-" ? "standard input" : backup
            } else {
                let store = try storage.makeStore(forWriting: false)
                reader = try await store.makeReader(name: backup)
                location = store.location + backup
            }
            let meter = ProgressMeter(
                label: "scanned", total: reader.size > 0 ? reader.size : nil,
                mode: ProgressMeter.mode(json: output.json))
            let report = try await runCancellingOnSignals {
                try await DumpScan.run(reader, location: location, progress: { meter.add($0) })
            }
            meter.finish()
            if output.json {
                try output.printJSON(report)
            } else {
                print(Self.render(report), terminator: "")
            }
            if report.blockers > 0 { throw ExitCode(1) }
        }

        static func render(_ report: DumpScan.Report) -> String {
            var text =
                "scanned \(report.location) (\(report.compression.rawValue), \(ByteFormat.string(report.sqlBytes)) "
                + "of SQL, \(report.statements) statements): "
            text += report.findings.isEmpty ? "nothing that breaks Galera\n" : "\(report.findings.count) findings\n"
            text += report.findings.map(\.text).joined()
            return text
        }
    }
}
