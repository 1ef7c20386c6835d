import MariaDBClient

/// How the target reaches the source and what it applies: the statements `replicate` runs on the
/// target. Pure.
public struct ReplicationSetup: Codable, Sendable, Equatable {
    /// The target's replication connection (multi-source name), so one the target already has is
    /// left alone.
    public var connectionName: String
    /// The source as the target sees it (a Service, a node's address), not as this tool does.
    public var host: String
    public var port: Int
    public var user: String
    public var tls: Bool
    /// A CA file on the target's machine that signs the source's certificate.
    public var tlsCA: String?
    public var start: GTIDPosition
    /// Apply only these databases' events (the backup's selection); empty: everything.
    public var databases: [String]

    public static let defaultConnectionName = "mariadb_migrate"

    public init(
        connectionName: String = Self.defaultConnectionName, host: String, port: Int = 3306, user: String,
        tls: Bool = false, tlsCA: String? = nil, start: GTIDPosition, databases: [String] = []
    ) {
        self.connectionName = connectionName
        self.host = host
        self.port = port
        self.user = user
        self.tls = tls || tlsCA != nil
        self.tlsCA = tlsCA
        self.start = start
        self.databases = databases
    }

    var connection: String { SQLQuoting.literal(connectionName) }

    /// `db.%` patterns for replicate_wild_do_table, with the LIKE wildcards of the name escaped:
    /// row events and DDL on other databases are skipped, not failed on.
    public var wildDoTable: String {
        databases.map { name in
            name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "_", with: "\\_")
                .replacingOccurrences(of: "%", with: "\\%") + ".%"
        }.joined(separator: ",")
    }

    /// The statements in order. `password` is the replication account's; a plan for people passes
    /// nil and reads `<secret>`. `current` is the target's `gtid_slave_pos`, whose other domains stay.
    public func statements(password: String?, current: GTIDPosition, exists: Bool) -> [String] {
        var statements: [String] = []
        if exists {
            statements += ["STOP SLAVE \(connection)", "RESET SLAVE \(connection) ALL"]
        }
        statements.append("SET GLOBAL gtid_slave_pos = \(SQLQuoting.literal(current.merging(start).description))")
        var options = [
            "MASTER_HOST=\(SQLQuoting.literal(host))", "MASTER_PORT=\(port)", "MASTER_USER=\(SQLQuoting.literal(user))",
            "MASTER_PASSWORD=\(password.map(SQLQuoting.literal) ?? "<secret>")", "MASTER_USE_GTID=slave_pos",
            "MASTER_CONNECT_RETRY=5",
        ]
        if tls { options.append("MASTER_SSL=1") }
        if let tlsCA { options += ["MASTER_SSL_CA=\(SQLQuoting.literal(tlsCA))", "MASTER_SSL_VERIFY_SERVER_CERT=1"] }
        statements.append("CHANGE MASTER \(connection) TO " + options.joined(separator: ", "))
        if !databases.isEmpty {
            statements.append(
                "SET GLOBAL \(SQLQuoting.identifier(connectionName)).replicate_wild_do_table = "
                    + SQLQuoting.literal(wildDoTable))
        }
        // Each server keeps its own restore progress: the tool's schema never travels, in either direction.
        statements.append(
            "SET GLOBAL \(SQLQuoting.identifier(connectionName)).replicate_wild_ignore_table = "
                + SQLQuoting.literal(Self.toolSchemaPattern))
        statements.append("START SLAVE \(connection)")
        return statements
    }

    /// The tool's schema as a replicate_wild_ignore_table pattern; with `.%` it covers the schema's own CREATE and
    /// DROP too.
    public static let toolSchemaPattern = SystemObjects.toolSchema.replacingOccurrences(of: "_", with: "\\_") + ".%"

    /// The account on the source, created without writing it to the binlog (the target needs no
    /// copy of it). `password` nil: `<secret>`, for plans.
    public static func accountStatements(user: String, host: String, password: String?) -> [String] {
        let account = "\(SQLQuoting.literal(user))@\(SQLQuoting.literal(host))"
        return [
            "SET SESSION sql_log_bin = 0",
            "CREATE USER IF NOT EXISTS \(account) IDENTIFIED BY \(password.map(SQLQuoting.literal) ?? "<secret>")",
            "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO \(account)",
            "SET SESSION sql_log_bin = 1",
        ]
    }
}
