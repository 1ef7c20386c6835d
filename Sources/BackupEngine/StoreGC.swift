import ObjectStore
import UTCTime

/// Cleans up what killed backups leave behind: unfinished multipart uploads (or a directory's temp
/// files) of backup names and their manifests, once older than a safe age, so a run still in
/// progress elsewhere is never touched. `storage gc` and every backup run it.
public enum StoreGC {
    /// One hour: no backup upload of this tool stays without a part for that long.
    public static let defaultAge = "1h"

    /// The writes to discard: those of backup names (and manifests) that started at least
    /// `minimumAgeSeconds` before `now`. A write whose start is unknown is kept. Pure.
    public static func candidates(
        _ writes: [UnfinishedWrite], now: UTCDateTime, minimumAgeSeconds: Int64
    )
        -> [UnfinishedWrite]
    {
        writes.filter { write in
            guard let started = write.started, now.epochSeconds - started.epochSeconds >= minimumAgeSeconds else {
                return false
            }
            let name = write.name.hasSuffix(".manifest.json") ? String(write.name.dropLast(14)) : write.name
            return BackupName(parsing: name) != nil
        }
    }

    /// Discards the candidates and returns them.
    public static func run(
        _ store: any ObjectStore, now: UTCDateTime = .now(), minimumAgeSeconds: Int64
    )
        async throws -> [UnfinishedWrite]
    {
        let discard = candidates(try await store.unfinishedWrites(), now: now, minimumAgeSeconds: minimumAgeSeconds)
        for write in discard { try await store.discard(write) }
        return discard
    }
}
