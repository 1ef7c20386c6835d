import ArgumentParser
import MariaDBClient
import Preflight
import Terminal

extension MariaDBMigrate {
    /// A survey of the source: what users run first.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Survey a source server: version, schemas and sizes, engines, objects, users, Galera, binlog position.")

        @OptionGroup(title: "Source connection") var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let settings = try connection.resolve(prompter: Prompter())
            let server = try await MariaDBConnection.connect(settings)
            let survey = try await SourceSurvey.take(from: server)
            if output.json {
                try output.printJSON(survey)
            } else {
                print(Self.render(survey, endpoint: settings.endpointDescription), terminator: "")
            }
        }

        static func render(_ survey: SourceSurvey, endpoint: String) -> String {
            let s = survey.server
            var lines: [String] = []
            lines.append("server   \(endpoint): \(s.version) (\(s.flavour.rawValue) \(s.major).\(s.minor))")
            if s.galera.enabled {
                let size = s.galera.clusterSize.map { "cluster size \($0)" } ?? "cluster size unknown"
                lines.append("galera   on, \(size), \(s.galera.clusterStatus ?? "?"), \(s.galera.localState ?? "?")")
            } else {
                lines.append("galera   off")
            }
            if s.binlog.enabled {
                let position = [s.binlog.file, s.binlog.position.map(String.init)].compactMap { $0 }.joined(
                    separator: ":")
                lines.append("binlog   \(position.isEmpty ? "on" : position), gtid \(s.binlog.gtidBinlogPos ?? "none")")
            } else {
                lines.append("binlog   off (gtid \(s.binlog.gtidCurrentPos ?? "none"))")
            }
            lines.append("accounts \(survey.users) users, \(survey.roles) roles")
            lines.append(
                "engines  "
                    + (survey.engines.isEmpty
                        ? "none"
                        : survey.engines.map { "\($0.engine.isEmpty ? "?" : $0.engine) \($0.tables)" }.joined(
                            separator: ", ")))
            if let note = survey.historyNote { lines.append("history  " + note) }
            lines.append("")
            let rows = survey.schemas.map { schema in
                [
                    schema.name, ByteFormat.string(schema.sizeBytes), String(schema.tables), String(schema.views),
                    String(schema.routines), String(schema.events), String(schema.triggers), schema.collation,
                ]
            }
            let t = survey.totals
            let total = [
                "total (\(t.schemas))", ByteFormat.string(t.sizeBytes), String(t.tables), String(t.views),
                String(t.routines), String(t.events), String(t.triggers), "",
            ]
            lines.append(
                TextTable.render(
                    headers: ["schema", "size", "tables", "views", "routines", "events", "triggers", "collation"],
                    rows: rows + [total], rightAligned: [1, 2, 3, 4, 5, 6]))
            return lines.joined(separator: "\n")
        }
    }
}
