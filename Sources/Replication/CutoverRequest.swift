import Foundation
import MariaDBClient

/// One `cutover` run as its flags or a runbook step give it: the switch itself (`job`), the check of the last live
/// verify before a switch forward, and the way back around it (`--reversible`, `--revert`, `--finish`). The command
/// and the runbook's cutover, revert and finish steps build one and run it, so what they do cannot drift apart.
public struct CutoverRequest: Sendable, Equatable {
    public enum Direction: String, Sendable, CaseIterable {
        /// Forward, one way: the source stays read-only and nothing replicates from the target.
        case forward
        /// Forward with the way back set up before the target takes writes.
        case reversible
        /// Back to the source through the reverse stream; the forward stream comes back as its way back.
        case revert
        /// The reverse stream goes: no way back any more.
        case finish
    }

    public static let defaultVerifyStateDirectory = "migration-out/verify-live"
    public static let defaultPasswordFile = "migration-out/replication.password"

    public var job = CutoverJob()
    public var direction = Direction.forward
    /// Where verify --live keeps its records: the last one of these servers is read before a switch forward.
    public var verifyStateDirectory = defaultVerifyStateDirectory
    /// How old that record may be, in seconds.
    public var verifyMaxAge = 86_400.0
    /// Switch forward whatever that record says.
    public var force = false
    /// The account either side replicates with on the way back.
    public var replicationUser = SystemObjects.replicationAccount
    /// Its password's file (else the environment, else `defaultPasswordFile`, as replicate writes it).
    public var replicationPasswordFile: String?
    /// The target as the source reaches it, for the reverse stream (default: the target's own address).
    public var reverseHost: String?
    public var reversePort: Int?
    /// The source as the target reaches it, for a revert's forward stream (default: the source's own address).
    public var replicationHost: String?
    public var replicationPort: Int?
    /// The nodes that refuse writes with the side giving them up when it is a Galera node.
    public var galeraNodes = GaleraNodes.discover

    public init() {}

    public enum Outcome: Sendable, Equatable {
        case switched(CutoverJob.Report)
        /// `finish`: the reverse stream of that name was dropped on that server.
        case finished(connection: String, server: String)
    }

    /// The record of the last live verify of these servers.
    public func liveVerifyRecord(source: ConnectionSettings, target: ConnectionSettings) -> LiveVerifyState.File {
        LiveVerifyState.File(
            directory: verifyStateDirectory, source: source.endpointDescription, target: target.endpointDescription)
    }

    /// Throws when a switch forward should not go: the last live verify of these servers found differences, did
    /// not end, or is older than `verifyMaxAge`. No record, no check; `force`, a revert and a finish skip it.
    public func checkLastLiveVerify(source: ConnectionSettings, target: ConnectionSettings, now: Date = Date()) throws {
        guard !force, direction == .forward || direction == .reversible else { return }
        let record = liveVerifyRecord(source: source, target: target)
        if let last = try record.load(), let refusal = last.cutoverRefusal(now: now, maxAge: verifyMaxAge) {
            throw CutoverRefusal(reason: refusal, record: record.path)
        }
    }

    /// The job this run performs: a revert drains the reverse stream; a way back is set up in either direction.
    public func resolvedJob(
        source: ConnectionSettings, target: ConnectionSettings, environment: [String: String]
    ) throws -> CutoverJob {
        var job = job
        switch direction {
        case .forward, .finish:
            return job
        case .reversible:
            let (host, port) = try Self.address(target, host: reverseHost, port: reversePort, option: "reverse-host")
            job.wayBack = WayBack(
                connectionName: WayBack.reverseConnectionName, host: host, port: port, user: replicationUser,
                password: try password(environment))
        case .revert:
            let (host, port) = try Self.address(
                source, host: replicationHost, port: replicationPort, option: "replication-host")
            job.wayBack = WayBack(
                connectionName: job.connectionName, host: host, port: port, user: replicationUser,
                password: try password(environment))
            job.connectionName = WayBack.reverseConnectionName
        }
        return job
    }

    func password(_ environment: [String: String]) throws -> String {
        try ReplicationPassword.resolve(
            file: replicationPasswordFile, fallbackFile: Self.defaultPasswordFile, create: false,
            environment: environment
        ).password
    }

    /// A server's address as the other server reaches it: the one given, else its own TCP address.
    static func address(
        _ settings: ConnectionSettings, host: String?, port: Int?, option: String
    ) throws -> (String, Int) {
        if let host { return (host, port ?? 3306) }
        guard case .tcp(let given, let givenPort) = settings.transport else {
            throw WayBackError.socketOnly(server: settings.endpointDescription, option: option)
        }
        return (given, port ?? givenPort)
    }

    /// Runs it. `source` and `target` are the migration's (a revert swaps their roles itself); the lock, when the
    /// job holds one, is taken on a second connection to the side that gives up the writes.
    public func run(
        source: MariaDBConnection, target: MariaDBConnection, sourceSettings: ConnectionSettings,
        targetSettings: ConnectionSettings, environment: [String: String],
        events: @Sendable (CutoverJob.Event) -> Void = { _ in }
    ) async throws -> Outcome {
        if direction == .finish {
            let dropped = try await WayBack.finish(old: source)
            return .finished(connection: dropped, server: source.endpoint)
        }
        try checkLastLiveVerify(source: sourceSettings, target: targetSettings)
        let job = try resolvedJob(source: sourceSettings, target: targetSettings, environment: environment)
        if direction == .revert { try await WayBack.requireReverse(on: source) }
        let reverting = direction == .revert
        let (losing, taking) = reverting ? (target, source) : (source, target)
        let losingSettings = reverting ? targetSettings : sourceSettings
        let nodes = try await galeraNodes.connect(pointed: losing, settings: losingSettings)
        let lockConnection = job.lock ? try await MariaDBConnection.connect(losingSettings) : nil
        return .switched(
            try await job.run(
                source: losing, target: taking, lockConnection: lockConnection, sourceNodes: nodes, events: events))
    }
}

/// A switch forward the last live verify of these servers speaks against.
public struct CutoverRefusal: Error, LocalizedError, Equatable, Sendable {
    public var reason: String
    public var record: String

    public var errorDescription: String? {
        "\(reason) (\(record)); nothing was changed; --force switches over anyway"
    }
}
