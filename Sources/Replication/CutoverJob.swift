import Foundation
import MariaDBClient

/// How far the target is behind the source, read on both at once.
public struct ReplicationLag: Codable, Sendable, Equatable {
    public var sourcePosition: GTIDPosition
    public var appliedPosition: GTIDPosition
    /// Transactions the target still has to apply (the GTID distance).
    public var transactions: UInt64
    /// `Seconds_Behind_Master`; nil while the replica is not running.
    public var seconds: Int?
    public var running: Bool
}

/// The `cutover` command and a runbook's cutover step: wait until the target is close behind,
/// refuse writes on the source, wait until the target applied the source's last transaction,
/// then end replication. A timeout rolls back (source writable again, replication running).
public struct CutoverJob: Sendable, Equatable {
    public var connectionName: String
    /// Start the switch only once the target is at most this many transactions behind.
    public var maxLag: UInt64
    /// Seconds to wait for that (nothing changes meanwhile).
    public var catchUpTimeout: Double
    /// Seconds writes may be refused before the switch is rolled back.
    public var timeout: Double
    /// Also hold FLUSH TABLES WITH READ LOCK on the source (stops accounts with READ_ONLY ADMIN
    /// or SUPER too, which read_only lets write).
    public var lock: Bool
    /// Set up a way back before the target takes writes (`cutover --reversible`, and `--revert`).
    public var wayBack: WayBack?

    public init(
        connectionName: String = ReplicationSetup.defaultConnectionName, maxLag: UInt64 = 1000,
        catchUpTimeout: Double = 600, timeout: Double = 60, lock: Bool = false
    ) {
        self.connectionName = connectionName
        self.maxLag = maxLag
        self.catchUpTimeout = catchUpTimeout
        self.timeout = timeout
        self.lock = lock
    }

    public enum Event: Sendable, Equatable {
        case catchingUp(ReplicationLag)
        case writesRefused(final: GTIDPosition)
        case draining(ReplicationLag)
        case switched
    }

    public struct Report: Codable, Sendable, Equatable {
        public var source: String
        public var target: String
        public var connectionName: String
        /// The source's last position, now applied on the target.
        public var finalPosition: String
        /// Seconds from refusing writes on the source until the target no longer replicated.
        public var writeDowntimeSeconds: Double
        /// Transactions applied while writes were refused.
        public var drainedTransactions: UInt64
        public var sourceLeftReadOnly: Bool
        /// The other nodes of a Galera source that refuse writes from now on too (`GaleraNodes`).
        public var otherNodesLeftReadOnly: [String] = []
        public var targetMadeWritable: Bool
        public var lockHeld: Bool
        /// The source's accounts the replica logged in with (`'user'@'host'`): they stay, for a way back; drop
        /// them by hand when done (`leftAccountsNote`).
        public var replicationAccounts: [String] = []
        /// The way back set up on the source: its connection name, and where it started.
        public var wayBack: String?
        public var wayBackFrom: String?

        /// One line on the other Galera nodes that refuse writes now too, nil without them.
        public var otherNodesNote: String? {
            guard !otherNodesLeftReadOnly.isEmpty else { return nil }
            return "the other nodes of its Galera cluster stay read-only too: "
                + otherNodesLeftReadOnly.joined(separator: ", ")
        }

        /// One line on the replication account left on the source and how to drop it, nil without one.
        public var leftAccountsNote: String? {
            guard !replicationAccounts.isEmpty else { return nil }
            let accounts = replicationAccounts.joined(separator: ", ")
            return "the replication account \(accounts) stays on \(source) (kept for a way back); drop it when you "
                + "are done: DROP USER \(accounts);"
        }
    }

    public static func lag(
        source: MariaDBConnection, target: MariaDBConnection, connectionName: String
    ) async throws -> ReplicationLag {
        async let sourcePosition = source.gtidBinlogPos()
        async let replica = target.replicaStatus(connectionName)
        guard let status = try await replica else {
            throw ReplicationError.noReplication(connection: connectionName, target: target.endpoint)
        }
        let position = try await sourcePosition
        return ReplicationLag(
            sourcePosition: position, appliedPosition: status.gtidSlavePos,
            transactions: position.transactions(after: status.gtidSlavePos), seconds: status.secondsBehind,
            running: status.running)
    }

    /// The source's accounts of that user name, as `'user'@'host'`.
    static func accounts(named user: String, on source: MariaDBConnection) async throws -> [String] {
        guard !user.isEmpty else { return [] }
        return try await source.query("SELECT Host FROM mysql.user WHERE User = \(SQLQuoting.literal(user))").rows
            .compactMap { $0[0].string }.sorted().map { "\(SQLQuoting.literal(user))@\(SQLQuoting.literal($0))" }
    }

