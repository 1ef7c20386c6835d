import MariaDBClient

/// Everything a restore leaves on a server, for proving two restores of one backup equal (the
/// restore's contract: its end state is the one `mariadb < file` leaves): every schema but
/// information_schema and performance_schema (mysql and sys included), `SHOW CREATE` of every table,
/// sequence, view, routine, trigger and event, a checksum of every table's rows, and every account's
/// grants. Columns the server fills in itself while SQL is applied (`serverMade`) are left out of
/// the checksums, since no two restores share them, not even two runs of `mariadb < file`.
public struct ServerImage: Sendable, Equatable {
    /// "table `db`.`t`" → its `SHOW CREATE TABLE`, "rows `db`.`t`" → its checksum, "account …" → grants.
    public var entries: [String: String] = [:]

    public init(entries: [String: String] = [:]) { self.entries = entries }

    /// Columns the server sets while a dump is applied (the time, its own transaction ids, its
    /// statistics), by table, with why; "*" means every column (only the definition is compared).
    public static let serverMade: [(table: String, columns: [String], why: String)] = [
        ("mysql.proc", ["created", "modified"], "a routine's CREATE stamps the time it ran"),
        ("mysql.event", ["created", "modified", "last_executed"], "an event's CREATE stamps the time it ran"),
        (
            "mysql.innodb_table_stats", ["last_update", "n_rows", "clustered_index_size", "sum_of_other_index_sizes"],
            "InnoDB recalculates persistent statistics in the background as rows arrive"
        ),
        (
            "mysql.innodb_index_stats", ["last_update", "stat_value", "sample_size"],
            "InnoDB recalculates persistent statistics in the background as rows arrive"
        ),
        ("mysql.transaction_registry", ["*"], "the server's own transaction ids and commit times"),
    ]

