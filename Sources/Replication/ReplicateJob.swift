import Foundation
import MariaDBClient
import Preflight

/// The `replicate` command and a runbook's replicate step: the target starts replicating from the
/// source at the backup's position, after checks that change nothing.
public struct ReplicateJob: Sendable {
    public var setup: ReplicationSetup
    public var startOrigin: String
    public var startBinlogFile: String?
    /// Create the replication account on the source (without binlogging it) when it is missing.
    public var createAccount: Bool
    /// The host part of that account.
    public var accountHost: String
    /// Drop an existing connection of that name and start again at `setup.start`.
    public var reset: Bool
    /// Seconds to wait for both replication threads to run.
    public var startTimeout: Double

    public init(
        setup: ReplicationSetup, startOrigin: String, startBinlogFile: String? = nil, createAccount: Bool = false,
        accountHost: String = "%", reset: Bool = false, startTimeout: Double = 30
    ) {
        self.setup = setup
        self.startOrigin = startOrigin
        self.startBinlogFile = startBinlogFile
        self.createAccount = createAccount
        self.accountHost = accountHost
        self.reset = reset
        self.startTimeout = startTimeout
    }

    public struct Report: Codable, Sendable, Equatable {
        public enum Outcome: String, Codable, Sendable {
            case started
            case alreadyRunning = "already-running"
            case restarted, planned
        }
        public var outcome: Outcome
        public var source: String
        public var target: String
        public var connectionName: String
        public var start: String
        public var databases: [String]
        public var findings: [Finding]
        /// The statements run on the target (the password as `<secret>`).
        public var statements: [String]
        public var status: ReplicaStatus?
        /// Transactions the target still has to apply to reach the source's current position.
        public var lagTransactions: UInt64?
    }

    /// The checks only: what `run` would refuse or warn about, and the statements it would run.
    public func plan(source: MariaDBConnection, target: MariaDBConnection) async throws -> Report {
        try await assess(source: source, target: target).report
    }

    /// The report of `plan`, and the target's `gtid_slave_pos` the statements were made for.
    func assess(
        source: MariaDBConnection, target: MariaDBConnection
    ) async throws -> (report: Report, current: GTIDPosition) {
        let sourceFacts = try await source.replicationSourceFacts()
        let replicas = try await target.replicaStatuses()
        let targetFacts = try await target.replicationTargetFacts(replicas: replicas)
        let status = ReplicaStatus.named(setup.connectionName, in: replicas)
        let start = StartPosition(gtid: setup.start, binlogFile: startBinlogFile, origin: startOrigin)
        let findings = ReplicationRules.check(
            source: sourceFacts, target: targetFacts, start: start, connectionName: setup.connectionName)
        let report = Report(
            outcome: .planned, source: source.endpoint, target: target.endpoint,
            connectionName: setup.connectionName, start: setup.start.description, databases: setup.databases,
            findings: findings,
            statements: setup.statements(password: nil, current: targetFacts.gtidSlavePos, exists: status != nil),
            status: status, lagTransactions: nil)
        return (report, targetFacts.gtidSlavePos)
    }

    /// Checks, then sets replication up. `password` is asked for only once the checks passed, so a
    /// refused run creates nothing (not even a password file).
    public func run(
        source: MariaDBConnection, target: MariaDBConnection, password: () throws -> String
    ) async throws -> Report {
        var (report, current) = try await assess(source: source, target: target)
        let blockers = report.findings.filter { $0.severity == .blocker }
        if !blockers.isEmpty { throw ReplicationError.blocked(blockers) }
        let password = try password()
        if let existing = report.status, !reset {
            // Already set up by an earlier run: its position moved on since, so it is never set again.
            if existing.running {
                report.outcome = .alreadyRunning
            } else {
                try await target.query("START SLAVE \(SQLQuoting.literal(setup.connectionName))")
                report.outcome = .restarted
            }
            report.statements = []
        } else {
            if createAccount {
                try await source.executeSecret(
                    ReplicationSetup.accountStatements(user: setup.user, host: accountHost, password: password),
                    redacted: ReplicationSetup.accountStatements(user: setup.user, host: accountHost, password: nil))
            }
            let exists = report.status != nil
            try await target.executeSecret(
                setup.statements(password: password, current: current, exists: exists), redacted: report.statements)
            report.outcome = .started
        }
        report.status = try await waitUntilRunning(target)
        report.lagTransactions = try await source.gtidBinlogPos().transactions(
            after: report.status?.gtidSlavePos ?? .init())
        return report
    }

    /// Polls until both threads run; a replica error stops and removes the connection again.
    func waitUntilRunning(_ target: MariaDBConnection) async throws -> ReplicaStatus {
        let deadline = ContinuousClock.now + .milliseconds(Int(startTimeout * 1000))
        while true {
            guard let status = try await target.replicaStatus(setup.connectionName) else {
                throw ReplicationError.noReplication(connection: setup.connectionName, target: target.endpoint)
            }
            if status.running && status.error == nil { return status }
            if let error = status.error
                ?? (ContinuousClock.now > deadline
                    ? "not running after \(startTimeout) s "
                        + "(io \(status.ioRunning), sql \(status.sqlRunning))" : nil)
            {
                let name = SQLQuoting.literal(setup.connectionName)
                try? await target.execute(["STOP SLAVE \(name)", "RESET SLAVE \(name) ALL"])
                throw ReplicationError.replicaFailed(
                    connection: setup.connectionName, target: target.endpoint, detail: error)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

public enum ReplicationError: Error, LocalizedError, Equatable, Sendable {
    case blocked([Finding])
    case noReplication(connection: String, target: String)
    case replicaFailed(connection: String, target: String, detail: String)
    case replicaStopped(connection: String, target: String, detail: String)
    case catchUpTimeout(seconds: Double, lag: UInt64)
    case cutoverTimeout(seconds: Double, lag: UInt64, restoredReadOnly: Bool)
    case noSourceHost(String)

    public var errorDescription: String? {
        switch self {
        case .blocked(let findings):
            let first = findings[0]
            let more = findings.count > 1 ? " (and \(findings.count - 1) more blockers)" : ""
            return "\(first.check): \(first.message); fix: \(first.fix)\(more); nothing was changed"
        case .noReplication(let connection, let target):
            return "\(target) has no replication connection '\(connection)': run `mariadb-migrate replicate` first"
        case .replicaFailed(let connection, let target, let detail):
            return "replication '\(connection)' on \(target) failed to start: \(detail); it was stopped and removed "
                + "again: fix the cause and run replicate again"
        case .replicaStopped(let connection, let target, let detail):
            return "replication '\(connection)' on \(target) is not running: \(detail); fix the cause and START "
                + "SLAVE '\(connection)' on the target (or run replicate --reset from a new backup)"
        case .catchUpTimeout(let seconds, let lag):
            return "the target did not catch up within \(Self.seconds(seconds)) (\(lag) transactions behind): "
                + "nothing was changed; run cutover again later or raise --catch-up-timeout"
        case .cutoverTimeout(let seconds, let lag, let restored):
            let source = restored ? "the source takes writes again" : "the source's read_only was left as it was"
            return "the target did not apply the source's last transactions within \(Self.seconds(seconds)) "
                + "(\(lag) behind): the cutover was rolled back, \(source) and replication keeps running; "
                + "run cutover again or raise --timeout"
        case .noSourceHost(let endpoint):
            return "the target cannot reach the source through \(endpoint): give the address the target "
                + "uses with --replication-host (and --replication-port)"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
