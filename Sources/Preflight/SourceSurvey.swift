import MariaDBClient

/// What `inspect` reports about a source: the facts a migration plan starts from.
public struct SourceSurvey: Sendable, Equatable, Codable {
    public struct Schema: Sendable, Equatable, Codable {
        public var name: String
        public var characterSet: String
        public var collation: String
        public var sizeBytes: UInt64
        public var approximateRows: UInt64
        public var tables: Int
        public var views: Int
        public var routines: Int
        public var events: Int
        public var triggers: Int
    }

    public struct Engine: Sendable, Equatable, Codable {
        public var engine: String
        public var tables: Int
        public var sizeBytes: UInt64
    }

    public struct Totals: Sendable, Equatable, Codable {
        public var schemas: Int
        public var sizeBytes: UInt64
        public var tables: Int
        public var views: Int
        public var routines: Int
        public var events: Int
        public var triggers: Int
    }

    public var server: ServerFacts
    public var schemas: [Schema]
    public var totals: Totals
    public var engines: [Engine]
    public var users: Int
    public var roles: Int
    /// System-versioned tables (`schema.table`), and those among them whose history is transaction-precise: no
    /// logical backup carries that history, the physical route does.
    public var versionedTables: [String] = []
    public var transactionPreciseTables: [String] = []

    /// What the survey tells about the history of system-versioned tables, nil when there are none.
    public var historyNote: String? {
        guard !versionedTables.isEmpty else { return nil }
        let precise = transactionPreciseTables
        let count = "\(versionedTables.count) system-versioned table\(versionedTables.count == 1 ? "" : "s")"
        guard !precise.isEmpty else { return count + ": a logical backup carries their history" }
        return count + ", \(precise.count) transaction-precise (\(SystemVersionedTables.shortList(precise))): their "
            + "history travels only by the physical route"
    }

    /// Schemas that belong to the server, not to the application.
    public static var systemSchemas: Set<String> { SystemObjects.schemas }

    public init(server: ServerFacts, schemas: [Schema], engines: [Engine], users: Int, roles: Int) {
        self.server = server
        self.schemas = schemas
        self.engines = engines
        self.users = users
        self.roles = roles
        totals = Totals(
            schemas: schemas.count, sizeBytes: schemas.reduce(0) { $0 + $1.sizeBytes },
            tables: schemas.reduce(0) { $0 + $1.tables }, views: schemas.reduce(0) { $0 + $1.views },
            routines: schemas.reduce(0) { $0 + $1.routines }, events: schemas.reduce(0) { $0 + $1.events },
            triggers: schemas.reduce(0) { $0 + $1.triggers })
    }
}

extension SourceSurvey {
    /// Reads the survey from a live server (application schemas only; system schemas left out).
    public static func take(from connection: MariaDBConnection) async throws -> SourceSurvey {
        let server = try await connection.serverFacts()
        let excluded = systemSchemas.sorted().map { "'\($0)'" }.joined(separator: ",")

        var schemas: [String: Schema] = [:]
        for row in try await connection.query(
            """
            SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
            FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (\(excluded))
            """
        ).rows {
            let name = row[0].string ?? ""
            schemas[name] = Schema(
                name: name, characterSet: row[1].string ?? "", collation: row[2].string ?? "",
                sizeBytes: 0, approximateRows: 0, tables: 0, views: 0, routines: 0, events: 0, triggers: 0)
        }

        var engines: [String: Engine] = [:]
        for row in try await connection.query(
            """
            SELECT TABLE_SCHEMA, TABLE_TYPE, IFNULL(ENGINE, ''), COUNT(*),
                   IFNULL(SUM(DATA_LENGTH + INDEX_LENGTH), 0), IFNULL(SUM(TABLE_ROWS), 0)
            FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN (\(excluded))
            GROUP BY TABLE_SCHEMA, TABLE_TYPE, ENGINE
            """
        ).rows {
            let name = row[0].string ?? ""
            let count = row[3].int ?? 0
            let size = row[4].uint64 ?? 0
            if row[1].string == "VIEW" {
                schemas[name]?.views += count
            } else {
                schemas[name]?.tables += count
                schemas[name]?.sizeBytes += size
                schemas[name]?.approximateRows += row[5].uint64 ?? 0
                let engine = row[2].string ?? ""
                engines[engine, default: Engine(engine: engine, tables: 0, sizeBytes: 0)].tables += count
                engines[engine]?.sizeBytes += size
            }
        }

        func countBySchema(_ table: String, column: String) async throws -> [String: Int] {
            var result: [String: Int] = [:]
            for row in try await connection.query(
                "SELECT \(column), COUNT(*) FROM information_schema.\(table) WHERE \(column) NOT IN (\(excluded)) "
                    + "GROUP BY \(column)"
            ).rows {
                result[row[0].string ?? ""] = row[1].int ?? 0
            }
            return result
        }
        for (name, count) in try await countBySchema("ROUTINES", column: "ROUTINE_SCHEMA") {
            schemas[name]?.routines = count
        }
        for (name, count) in try await countBySchema("EVENTS", column: "EVENT_SCHEMA") { schemas[name]?.events = count }
        for (name, count) in try await countBySchema("TRIGGERS", column: "TRIGGER_SCHEMA") {
            schemas[name]?.triggers = count
        }

        // MariaDB marks roles in mysql.user; MySQL has no such column.
        var users = 0
        var roles = 0
        if let row = try? await connection.query(
            "SELECT SUM(is_role <> 'Y'), SUM(is_role = 'Y') FROM mysql.user"
        ).rows.first {
            users = row[0].int ?? 0
            roles = row[1].int ?? 0
        } else {
            users = try await connection.query("SELECT COUNT(*) FROM mysql.user").scalar.int ?? 0
        }

        var survey = SourceSurvey(
            server: server,
            schemas: schemas.values.sorted { $0.name < $1.name },
            engines: engines.values.sorted { ($0.tables, $1.engine) > ($1.tables, $0.engine) },
            users: users, roles: roles)
        let versioned = try await connection.systemVersionedTables(filter: "TABLE_SCHEMA NOT IN (\(excluded))")
        survey.versionedTables = versioned.all
        survey.transactionPreciseTables = versioned.transactionPrecise
        return survey
    }
}