    /// Takes the image of the server behind `connection`.
    public static func take(from connection: MariaDBConnection) async throws -> ServerImage {
        var image = ServerImage()
        func quoted(_ schema: String, _ name: String) -> String {
            "\(SQLQuoting.identifier(schema)).\(SQLQuoting.identifier(name))"
        }
        let schemas = try await connection.query(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN "
                + "('information_schema', 'performance_schema', '\(SystemObjects.toolSchema)') ORDER BY 1"
        ).rows.compactMap { $0[0].string }
        for schema in schemas {
            image.entries["schema \(SQLQuoting.identifier(schema))"] = try await connection.query(
                "SHOW CREATE DATABASE \(SQLQuoting.identifier(schema))"
            ).rows.first?[1].string
        }
        let stamped = Dictionary(uniqueKeysWithValues: serverMade.map { ($0.table, Set($0.columns)) })
        for row in try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN "
                + "('information_schema', 'performance_schema', '\(SystemObjects.toolSchema)') ORDER BY 1, 2"
        ).rows {
            guard let schema = row[0].string, let name = row[1].string, let type = row[2].string else { continue }
            let table = quoted(schema, name)
            if type == "VIEW" {
                let view = try await connection.query("SHOW CREATE VIEW \(table)").rows.first
                image.entries["view \(table)"] = [1, 2, 3].map { view?[$0].string ?? "" }.joined(separator: " | ")
                continue
            }
            image.entries["table \(table)"] = try await connection.query("SHOW CREATE TABLE \(table)").rows.first?[1]
                .string
            image.entries["rows \(table)"] = try await rowsChecksum(
                of: table, schema: schema, name: name, versioned: type == "SYSTEM VERSIONED",
                leavingOut: stamped["\(schema).\(name)"] ?? [], on: connection)
        }
        for row in try await connection.query(
            "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES ORDER BY 1, 2, 3"
        ).rows {
            guard let schema = row[0].string, let name = row[1].string, let type = row[2].string else { continue }
            let shown = try await connection.query("SHOW CREATE \(type) \(quoted(schema, name))").rows.first
            image.entries["\(type.lowercased()) \(quoted(schema, name))"] = (1..<6).map { shown?[$0].string ?? "" }
                .joined(separator: " | ")
        }
        // SHOW CREATE TRIGGER's sixth column, Created, is the time the CREATE ran: columns 1 to 5 of each.
        for (kind, list) in [
            ("trigger", "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS ORDER BY 1, 2"),
            ("event", "SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS ORDER BY 1, 2"),
        ] {
            for row in try await connection.query(list).rows {
                guard let schema = row[0].string, let name = row[1].string else { continue }
                let shown = try await connection.query("SHOW CREATE \(kind.uppercased()) \(quoted(schema, name))")
                    .rows.first
                image.entries["\(kind) \(quoted(schema, name))"] = (1..<6).map { shown?[$0].string ?? "" }
                    .joined(separator: " | ")
            }
        }
        for (account, grants) in try await accountGrants(on: connection) {
            image.entries["account \(account)"] = grants.joined(separator: "\n")
        }
        return image
    }

    /// Every account's and role's grants, sorted (`Inventory.sortingColumnLists`); an account that is in
    /// mysql.global_priv but not in force (no FLUSH PRIVILEGES after the table was loaded) is
    /// recorded with the server's error, so a restore that leaves accounts unusable shows.
    public static func accountGrants(on connection: MariaDBConnection) async throws -> [String: [String]] {
        var grants: [String: [String]] = [:]
        for row in try await connection.query("SELECT User, Host, is_role FROM mysql.user").rows {
            guard let user = row[0].string, let host = row[1].string else { continue }
            let isRole = row[2].string == "Y"
            let account =
                isRole ? "role \(connection.quote(user))" : "\(connection.quote(user))@\(connection.quote(host))"
            do {
                grants[account] = try await connection.query(
                    "SHOW GRANTS FOR \(isRole ? connection.quote(user) : account)"
                ).rows.compactMap { $0[0].string.map(Inventory.sortingColumnLists) }.sorted()
            } catch let error as MariaDBError {
                grants[account] = ["not in force: error \(error.code)"]
            }
        }
        return grants
    }

    /// `CHECKSUM TABLE`, or for a table with server-made columns (and a system-versioned table, whose
    /// row start and end the server stamps unless the dump carried them) the row count and a sum of
    /// CRC-32s over the other columns: every version of every row, or with `currentRowsOnly` the rows
    /// as they are now.
    static func rowsChecksum(
        of table: String, schema: String, name: String, versioned: Bool, leavingOut stamped: Set<String> = [],
        currentRowsOnly: Bool = false, withPeriods: Bool = false, on connection: MariaDBConnection
    ) async throws -> String {
        if stamped.contains("*") { return "server-made" }
        guard versioned || !stamped.isEmpty else {
            return try await connection.query("CHECKSUM TABLE \(table)").rows.first?[1].string ?? "NULL"
        }
        let listed = try await connection.query(
            "SELECT COLUMN_NAME, IS_GENERATED, GENERATION_EXPRESSION FROM information_schema.COLUMNS "
                + "WHERE TABLE_SCHEMA = \(connection.quote(schema)) AND TABLE_NAME = \(connection.quote(name)) "
                + "ORDER BY ORDINAL_POSITION"
        ).rows
        // A period column: its generation expression reads ROW START or ROW END.
        func isPeriod(_ row: Row) -> Bool {
            row[1].string == "ALWAYS" && ["ROW START", "ROW END"].contains(row[2].string ?? "")
        }
        var columns = listed.compactMap { row -> String? in
            guard let column = row[0].string, !stamped.contains(column) else { return nil }
            if versioned && !withPeriods && isPeriod(row) { return nil }
            return "QUOTE(\(SQLQuoting.identifier(column)))"
        }
        // Implicit period columns are not in COLUMNS: named by their pseudo-columns.
        if withPeriods && !listed.contains(where: isPeriod) { columns += ["QUOTE(row_start)", "QUOTE(row_end)"] }
        let all = versioned && !currentRowsOnly ? " FOR SYSTEM_TIME ALL" : ""
        let row = try await connection.query(
            "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(',', \(columns.joined(separator: ", "))))), 0) "
                + "FROM \(table)\(all)"
        ).rows.first
        return "\(row?[0].string ?? "?") rows, crc sum \(row?[1].string ?? "?")"
    }

    /// One line per entry that differs, sorted. Pure.
    public static func differences(_ a: ServerImage, _ b: ServerImage, names: (String, String) = ("a", "b"))
        -> [String]
    {
        Set(a.entries.keys).union(b.entries.keys).sorted().compactMap { key in
            switch (a.entries[key], b.entries[key]) {
            case (let x?, nil): return "\(key): only on \(names.0) (\(Inventory.short(x)))"
            case (nil, let y?): return "\(key): only on \(names.1) (\(Inventory.short(y)))"
            case (let x?, let y?) where x != y:
                return "\(key): \(names.0) \(Inventory.short(x)), \(names.1) \(Inventory.short(y))"
            default: return nil
            }
        }
    }
}
