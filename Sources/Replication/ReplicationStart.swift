import BackupEngine
import Foundation
import ObjectStore
import UTCTime

/// Where replication starts and what it applies, read from a backup's manifest.
public struct BackupStart: Sendable, Equatable {
    public var position: StartPosition
    /// The backup's database selection (empty: all).
    public var databases: [String]

    public init(position: StartPosition, databases: [String]) {
        self.position = position
        self.databases = databases
    }

    /// The named backup's manifest, or the newest backup's in the store.
    public static func read(backup name: String?, store: any ObjectStore) async throws -> BackupStart {
        let chosen: String
        if let name {
            chosen = name
        } else {
            chosen = try BackupSelection.target(
                UTCDateTime.now(), among: try await store.list().map(\.name), location: store.location
            ).fileName
        }
        guard let manifest = try await BackupManifest.load(besides: chosen, from: store) else {
            throw ReplicationStartError.noManifest(location: store.location + chosen)
        }
        let gtid = try GTIDPosition(parsing: manifest.binlog?.gtid ?? "")
        return BackupStart(
            position: StartPosition(gtid: gtid, binlogFile: manifest.binlog?.file, origin: chosen),
            databases: manifest.databases)
    }
}

public enum ReplicationStartError: Error, LocalizedError, Equatable {
    case noManifest(location: String)

    public var errorDescription: String? {
        switch self {
        case .noManifest(let location):
            return "\(location) has no manifest (or it is not readable), so its GTID position is unknown: pass "
                + "--gtid with the position of the dump's `SET GLOBAL gtid_slave_pos` line"
        }
    }
}
