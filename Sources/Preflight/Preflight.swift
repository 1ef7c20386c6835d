import Dump
import MariaDBClient

extension PreflightFacts {
    /// Reads the facts from information_schema, mysql.user and the server's variables; no table
    /// is scanned, so it is quick whatever the data's size. `databases` empty: every application schema.
    public static func read(
        from connection: MariaDBConnection, databases: [String] = []
    ) async throws
        -> PreflightFacts
    {
        let facts = try await connection.serverFacts()
        let system = SystemObjects.schemas.sorted().map { connection.quote($0) }.joined(separator: ",")
        let only =
            databases.isEmpty ? "" : " AND %@ IN (\(databases.map { connection.quote($0) }.joined(separator: ",")))"
        func scope(_ column: String) -> String {
            "\(column) NOT IN (\(system))" + only.replacingOccurrences(of: "%@", with: column)
        }
        var result = PreflightFacts(major: facts.major, minor: facts.minor, logBin: facts.binlog.enabled)
        result.tables = try await connection.query(
            """
            SELECT t.TABLE_SCHEMA, t.TABLE_NAME, IFNULL(t.ENGINE, ''),
                   IFNULL(t.DATA_LENGTH, 0) + IFNULL(t.INDEX_LENGTH, 0),
                   EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c
                           WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
                             AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')
            FROM information_schema.TABLES t
            WHERE t.TABLE_TYPE = 'BASE TABLE' AND \(scope("t.TABLE_SCHEMA"))
            ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME
            """
        ).rows.map { row in
            Table(
                schema: row[0].string ?? "", name: row[1].string ?? "", engine: row[2].string ?? "",
                hasPrimaryKey: (row[4].int ?? 0) != 0, dataBytes: row[3].uint64 ?? 0)
        }
        // A sequence is a one-row table: reading its cache and increment reads that row only.
        for row in try await connection.query(
            """
            SELECT TABLE_SCHEMA, TABLE_NAME, IFNULL(ENGINE, '') FROM information_schema.TABLES
            WHERE TABLE_TYPE = 'SEQUENCE' AND \(scope("TABLE_SCHEMA")) ORDER BY TABLE_SCHEMA, TABLE_NAME
            """
        ).rows {
            let schema = row[0].string ?? "", name = row[1].string ?? ""
            let settings = try await connection.query(
                "SELECT cache_size, increment FROM \(SQLQuoting.identifier(schema)).\(SQLQuoting.identifier(name))"
            ).rows.first
            result.sequences.append(
                Sequence(
                    schema: schema, name: name, engine: row[2].string ?? "", cacheSize: settings?[0].uint64 ?? 0,
                    increment: settings?[1].int64 ?? 0))
        }
        let versioned = try await connection.systemVersionedTables(filter: scope("TABLE_SCHEMA"))
        result.versionedTables = versioned.all
        result.transactionPreciseTables = versioned.transactionPrecise
        result.wsrepTables = try await connection.query(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME LIKE "
                + "'wsrep\\\\_%'"
        ).rows.compactMap { $0[0].string.map { "mysql.\($0)" } }
        for (kind, table, schema, name) in [
            ("view", "VIEWS", "TABLE_SCHEMA", "TABLE_NAME"), ("routine", "ROUTINES", "ROUTINE_SCHEMA", "ROUTINE_NAME"),
            ("trigger", "TRIGGERS", "TRIGGER_SCHEMA", "TRIGGER_NAME"),
            ("event", "EVENTS", "EVENT_SCHEMA", "EVENT_NAME"),
        ] {
            for row in try await connection.query(
                "SELECT \(schema), \(name), DEFINER FROM information_schema.\(table) WHERE \(scope(schema))"
            ).rows {
                let object = "\(row[0].string ?? "").\(row[1].string ?? "")"
                result.definers.append(Definer(kind: kind, object: object, definer: row[2].string ?? ""))
                if kind == "event" { result.events.append(object) }
                if kind == "trigger" { result.triggers.append(object) }
            }
        }
        result.accounts = try await connection.query("SELECT CONCAT(User, '@', Host) FROM mysql.user").rows
            .compactMap { $0[0].string }
        let variables = try await connection.query(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_format', 'server_id', 'wsrep_max_ws_size')"
        ).rows.reduce(into: [String: String]()) { $0[$1[0].string ?? ""] = $1[1].string }
        result.binlogFormat = variables["binlog_format"] ?? "ROW"
        result.serverID = variables["server_id"].flatMap { Int($0) } ?? 0
        result.maxWriteSetBytes = variables["wsrep_max_ws_size"].flatMap { UInt64($0) } ?? result.maxWriteSetBytes
        return result
    }
}

/// `preflight`: the source read, the rules applied.
public struct PreflightJob: Codable, Sendable, Equatable {
    public var target: TargetTopology
    public var databases: [String]
    /// The target image's major.minor, when known (`10.11`).
    public var targetVersion: String?
    /// The fixes the backup will carry (`--fix`): the blockers they cover become notes.
    public var fixes: [DumpFix] = []

    public init(
        target: TargetTopology, databases: [String] = [], targetVersion: String? = nil, fixes: [DumpFix] = []
    ) {
        self.fixes = fixes
        self.target = target
        self.databases = databases
        self.targetVersion = targetVersion
    }

    public func problems() -> [String] {
        guard let targetVersion else { return [] }
        return Self.majorMinor(targetVersion) == nil
            ? ["target version '\(targetVersion)' is not major.minor (e.g. 10.11)"] : []
    }

    static func majorMinor(_ text: String) -> (major: Int, minor: Int)? {
        let parts = text.split(separator: ".").compactMap { Int($0) }
        return parts.count >= 2 ? (parts[0], parts[1]) : nil
    }

    public struct Report: Codable, Sendable, Equatable {
        public var source: String
        public var target: TargetTopology
        public var findings: [Finding]
        public var blockers: Int { findings.filter { $0.severity == .blocker }.count }
        public var warnings: Int { findings.filter { $0.severity == .warning }.count }
    }

    public func run(source: MariaDBConnection) async throws -> Report {
        let facts = try await PreflightFacts.read(from: source, databases: databases)
        var findings = PreflightRules.findings(
            facts, target: target, targetVersion: targetVersion.flatMap(Self.majorMinor))
        findings = PreflightRules.applying(fixes, to: findings)
        // What the chosen fixes would rewrite is rewritten here first, so a table they cannot fix stops now.
        let touched = facts.tables.filter {
            fixes.contains(.innodb) && $0.engine.lowercased() != "innodb"
                || fixes.contains(.invisiblePrimaryKey) && !$0.hasPrimaryKey
        }
        var definitions: [(table: String, statement: String)] = []
        for table in touched {
            let statement = try await source.query(
                "SHOW CREATE TABLE \(SQLQuoting.identifier(table.schema)).\(SQLQuoting.identifier(table.name))"
            ).rows.first?[1].string
            if let statement { definitions.append((table.qualified, statement + ";")) }
        }
        findings = PreflightRules.refusals(fixes, definitions: definitions) + findings
        return Report(source: source.endpoint, target: target, findings: findings)
    }
}
