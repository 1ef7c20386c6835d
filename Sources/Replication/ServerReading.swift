import Foundation
import MariaDBClient

/// A replication connection of the target as `SHOW ALL SLAVES STATUS` reports it.
public struct ReplicaStatus: Codable, Sendable, Equatable {
    public var connectionName: String
    public var sourceHost: String
    public var sourcePort: Int
    /// `Yes`, `No` or `Connecting`.
    public var ioRunning: String
    public var sqlRunning: String
    public var lastIOError: String
    public var lastSQLError: String
    public var secondsBehind: Int?
    public var gtidSlavePos: GTIDPosition
    /// The account the replica logs in to the source with.
    public var sourceUser: String = ""
    /// `Replicate_Wild_Do_Table`: the database filter it applies.
    public var wildDoTable: String = ""

    public var running: Bool { ioRunning == "Yes" && sqlRunning == "Yes" }

    /// Connection names compare without case, as the server compares them.
    static func named(_ name: String, in statuses: [ReplicaStatus]) -> ReplicaStatus? {
        statuses.first { $0.connectionName.lowercased() == name.lowercased() }
    }
    /// The first error the replica reports, nil when there is none.
    public var error: String? {
        if !lastSQLError.isEmpty { return "applying: \(lastSQLError)" }
        if !lastIOError.isEmpty { return "reading from the source: \(lastIOError)" }
        return nil
    }
}

extension MariaDBConnection {
    func replicationSourceFacts() async throws -> ReplicationSourceFacts {
        let variables = try await keyValues(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'server_id', "
                + "'gtid_binlog_pos', 'binlog_expire_logs_seconds', 'expire_logs_days')")
        var facts = ReplicationSourceFacts(
            logBin: variables["log_bin"]?.uppercased() == "ON", binlogFormat: variables["binlog_format"] ?? "",
            serverID: Int(variables["server_id"] ?? "") ?? 0,
            gtidBinlogPos: try GTIDPosition(parsing: variables["gtid_binlog_pos"] ?? ""))
        facts.binlogExpireSeconds =
            Double(variables["binlog_expire_logs_seconds"] ?? "")
            ?? (Double(variables["expire_logs_days"] ?? "") ?? 0) * 86_400
        guard facts.logBin else { return facts }
        facts.binlogFiles = try await query("SHOW BINARY LOGS").rows.compactMap { $0[0].string }
        if let oldest = facts.binlogFiles.first {
            let events = try await query("SHOW BINLOG EVENTS IN \(SQLQuoting.literal(oldest)) LIMIT 5").rows
            if let list = events.first(where: { $0["Event_type"].string == "Gtid_list" }) {
                facts.oldestBinlogGTIDs = try GTIDPosition(parsing: list["Info"].string ?? "")
            }
        }
        return facts
    }

    /// `replicas`: the target's `replicaStatuses()`, read once by the caller that needs them too.
    func replicationTargetFacts(replicas: [ReplicaStatus]) async throws -> ReplicationTargetFacts {
        let variables = try await keyValues(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_id', 'gtid_strict_mode', 'gtid_slave_pos', "
                + "'wsrep_on')")
        return ReplicationTargetFacts(
            serverID: Int(variables["server_id"] ?? "") ?? 0, gtidStrictMode: variables["gtid_strict_mode"] == "ON",
            galera: variables["wsrep_on"] == "ON",
            gtidSlavePos: try GTIDPosition(parsing: variables["gtid_slave_pos"] ?? ""),
            connections: Dictionary(uniqueKeysWithValues: replicas.map { ($0.connectionName, $0.running) }))
    }

    func replicaStatuses() async throws -> [ReplicaStatus] {
        try await query("SHOW ALL SLAVES STATUS").rows.map { row in
            ReplicaStatus(
                connectionName: row["Connection_name"].string ?? "", sourceHost: row["Master_Host"].string ?? "",
                sourcePort: row["Master_Port"].int ?? 0, ioRunning: row["Slave_IO_Running"].string ?? "No",
                sqlRunning: row["Slave_SQL_Running"].string ?? "No", lastIOError: row["Last_IO_Error"].string ?? "",
                lastSQLError: row["Last_SQL_Error"].string ?? "", secondsBehind: row["Seconds_Behind_Master"].int,
                gtidSlavePos: try GTIDPosition(parsing: row["Gtid_Slave_Pos"].string ?? ""),
                sourceUser: row["Master_User"].string ?? "", wildDoTable: row["Replicate_Wild_Do_Table"].string ?? "")
        }
    }

    func replicaStatus(_ name: String) async throws -> ReplicaStatus? {
        ReplicaStatus.named(name, in: try await replicaStatuses())
    }

    /// The replication connection `name` must be there and running without an error; its status.
    @discardableResult
    func requireRunningReplica(_ name: String) async throws -> ReplicaStatus {
        guard let status = try await replicaStatus(name) else {
            throw ReplicationError.noReplication(connection: name, target: endpoint)
        }
        guard status.running, status.error == nil else {
            throw ReplicationError.replicaStopped(
                connection: name, target: endpoint,
                detail: status.error ?? "io \(status.ioRunning), sql \(status.sqlRunning)")
        }
        return status
    }

    func gtidBinlogPos() async throws -> GTIDPosition {
        try GTIDPosition(parsing: try await query("SELECT @@GLOBAL.gtid_binlog_pos").scalar.string ?? "")
    }

    /// Runs statements that carry a password; an error shows `redacted`'s text of the statement.
    func executeSecret(_ statements: [String], redacted: [String]) async throws {
        for (statement, shown) in zip(statements, redacted) {
            do {
                try await query(statement)
            } catch var error as MariaDBError {
                error.statement = shown
                throw error
            }
        }
    }
}
