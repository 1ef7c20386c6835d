import MariaDBClient

/// What a server holds, in a canonical sorted form that two servers can be compared by:
/// schemas, tables with row counts and `CHECKSUM TABLE`, views, routines, triggers, events, and
/// accounts with their grants (`SHOW GRANTS`, sorted, as pt-show-grants prints them).
public struct Inventory: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var rows: UInt64
        public var checksum: String

        public init(rows: UInt64, checksum: String) {
            self.rows = rows
            self.checksum = checksum
        }
    }

    public struct Schema: Codable, Sendable, Equatable {
        public var characterSet: String
        public var collation: String
        public var tables: [String: Table] = [:]
        public var views: [String: String] = [:]
        /// "p (procedure)" / "f (function)" → body.
        public var routines: [String: String] = [:]
        /// name → "BEFORE INSERT ON t: body".
        public var triggers: [String: String] = [:]
        public var events: [String: String] = [:]

        public init(
            characterSet: String, collation: String, tables: [String: Table] = [:], views: [String: String] = [:],
            routines: [String: String] = [:], triggers: [String: String] = [:], events: [String: String] = [:]
        ) {
            self.characterSet = characterSet
            self.collation = collation
            self.tables = tables
            self.views = views
            self.routines = routines
            self.triggers = triggers
            self.events = events
        }
    }

    public var schemas: [String: Schema] = [:]
    /// "'user'@'host'" → sorted grant lines; nil when accounts were not compared.
    public var accounts: [String: [String]]?
    /// The accounts of `toolUsers` found and left out of `accounts` (`'user'@'host'`).
    public var leftOut: [String] = []
    /// System-versioned tables (`schema.table`) whose history was compared, every version with its row start and
    /// end, and those whose history a backup left out on purpose (current rows compared).
    public var historyCompared: [String] = []
    public var historyLeftOut: [String] = []

    public init(schemas: [String: Schema] = [:], accounts: [String: [String]]? = nil) {
        self.schemas = schemas
        self.accounts = accounts
    }

    public static var systemSchemas: Set<String> { SystemObjects.schemas }
    /// Accounts every server has, or has with its own password: never compared.
    public static var systemUsers: Set<String> { Set(SystemObjects.accounts.keys) }
}

