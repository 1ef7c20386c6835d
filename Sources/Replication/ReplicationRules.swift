import Foundation
import Preflight

/// What `replicate` reads of the source before it changes anything.
public struct ReplicationSourceFacts: Codable, Sendable, Equatable {
    public var logBin: Bool
    public var binlogFormat: String
    public var serverID: Int
    public var gtidBinlogPos: GTIDPosition
    /// `SHOW BINARY LOGS`, oldest first.
    public var binlogFiles: [String]
    /// The `Gtid_list` event at the start of the oldest binlog: every GTID before it is purged.
    public var oldestBinlogGTIDs: GTIDPosition?
    /// `binlog_expire_logs_seconds` (0: binlogs are kept until purged by hand).
    public var binlogExpireSeconds: Double

    public init(
        logBin: Bool = true, binlogFormat: String = "ROW", serverID: Int = 1, gtidBinlogPos: GTIDPosition = .init(),
        binlogFiles: [String] = [], oldestBinlogGTIDs: GTIDPosition? = nil, binlogExpireSeconds: Double = 0
    ) {
        self.logBin = logBin
        self.binlogFormat = binlogFormat
        self.serverID = serverID
        self.gtidBinlogPos = gtidBinlogPos
        self.binlogFiles = binlogFiles
        self.oldestBinlogGTIDs = oldestBinlogGTIDs
        self.binlogExpireSeconds = binlogExpireSeconds
    }
}

/// What `replicate` reads of the target.
public struct ReplicationTargetFacts: Codable, Sendable, Equatable {
    public var serverID: Int
    public var gtidStrictMode: Bool
    public var galera: Bool
    public var gtidSlavePos: GTIDPosition
    /// Replication connections already configured (`SHOW ALL SLAVES STATUS`), by name, with whether
    /// they run.
    public var connections: [String: Bool]

    public init(
        serverID: Int = 2, gtidStrictMode: Bool = false, galera: Bool = false, gtidSlavePos: GTIDPosition = .init(),
        connections: [String: Bool] = [:]
    ) {
        self.serverID = serverID
        self.gtidStrictMode = gtidStrictMode
        self.galera = galera
        self.gtidSlavePos = gtidSlavePos
        self.connections = connections
    }
}

/// Where replication starts: the backup's snapshot, as its manifest recorded it.
public struct StartPosition: Codable, Sendable, Equatable {
    public var gtid: GTIDPosition
    /// The binlog file of the snapshot, when known (a manifest has it; `--gtid` alone does not).
    public var binlogFile: String?
    /// Where the position comes from, for messages: `backup.2026-…sql.gz` or `--gtid`.
    public var origin: String

    public init(gtid: GTIDPosition, binlogFile: String? = nil, origin: String) {
        self.gtid = gtid
        self.binlogFile = binlogFile
        self.origin = origin
    }
}

