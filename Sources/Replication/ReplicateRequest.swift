import Foundation
import MariaDBClient
import ObjectStore

/// What `replicate` and the wizard's replicate step are asked, turned into a job and run: one
/// function behind both.
public struct ReplicateRequest: Sendable, Equatable {
    /// A backup in the store to start from (nil: the newest), unless `gtid` is given.
    public var backup: String?
    public var gtid: String?
    /// Databases to apply (empty: the backup's selection).
    public var databases: [String] = []
    public var user = SystemObjects.replicationAccount
    public var passwordFile: String?
    /// Where a made-up password goes when `passwordFile` is not given.
    public var fallbackPasswordFile = "migration-out/replication.password"
    public var createUser = false
    public var accountHost = "%"
    /// The source as the target reaches it; nil: the source's TCP host and port.
    public var host: String?
    public var port: Int?
    public var tls = false
    public var tlsCA: String?
    public var connectionName = ReplicationSetup.defaultConnectionName
    public var reset = false
    public var dryRun = false
    /// Give the target this server_id first (SET GLOBAL: until its next restart), when it shares the source's.
    public var targetServerID: Int?

    public init() {}

    public struct Outcome: Sendable {
        public var report: ReplicateJob.Report
        /// The file a new replication password was written to.
        public var passwordWrittenTo: String?
    }

    public func run(
        source sourceSettings: ConnectionSettings, target targetSettings: ConnectionSettings,
        store: () throws -> any ObjectStore, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Outcome {
        let start: BackupStart
        if let gtid {
            start = BackupStart(
                position: StartPosition(gtid: try GTIDPosition(parsing: gtid), origin: "--gtid \(gtid)"),
                databases: [])
        } else {
            start = try await BackupStart.read(backup: backup, store: try store())
        }
        let host: String
        let port: Int
        switch sourceSettings.transport {
        case .tcp(let sourceHost, let sourcePort):
            host = self.host ?? sourceHost
            port = self.port ?? sourcePort
        case .socket:
            guard let replicationHost = self.host else {
                throw ReplicationError.noSourceHost(sourceSettings.endpointDescription)
            }
            host = replicationHost
            port = self.port ?? 3306
        }
        let setup = ReplicationSetup(
            connectionName: connectionName, host: host, port: port, user: user, tls: tls, tlsCA: tlsCA,
            start: start.position.gtid, databases: databases.isEmpty ? start.databases : databases)
        let job = ReplicateJob(
            setup: setup, startOrigin: start.position.origin, startBinlogFile: start.position.binlogFile,
            createAccount: createUser, accountHost: accountHost, reset: reset)
        async let sourceConnection = MariaDBConnection.connect(sourceSettings)
        async let targetConnection = MariaDBConnection.connect(targetSettings)
        let (source, target) = try await (sourceConnection, targetConnection)
        if let targetServerID, !dryRun {
            try await target.query("SET GLOBAL server_id = \(targetServerID)")
        }
        if dryRun { return Outcome(report: try await job.plan(source: source, target: target)) }
        var writtenTo: String?
        let report = try await job.run(source: source, target: target) {
            let resolved = try ReplicationPassword.resolve(
                file: passwordFile, fallbackFile: fallbackPasswordFile, create: createUser, environment: environment)
            writtenTo = resolved.writtenTo
            return resolved.password
        }
        return Outcome(report: report, passwordWrittenTo: writtenTo)
    }
}
