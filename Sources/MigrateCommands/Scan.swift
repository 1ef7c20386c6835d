import ArgumentParser
import BackupEngine
import Dump
import Foundation
import MariaDBClient
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
                + "tables, LOCK TABLES, tables not on InnoDB, tables without a primary key. Exit 1 on a blocker. "
                + "With --fix, writes a fixed copy into the store first, named like the original a second or more "
                + "later, and reports on the copy.")

        @Argument(help: "A backup name in the store, a local file, or - for standard input.")
        var backup: String

        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup(title: "Fixes in a copy") var fix: FixOptions

        @Option(
            name: .customLong("keep-definer"),
            help: ArgumentHelp(
                "With --fix definers: an account the migration carries, whose definers stay (user@host; repeat). "
                    + "A dump alone does not say which accounts exist: the others become --definer.",
                valueName: "account"))
        var keptDefiners: [String] = []

        func validate() throws {
            let fixes = try fix.fixes()
            if !keptDefiners.isEmpty && !fixes.contains(.definers) {
                throw ValidationError("--keep-definer is for the definers fix: add --fix definers")
            }
            if fix.definer != nil && !fixes.contains(.definers) {
                throw ValidationError("--definer '\(fix.definer!)' is for the definers fix: add --fix definers")
            }
        }

        func run() async throws {
            let fixes = try fix.fixes()
            if !fixes.isEmpty { return try await runFixing(fixes) }
            let (reader, location, _) = try await openDump { try storage.makeStore(forWriting: false) }
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

        /// The dump named: standard input, a local file, or else a backup in the store `store` gives.
        func openDump(
            store: () throws -> any ObjectStore
        ) async throws -> (reader: any ObjectReader, location: String, inStore: Bool) {
            if backup == "-" || FileManager.default.fileExists(atPath: backup) {
                return (try LocalFileReader(path: backup), backup == "-" ? "standard input" : backup, false)
            }
            let store = try store()
            return (try await store.makeReader(name: backup), store.location + backup, true)
        }

        /// The fixed copy, then the scan of it.
        func runFixing(_ fixes: [DumpFix]) async throws {
            let store = try storage.makeStore(forWriting: true)
            let (reader, location, inStore) = try await openDump { store }
            // A backup in the store carries its manifest over to the copy.
            let manifest = inStore ? try await BackupManifest.load(besides: backup, from: store) : nil
            let options = DefinitionFixOptions(
                fixes: fixes, keptAccounts: keptDefiners + SystemObjects.presentOnEveryTarget,
                definer: fix.definer ?? DefinitionFixOptions.defaultDefiner)
            let meter = ProgressMeter(
                label: "read", total: reader.size > 0 ? reader.size : nil, mode: ProgressMeter.mode(json: output.json),
                outputLabel: "stored")
            let originalName = inStore ? backup : (backup as NSString).lastPathComponent
            let copy = try await runCancellingOnSignals {
                try await FixedCopy.run(
                    reader, location: location, originalName: originalName, original: manifest, options: options,
                    store: store, progress: .showing(meter))
            }
            meter.finish()
            let report = try await DumpScan.run(try await store.makeReader(name: copy.name), location: copy.location)
            if output.json {
                struct Fixed: Encodable {
                    var copy: FixedCopy.Result
                    var scan: DumpScan.Report
                }
                try output.printJSON(Fixed(copy: copy, scan: report))
            } else {
                let changes = copy.manifest.fixed?.count ?? 0
                print("wrote the fixed copy \(copy.location) (from \(location)): \(changes) changes")
                for line in BackupPipeline.fixSummary(copy.manifest.fixed ?? []) { print("  \(line)") }
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
