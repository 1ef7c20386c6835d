import MariaDBClient

/// What a dump's fixes (issue #31) changed between a source and a target, read from both: the tables that got
/// the invisible key column, and with the innodb and definers fixes named, engines and definers that differ.
enum FixedDefinitions {
    /// `schema.table` of the tables with the added key column on the target and not on the source.
    static func addedKeyTables(
        source: MariaDBConnection, target: MariaDBConnection, databases: [String]
    ) async throws -> Set<String> {
        func withColumn(_ connection: MariaDBConnection) async throws -> Set<String> {
            Set(
                try await connection.query(
                    "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.COLUMNS WHERE COLUMN_NAME = "
                        + "\(SQLQuoting.literal(SystemObjects.addedKeyColumn))\(scope("TABLE_SCHEMA", databases))"
                ).rows.map { "\($0[0].string ?? "").\($0[1].string ?? "")" })
        }
        return try await withColumn(target).subtracting(try await withColumn(source))
    }

    /// One line per intended change, sorted.
    static func intendedChanges(
        source: MariaDBConnection, target: MariaDBConnection, databases: [String], fixes: Set<String>,
        addedKeyTables: Set<String>
    ) async throws -> [String] {
        var lines = addedKeyTables.sorted().map {
            "table \($0): invisible key column \(SystemObjects.addedKeyColumn) added (rows compared without it)"
        }
        if fixes.contains("innodb") {
            let query =
                "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), ENGINE FROM information_schema.TABLES WHERE "
                + "TABLE_TYPE = 'BASE TABLE'\(scope("TABLE_SCHEMA", databases))"
            let (a, b) = (try await pairs(source, query), try await pairs(target, query))
            for (table, engine) in a.sorted(by: { $0.key < $1.key }) {
                if let other = b[table], other != engine { lines.append("table \(table): engine \(engine) → \(other)") }
            }
        }
        if fixes.contains("definers") {
            let objects = [
                ("view", "VIEWS", "TABLE_SCHEMA", "TABLE_NAME"),
                ("routine", "ROUTINES", "ROUTINE_SCHEMA", "ROUTINE_NAME"),
                ("trigger", "TRIGGERS", "TRIGGER_SCHEMA", "TRIGGER_NAME"),
                ("event", "EVENTS", "EVENT_SCHEMA", "EVENT_NAME"),
            ]
            for (kind, table, schema, name) in objects {
                let query =
                    "SELECT CONCAT(\(schema), '.', \(name)), DEFINER FROM information_schema.\(table) WHERE 1=1"
                    + scope(schema, databases)
                let (a, b) = (try await pairs(source, query), try await pairs(target, query))
                for (object, definer) in a.sorted(by: { $0.key < $1.key }) {
                    if let other = b[object], other != definer {
                        lines.append("\(kind) \(object): definer \(definer) → \(other)")
                    }
                }
            }
        }
        return lines
    }

    private static func pairs(_ connection: MariaDBConnection, _ query: String) async throws -> [String: String] {
        Dictionary(
            try await connection.query(query).rows.map { ($0[0].string ?? "", $0[1].string ?? "") },
            uniquingKeysWith: { first, _ in first })
    }

    /// ` AND column IN (…)` for the databases compared, or outside the system schemas when all are.
    private static func scope(_ column: String, _ databases: [String]) -> String {
        let names = databases.isEmpty ? SystemObjects.schemas.sorted() : databases
        let list = names.map(SQLQuoting.literal).joined(separator: ", ")
        return " AND \(column) \(databases.isEmpty ? "NOT IN" : "IN") (\(list))"
    }
}