    /// `lockConnection` is a second source connection for FLUSH TABLES WITH READ LOCK (`lock`); `sourceNodes` are
    /// the other nodes of a Galera source, which refuse writes with it (`GaleraNodes.connect`).
    public func run(
        source: MariaDBConnection, target: MariaDBConnection, lockConnection: MariaDBConnection? = nil,
        sourceNodes: [MariaDBConnection] = [], events: @Sendable (Event) -> Void = { _ in }
    ) async throws -> Report {
        try await target.requireRunningReplica(connectionName)
        // Checked before anything changes; the account is made only once every check passed.
        var filter = ""
        if let wayBack {
            filter = try await wayBack.check(losing: source, taking: target, drained: connectionName)
            try await wayBack.prepareAccount(on: target)
        }
        // 1. Catch up with writes still allowed.
        let catchUpDeadline = ContinuousClock.now + .milliseconds(Int(catchUpTimeout * 1000))
        while true {
            let lag = try await Self.lag(source: source, target: target, connectionName: connectionName)
            events(.catchingUp(lag))
            if lag.transactions <= maxLag { break }
            try await target.requireRunningReplica(connectionName)
            if ContinuousClock.now > catchUpDeadline {
                throw ReplicationError.catchUpTimeout(seconds: catchUpTimeout, lag: lag.transactions)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        // 2. Refuse writes; from here every failure rolls back.
        let wasReadOnly = try await source.query("SELECT @@GLOBAL.read_only").scalar.int == 1
        var nodesWereReadOnly: [Bool] = []
        for node in sourceNodes {
            nodesWereReadOnly.append(try await node.query("SELECT @@GLOBAL.read_only").scalar.int == 1)
        }
        let refused = ContinuousClock.now
        try await source.query("SET GLOBAL read_only = 1")
        var locked = false
        var lockTaken = false
        var wayBackStarted: GTIDPosition?
        do {
            for node in sourceNodes { try await node.query("SET GLOBAL read_only = 1") }
            if lock, let lockConnection {
                try await lockConnection.query("FLUSH TABLES WITH READ LOCK")
                locked = true
                lockTaken = true
            }
            if !sourceNodes.isEmpty { try await Self.causalWait(on: source) }
            let final = try await source.gtidBinlogPos()
            events(.writesRefused(final: final))
            let startLag = try await Self.lag(source: source, target: target, connectionName: connectionName)
            try await drain(to: final, target: target, source: source, events: events)
            // The way back starts where the target's binlog is now, before it takes any write. Starting it writes
            // the source's replication tables, which the global read lock would block for good: the lock goes first
            // (everything it held back is on the target; read_only still refuses writes).
            if let wayBack {
                if locked {
                    try await lockConnection?.query("UNLOCK TABLES")
                    locked = false
                }
                let position = try await target.gtidBinlogPos()
                try await wayBack.start(on: source, from: position, filter: filter)
                wayBackStarted = position
            }
            let name = SQLQuoting.literal(connectionName)
            let user = try await target.replicaStatus(connectionName)?.sourceUser ?? ""
            try await target.execute(["STOP SLAVE \(name)", "RESET SLAVE \(name) ALL"])
            let downtime = ContinuousClock.now - refused
            let targetReadOnly = try await target.query("SELECT @@GLOBAL.read_only").scalar.int == 1
            if targetReadOnly { try await target.query("SET GLOBAL read_only = 0") }
            if locked { try await lockConnection?.query("UNLOCK TABLES") }
            events(.switched)
            var report = Report(
                source: source.endpoint, target: target.endpoint, connectionName: connectionName,
                finalPosition: final.description,
                writeDowntimeSeconds: Double(downtime.components.seconds)
                    + Double(downtime.components.attoseconds) / 1e18,
                drainedTransactions: startLag.transactions, sourceLeftReadOnly: true,
                targetMadeWritable: targetReadOnly, lockHeld: lockTaken,
                replicationAccounts: try await Self.accounts(named: user, on: source))
            report.otherNodesLeftReadOnly = sourceNodes.map(\.endpoint)
            report.wayBack = wayBack?.connectionName
            report.wayBackFrom = wayBackStarted?.description
            return report
        } catch {
            if locked { _ = try? await lockConnection?.query("UNLOCK TABLES") }
            // A way back this run made (the checks refused one already there) goes with the rollback.
            if let wayBack, case .some(.some) = try? await source.replicaStatus(wayBack.connectionName) {
                try? await WayBack.drop(wayBack.connectionName, on: source)
            }
            for (node, was) in zip(sourceNodes, nodesWereReadOnly) {
                _ = try? await node.query("SET GLOBAL read_only = \(was ? 1 : 0)")
            }
            let restored = (try? await source.query("SET GLOBAL read_only = \(wasReadOnly ? 1 : 0)")) != nil
            if case ReplicationError.cutoverTimeout(let seconds, let lag, _) = error {
                throw ReplicationError.cutoverTimeout(seconds: seconds, lag: lag, restoredReadOnly: restored)
            }
            throw error
        }
    }

    /// Waits until a Galera node applied every write set the cluster ordered so far (a causal read): the writes
    /// other nodes took before they refused them are then in its binlog position.
    static func causalWait(on node: MariaDBConnection) async throws {
        try await node.query("SET SESSION wsrep_sync_wait = 1")
        _ = try await node.query("SELECT COUNT(*) FROM mysql.gtid_slave_pos")
        try await node.query("SET SESSION wsrep_sync_wait = DEFAULT")
    }

    /// Waits on the target (MASTER_GTID_WAIT, in short slices to report progress) until it applied `final`.
    func drain(
        to final: GTIDPosition, target: MariaDBConnection, source: MariaDBConnection,
        events: @Sendable (Event) -> Void
    ) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let wait = "SELECT MASTER_GTID_WAIT(\(SQLQuoting.literal(final.description)), 0.5)"
        while true {
            try Task.checkCancellation()
            if try await target.query(wait).scalar.int == 0 { return }
            let lag = try await Self.lag(source: source, target: target, connectionName: connectionName)
            events(.draining(lag))
            try await target.requireRunningReplica(connectionName)
            if ContinuousClock.now > deadline {
                throw ReplicationError.cutoverTimeout(seconds: timeout, lag: lag.transactions, restoredReadOnly: true)
            }
        }
    }
}