extension Inventory {
    /// Reads `databases` (empty: every non-system schema) and, with `accounts`, the non-system accounts.
    /// `accountPatterns`: SQL LIKE patterns on user and role names to compare (all when empty); `toolUsers`:
    /// user names this tool made for its own use, left out whatever the patterns say, and listed in `leftOut`.
    /// `history`: compare every version of system-versioned tables, except those in `historyLeftOut`
    /// (`schema.table`), whose history a backup left out on purpose.
    public static func take(
        from connection: MariaDBConnection, databases: [String], accounts: Bool,
        accountPatterns: [String] = [], toolUsers: Set<String> = [], history: Bool = false,
        historyLeftOut: Set<String> = [], addedKeyTables: Set<String> = []
    ) async throws -> Inventory {
        var inventory = Inventory()
        for row in try await connection.query(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA"
        ).rows {
            guard let name = row[0].string, !systemSchemas.contains(name) || databases.contains(name) else { continue }
            guard databases.isEmpty || databases.contains(name) else { continue }
            inventory.schemas[name] = Schema(characterSet: row[1].string ?? "", collation: row[2].string ?? "")
        }
        guard !inventory.schemas.isEmpty else {
            return try await withAccounts(
                inventory, connection: connection, accounts: accounts, patterns: accountPatterns, toolUsers: toolUsers)
        }
        let list = inventory.schemas.keys.sorted().map { connection.quote($0) }.joined(separator: ",")

        var baseTables: [(String, String, Bool)] = []
        for row in try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (\(list))"
        ).rows {
            guard let schema = row[0].string, let table = row[1].string else { continue }
            if row[2].string != "VIEW" { baseTables.append((schema, table, row[2].string == "SYSTEM VERSIONED")) }
        }
        for (schema, table, versioned) in baseTables.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            let qualified = "\(SQLQuoting.identifier(schema)).\(SQLQuoting.identifier(table))"
            let rows = try await connection.query("SELECT COUNT(*) FROM \(qualified)").scalar.uint64 ?? 0
            // A system-versioned table: its current rows without their row start/end, which a restore without the
            // history stamps anew; with `history`, also every version with its row start and end.
            var checksum: String
            if versioned {
                checksum = try await ServerImage.rowsChecksum(
                    of: qualified, schema: schema, name: table, versioned: true, currentRowsOnly: true,
                    on: connection)
                let name = "\(schema).\(table)"
                if historyLeftOut.contains(name) {
                    inventory.historyLeftOut.append(name)
                    checksum += " (system-versioned: current rows; the backup left the history out)"
                } else if history {
                    let all = try await ServerImage.rowsChecksum(
                        of: qualified, schema: schema, name: table, versioned: true, withPeriods: true,
                        on: connection)
                    inventory.historyCompared.append(name)
                    checksum += "; history \(all) (system-versioned: current rows and history compared)"
                } else {
                    checksum += " (system-versioned: current rows, history not compared)"
                }
            } else if addedKeyTables.contains("\(schema).\(table)") {
                // The invisible-pk fix added a key column on one side: both sides sum the columns they share.
                checksum = try await ServerImage.rowsChecksum(
                    of: qualified, schema: schema, name: table, versioned: false,
                    leavingOut: [SystemObjects.addedKeyColumn], on: connection)
            } else {
                checksum = try await connection.query("CHECKSUM TABLE \(qualified)").rows.first?[1].string ?? "NULL"
            }
            inventory.schemas[schema]?.tables[table] = Table(rows: rows, checksum: checksum)
        }
        for row in try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN "
                + "(\(list))"
        ).rows {
            guard let schema = row[0].string, let name = row[1].string else { continue }
            inventory.schemas[schema]?.views[name] = row[2].string ?? ""
        }
        for row in try await connection.query(
            "SELECT ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES "
                + "WHERE ROUTINE_SCHEMA IN (\(list))"
        ).rows {
            guard let schema = row[0].string, let type = row[1].string, let name = row[2].string else { continue }
            inventory.schemas[schema]?.routines["\(name) (\(type.lowercased()))"] = row[3].string ?? ""
        }
        for row in try await connection.query(
            "SELECT TRIGGER_SCHEMA, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, "
                + "ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (\(list))"
        ).rows {
            guard let schema = row[0].string, let name = row[1].string else { continue }
            inventory.schemas[schema]?.triggers[name] =
                "\(row[2].string ?? "") \(row[3].string ?? "") ON \(row[4].string ?? ""): \(row[5].string ?? "")"
        }
        for row in try await connection.query(
            "SELECT EVENT_SCHEMA, EVENT_NAME, EVENT_DEFINITION FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN "
                + "(\(list))"
        ).rows {
            guard let schema = row[0].string, let name = row[1].string else { continue }
            inventory.schemas[schema]?.events[name] = row[2].string ?? ""
        }
        return try await withAccounts(
            inventory, connection: connection, accounts: accounts, patterns: accountPatterns, toolUsers: toolUsers)
    }

    private static func withAccounts(
        _ inventory: Inventory, connection: MariaDBConnection, accounts: Bool,
        patterns: [String], toolUsers: Set<String>
    ) async throws -> Inventory {
        guard accounts else { return inventory }
        var result = inventory
        var grants: [String: [String]] = [:]
        for row in try await connection.query("SELECT User, Host, is_role FROM mysql.user").rows {
            guard let user = row[0].string, let host = row[1].string, !systemUsers.contains(user) else { continue }
            if toolUsers.contains(user) {
                result.leftOut.append("\(connection.quote(user))@\(connection.quote(host))")
                continue
            }
            guard SQLLike.matchesAny(user, patterns: patterns) else { continue }
            // A role has no host: `SHOW GRANTS FOR 'r'@''` is error 1141, `SHOW GRANTS FOR 'r'` is its grants.
            let isRole = row[2].string == "Y"
            let account =
                isRole ? "role \(connection.quote(user))" : "\(connection.quote(user))@\(connection.quote(host))"
            let subject = isRole ? connection.quote(user) : account
            grants[account] = try await connection.query("SHOW GRANTS FOR \(subject)").rows
                .compactMap { $0[0].string.map(sortingColumnLists) }.sorted()
        }
        result.accounts = grants
        result.leftOut.sort()
        return result
    }

    /// `SELECT (`b`, `a`)` → `SELECT (`a`, `b`)`: SHOW GRANTS lists a column grant's columns in
    /// hash order, which differs between two servers holding the same grant. Pure.
    public static func sortingColumnLists(_ grant: String) -> String {
        var out = ""
        var rest = Substring(grant)
        while let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") {
            out += rest[...open]
            out += rest[rest.index(after: open)..<close].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.sorted().joined(separator: ", ")
            rest = rest[close...]
        }
        return out + rest
    }

    /// Every difference between `source` and `target`, one line each, sorted. Pure.
    public static func differences(source: Inventory, target: Inventory) -> [String] {
        var lines: [String] = []
        func compare<Value: Equatable>(
            _ what: String, _ a: [String: Value], _ b: [String: Value], describe: (Value) -> String
        ) {
            for key in Set(a.keys).union(b.keys).sorted() {
                switch (a[key], b[key]) {
                case (let x?, nil): lines.append("\(what)\(key): on the source only (\(describe(x)))")
                case (nil, let y?): lines.append("\(what)\(key): on the target only (\(describe(y)))")
                case (let x?, let y?) where x != y:
                    lines.append("\(what)\(key): source \(describe(x)), target \(describe(y))")
                default: break
                }
            }
        }
        compare(
            "schema ", source.schemas.mapValues { "\($0.characterSet)/\($0.collation)" },
            target.schemas.mapValues { "\($0.characterSet)/\($0.collation)" }
        ) { $0 }
        for schema in Set(source.schemas.keys).intersection(target.schemas.keys).sorted() {
            let a = source.schemas[schema]!
            let b = target.schemas[schema]!
            compare("table \(schema).", a.tables, b.tables) { "\($0.rows) rows, checksum \($0.checksum)" }
            compare("view \(schema).", a.views, b.views) { short($0) }
            compare("routine \(schema).", a.routines, b.routines) { short($0) }
            compare("trigger \(schema).", a.triggers, b.triggers) { short($0) }
            compare("event \(schema).", a.events, b.events) { short($0) }
        }
        if let a = source.accounts, let b = target.accounts {
            compare("account ", a, b) { $0.joined(separator: "; ") }
        }
        return lines
    }

    static func short(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 80 ? String(flat.prefix(77)) + "..." : flat
    }
}