/// The checks before replication starts: each a finding with the fix. Pure.
public enum ReplicationRules {
    public static func check(
        source: ReplicationSourceFacts, target: ReplicationTargetFacts, start: StartPosition, connectionName: String
    ) -> [Finding] {
        var findings: [Finding] = []
        if !source.logBin {
            findings.append(
                Finding(
                    .blocker, "binlog-off", "the source does not write binary logs: there is nothing to replicate",
                    fix: "start the source with log_bin=mysql-bin, binlog_format=ROW and a unique server_id, then "
                        + "take a new backup"))
        } else if source.binlogFormat.uppercased() == "STATEMENT" {
            findings.append(
                Finding(
                    .blocker, "binlog-format",
                    "the source's binlog_format is STATEMENT: non-deterministic statements would replicate "
                        + "differently", objects: ["binlog_format=\(source.binlogFormat)"],
                    fix: "SET GLOBAL binlog_format=ROW on the source (and binlog_format=ROW in its configuration)"))
        }
        if source.serverID == 0 {
            findings.append(
                Finding(
                    .blocker, "server-id", "the source's server_id is 0: a server with id 0 refuses replicas",
                    fix: "SET GLOBAL server_id=1 on the source (and server_id=1 in its configuration)"))
        }
        if source.serverID == target.serverID {
            let free = max(source.serverID, target.serverID) + 1
            findings.append(
                Finding(
                    .blocker, "server-id",
                    "the source and the target both have server_id \(source.serverID): the target would skip "
                        + "every event as its own",
                    objects: ["server_id=\(source.serverID)"],
                    fix: "replicate --target-server-id \(free) (SET GLOBAL server_id=\(free) on the target), and "
                        + "server_id=\(free) in its configuration (spec.myCnf of an operator's MariaDB)"))
        }
        findings += positionFindings(source: source, start: start)
        if source.binlogExpireSeconds > 0 && source.binlogExpireSeconds < 7 * 86_400 {
            let hours = Int(source.binlogExpireSeconds / 3600)
            findings.append(
                Finding(
                    .warning, "binlog-retention",
                    "the source purges binary logs after \(hours) hours: a replica that falls further behind "
                        + "must start again from a new backup",
                    objects: ["binlog_expire_logs_seconds=\(Int(source.binlogExpireSeconds))"],
                    fix: "SET GLOBAL binlog_expire_logs_seconds=604800 (or expire_logs_days=7) on the source "
                        + "until the cutover is done"))
        }
        if !target.gtidStrictMode {
            findings.append(
                Finding(
                    .note, "gtid-strict-mode",
                    "gtid_strict_mode is off on the target: a transaction written there by mistake would go "
                        + "unnoticed", objects: ["gtid_strict_mode=OFF"],
                    fix: "SET GLOBAL gtid_strict_mode=1 on the target (and in its configuration)"))
        }
        let others = target.connections.filter { $0.key != connectionName && $0.value }.map(\.key)
        if !others.isEmpty {
            findings.append(
                Finding(
                    .warning, "other-replication",
                    "the target already replicates from elsewhere: its position is set while they are stopped "
                        + "for a moment", objects: others.map { $0.isEmpty ? "(default connection)" : $0 },
                    fix: "nothing, if that is intended"))
        }
        if target.galera {
            findings.append(
                Finding(
                    .note, "galera-target",
                    "the target is a Galera node: it applies the source's events and Galera copies them to the "
                        + "other nodes", fix: "point the cutover at this same node"))
        }
        return findings
    }

    /// The start position must be on the source's binlogs, and not ahead of them.
    static func positionFindings(source: ReplicationSourceFacts, start: StartPosition) -> [Finding] {
        guard !start.gtid.isEmpty else {
            return [
                Finding(
                    .blocker, "no-position",
                    "\(start.origin) records no GTID position: replication cannot know where to start",
                    fix: "take the backup again with the source's binlog on (backup records the position by "
                        + "default), or pass --gtid")
            ]
        }
        guard source.logBin else { return [] }
        let purgedFix =
            "take a new backup and replicate from it; keep binlogs until the cutover (binlog_expire_logs_seconds "
            + "or expire_logs_days on the source)"
        if let file = start.binlogFile, !source.binlogFiles.isEmpty, !source.binlogFiles.contains(file),
            let oldest = source.binlogFiles.first, file < oldest
        {
            return [
                Finding(
                    .blocker, "binlog-purged",
                    "the source's binary logs no longer reach back to \(start.origin) (\(file) is purged; the "
                        + "oldest is \(oldest))", objects: [file], fix: purgedFix)
            ]
        }
        if let oldest = source.oldestBinlogGTIDs {
            let lost = start.gtid.gtids.filter { gtid in
                (oldest.sequence(inDomain: gtid.domain) ?? 0) > gtid.sequence
            }
            if !lost.isEmpty {
                return [
                    Finding(
                        .blocker, "binlog-purged",
                        "the source's binary logs no longer reach back to \(start.origin) (position \(start.gtid); "
                            + "the oldest binlog starts after \(oldest))",
                        objects: lost.map(\.description), fix: purgedFix)
                ]
            }
        }
        let ahead = start.gtid.gtids.filter { gtid in
            (source.gtidBinlogPos.sequence(inDomain: gtid.domain) ?? 0) < gtid.sequence
        }
        if !ahead.isEmpty {
            return [
                Finding(
                    .blocker, "position-ahead",
                    "\(start.origin) is at \(start.gtid), ahead of the source's binlog (\(source.gtidBinlogPos)): "
                        + "it is not a backup of this source", objects: ahead.map(\.description),
                    fix: "replicate from the server the backup was taken of, or take a new backup of this one")
            ]
        }
        return []
    }
}
