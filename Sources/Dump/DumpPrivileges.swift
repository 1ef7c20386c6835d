import MariaDBClient

/// The privileges `mariadb-dump` needs with this tool's flags, checked before dumping: without
/// TRIGGER it leaves triggers out without a word, without SHOW VIEW or EVENT it fails part-way.
/// (MariaDB 10.11 takes the binlog position from the consistent snapshot: neither RELOAD nor
/// BINLOG MONITOR is needed, and LOCK TABLES is not with --single-transaction.) Pure.
public struct DumpPrivileges: Sendable, Equatable {
    /// `information_schema.USER_PRIVILEGES` of the account (global).
    public var global: Set<String>
    /// `information_schema.SCHEMA_PRIVILEGES`, by database.
    public var schemas: [String: Set<String>]
    /// Databases that hold views.
    public var databasesWithViews: Set<String>

    public init(global: Set<String>, schemas: [String: Set<String>] = [:], databasesWithViews: Set<String> = []) {
        self.global = global
        self.schemas = schemas
        self.databasesWithViews = databasesWithViews
    }

    public struct Missing: Sendable, Equatable {
        public var privilege: String
        public var database: String
        public var why: String
    }

    public func has(_ privilege: String, on database: String) -> Bool {
        global.contains(privilege) || global.contains("ALL PRIVILEGES")
            || schemas[database]?.contains(privilege) == true
    }

    /// What is missing to dump `databases` (the user databases an --all-databases dump holds).
    public func missing(for databases: [String], events: Bool) -> [Missing] {
        var missing: [Missing] = []
        for database in databases.sorted() {
            if !has("SELECT", on: database) {
                missing.append(Missing(privilege: "SELECT", database: database, why: "to read the tables"))
            }
            if !has("TRIGGER", on: database) {
                missing.append(
                    Missing(
                        privilege: "TRIGGER", database: database,
                        why: "without it mariadb-dump leaves the triggers out silently"))
            }
            if databasesWithViews.contains(database) && !has("SHOW VIEW", on: database) {
                missing.append(Missing(privilege: "SHOW VIEW", database: database, why: "the database has views"))
            }
            if events && !has("EVENT", on: database) {
                missing.append(Missing(privilege: "EVENT", database: database, why: "for --events"))
            }
        }
        return missing
    }

    /// The global privileges mariadb-backup needs that the account lacks (BINLOG MONITOR also
    /// counts under its old name, REPLICATION CLIENT).
    public func missingForPhysicalBackup() -> [String] {
        ["RELOAD", "PROCESS", "LOCK TABLES", "BINLOG MONITOR"].filter { privilege in
            !(has(privilege, on: "") || (privilege == "BINLOG MONITOR" && has("REPLICATION CLIENT", on: "")))
        }
    }

    /// One GRANT per database that fixes `missing`.
    public static func grants(for missing: [Missing], account: String) -> [String] {
        var byDatabase: [String: [String]] = [:]
        for item in missing { byDatabase[item.database, default: []].append(item.privilege) }
        return byDatabase.keys.sorted().map { database in
            "GRANT \(byDatabase[database]!.joined(separator: ", ")) ON \(SQLQuoting.identifier(database)).* TO "
                + account
        }
    }
}

extension MariaDBConnection {
    /// The account's own privileges; nil when it has roles enabled (their privileges are not in
    /// these views, so the check is left to mariadb-dump).
    public func dumpPrivileges() async throws -> (privileges: DumpPrivileges, account: String)? {
        guard
            try await query("SELECT COUNT(ROLE_NAME) FROM information_schema.ENABLED_ROLES").scalar.int == 0
        else {
            return nil
        }
        let account = try await query("SELECT CURRENT_USER()").scalar.string ?? ""
        let parts = account.split(separator: "@", maxSplits: 1).map(String.init)
        // The views list every account's rows to one that may read the mysql schema (a global SELECT):
        // only the current account's count.
        let grantee = parts.count == 2 ? "'\(parts[0])'@'\(parts[1])'" : account
        let own = "WHERE GRANTEE = \(SQLQuoting.literal(grantee))"
        let global = Set(
            try await query("SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES \(own)").rows.compactMap {
                $0[0].string
            })
        var schemas: [String: Set<String>] = [:]
        for row in try await query(
            "SELECT TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES \(own)"
        ).rows {
            if let schema = row[0].string, let privilege = row[1].string {
                // A grant on `db\_1`.* is stored with the LIKE escape.
                schemas[schema.replacingOccurrences(of: "\\_", with: "_"), default: []].insert(privilege)
            }
        }
        let views = Set(
            try await query("SELECT DISTINCT TABLE_SCHEMA FROM information_schema.VIEWS").rows.compactMap {
                $0[0].string
            })
        let quoted =
            parts.count == 2 ? "\(SQLQuoting.literal(parts[0]))@\(SQLQuoting.literal(parts[1]))" : account
        return (DumpPrivileges(global: global, schemas: schemas, databasesWithViews: views), quoted)
    }
}
