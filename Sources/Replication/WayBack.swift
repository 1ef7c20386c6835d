import Foundation
import MariaDBClient

/// The way back of a reversible cutover: before the side that takes the writes from now on opens, the side that
/// gave them up replicates from it, from its binlog position at that moment, so that `cutover --revert` can
/// switch back without losing a write made meanwhile. The same shape serves both directions: a cutover's way back
/// is the reverse stream on the old source; a revert's is the forward stream on the new server again.
public struct WayBack: Sendable, Equatable {
    /// The reverse stream's connection name on the old source.
    public static let reverseConnectionName = "mariadb_migrate_reverse"

    /// The connection the side giving up the writes replicates through afterwards.
    public var connectionName: String
    /// The side taking the writes, as the other side reaches it.
    public var host: String
    public var port: Int
    public var user: String
    /// The host part of the account made on the side taking the writes when it is missing.
    public var accountHost = "%"
    public var password: String

    public init(connectionName: String, host: String, port: Int, user: String, password: String) {
        self.connectionName = connectionName
        self.host = host
        self.port = port
        self.user = user
        self.password = password
    }

    /// Checked before anything changes: the side taking the writes has a row binlog and another server id, and the
    /// side giving them up has no connection of that name and no other replication running (its gtid_slave_pos is
    /// set). Returns the database filter of the stream being drained, which the way back takes over.
    func check(losing: MariaDBConnection, taking: MariaDBConnection, drained: String) async throws -> String {
        let variables = try await taking.keyValues(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'server_id')")
        guard variables["log_bin"]?.uppercased() == "ON", variables["binlog_format"]?.uppercased() != "STATEMENT"
        else {
            throw WayBackError.noBinlog(server: taking.endpoint, format: variables["binlog_format"] ?? "")
        }
        let losingID = try await losing.query("SELECT @@GLOBAL.server_id").scalar.int ?? 0
        guard Int(variables["server_id"] ?? "") != losingID else {
            throw WayBackError.serverIDClash(id: losingID)
        }
        let statuses = try await losing.replicaStatuses()
        if ReplicaStatus.named(connectionName, in: statuses) != nil {
            throw WayBackError.alreadyThere(connection: connectionName, server: losing.endpoint)
        }
        if let running = statuses.first(where: { $0.sqlRunning == "Yes" }) {
            throw WayBackError.otherReplication(connection: running.connectionName, server: losing.endpoint)
        }
        return try await taking.replicaStatus(drained)?.wildDoTable ?? ""
    }

    /// The replication account on the side taking the writes, made when missing without binlogging it.
    func prepareAccount(on taking: MariaDBConnection) async throws {
        try await taking.executeSecret(
            ReplicationSetup.accountStatements(user: user, host: accountHost, password: password),
            redacted: ReplicationSetup.accountStatements(user: user, host: accountHost, password: nil))
    }

    /// Starts the stream on the side giving up the writes, from `position` (the other side's binlog position
    /// before it took any write), and waits until it is connected.
    func start(on losing: MariaDBConnection, from position: GTIDPosition, filter: String) async throws {
        let setup = ReplicationSetup(
            connectionName: connectionName, host: host, port: port, user: user, start: position)
        let current = try GTIDPosition(
            parsing: try await losing.query("SELECT @@GLOBAL.gtid_slave_pos").scalar.string ?? "")
        func statements(_ password: String?) -> [String] {
            var list = setup.statements(password: password, current: current, exists: false)
            if !filter.isEmpty {
                list.insert(
                    "SET GLOBAL \(SQLQuoting.identifier(connectionName)).replicate_wild_do_table = "
                        + SQLQuoting.literal(filter), at: list.count - 1)
            }
            return list
        }
        try await losing.executeSecret(statements(password), redacted: statements(nil))
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let status = try await losing.replicaStatus(connectionName)
            if status?.ioRunning == "Yes" && status?.sqlRunning == "Yes" { return }
            guard ContinuousClock.now < deadline else {
                throw WayBackError.notConnecting(
                    connection: connectionName, server: losing.endpoint,
                    detail: status?.error ?? "not connected within 15 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A revert needs the reverse stream on the old source.
    public static func requireReverse(on old: MariaDBConnection) async throws {
        guard try await old.replicaStatus(reverseConnectionName) != nil else {
            throw WayBackError.nothingToRevert(connection: reverseConnectionName, server: old.endpoint)
        }
    }

    /// `cutover --finish`: the reverse stream on the old source goes. Returns its name.
    public static func finish(old: MariaDBConnection) async throws -> String {
        guard try await old.replicaStatus(reverseConnectionName) != nil else {
            throw WayBackError.nothingToFinish(connection: reverseConnectionName, server: old.endpoint)
        }
        try await drop(reverseConnectionName, on: old)
        return reverseConnectionName
    }

    /// Removes the stream (best effort after a failure).
    static func drop(_ connectionName: String, on server: MariaDBConnection) async throws {
        let name = SQLQuoting.literal(connectionName)
        try await server.execute(["STOP SLAVE \(name)", "RESET SLAVE \(name) ALL"])
    }
}

public enum WayBackError: Error, LocalizedError, Equatable, Sendable {
    case noBinlog(server: String, format: String)
    case serverIDClash(id: Int)
    case alreadyThere(connection: String, server: String)
    case otherReplication(connection: String, server: String)
    case notConnecting(connection: String, server: String, detail: String)
    case nothingToRevert(connection: String, server: String)
    case nothingToFinish(connection: String, server: String)
    case socketOnly(server: String, option: String)

    public var errorDescription: String? {
        switch self {
        case .noBinlog(let server, let format):
            let what =
                format.uppercased() == "STATEMENT" ? "logs statements (binlog_format=STATEMENT)" : "has no binlog"
            return "no way back: \(server) \(what), so the old server cannot replicate from it: start it with "
                + "log_bin and binlog_format=ROW, or cut over without --reversible (in a runbook: reversible no); "
                + "nothing was changed"
        case .serverIDClash(let id):
            return "no way back: both servers have server_id \(id), so each would skip the other's events: give one "
                + "another server_id; nothing was changed"
        case .alreadyThere(let connection, let server):
            return "a reverse stream '\(connection)' is already there on \(server): cutover --revert switches back "
                + "through it, cutover --finish drops it; nothing was changed"
        case .otherReplication(let connection, let server):
            return "no way back: \(server) already replicates through '\(connection)': stop it first; nothing was "
                + "changed"
        case .notConnecting(let connection, let server, let detail):
            return "the way back '\(connection)' on \(server) did not start (\(detail)): the cutover was rolled back, "
                + "the source takes writes again; check --reverse-host and the replication account"
        case .socketOnly(let server, let option):
            return "\(server) is a socket, which the other server cannot reach: give --\(option); nothing was changed"
        case .nothingToFinish(let connection, let server):
            return "nothing to finish: \(server) has no reverse stream '\(connection)'"
        case .nothingToRevert(let connection, let server):
            return "nothing to revert: \(server) has no reverse stream '\(connection)' (cutover --reversible sets one "
                + "up)"
        }
    }
}
