import Compression
import Foundation
import ObjectStore
import UTCTime

/// The backups in a store as the operator reads them, logical and physical, each with its manifest checked
/// against the object's size; and the objects named like a backup that the operator skips. `list`.
public struct BackupListing: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var kind: BackupKind
        public var time: UTCDateTime
        public var bytes: UInt64
        public var compression: CompressionAlgorithm
        /// "ok", "missing" or "size differs".
        public var manifest: String
    }

    public var entries: [Entry]
    /// Objects named like a backup that the operator would not read either, with why.
    public var lookAlikes: [(name: String, reason: String)]

    public static func read(_ store: any ObjectStore) async throws -> BackupListing {
        let objects = try await store.list()
        let byName = Dictionary(objects.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var entries: [Entry] = []
        let backups = BackupKind.allCases.flatMap { BackupSelection.backups(in: objects.map(\.name), kind: $0) }
        for backup in backups.sorted() {
            let size = byName[backup.fileName]?.size ?? 0
            var check = "missing"
            if byName[backup.manifestName] != nil {
                let manifest = try? JSONDecoder().decode(
                    BackupManifest.self, from: Data(try await store.getAll(name: backup.manifestName)))
                check = manifest?.object.bytes == size ? "ok" : "size differs"
            }
            entries.append(
                Entry(
                    name: backup.fileName, kind: backup.kind, time: backup.time, bytes: size,
                    compression: backup.compression, manifest: check))
        }
        return BackupListing(entries: entries, lookAlikes: BackupSelection.lookAlikes(in: objects.map(\.name)))
    }
}
