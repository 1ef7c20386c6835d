import Compression
import Foundation
import UTCTime

/// A backup file name the operator reads: `backup.<RFC 3339 time>.sql[.gz|.bz2]`, or the legacy
/// `backup.<time>.<gzip|bzip2>.sql`. The operator splits on dots and wants exactly 3 or 4 parts,
/// so the time has whole seconds. Pure.
public struct BackupName: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var time: UTCDateTime
    public var compression: CompressionAlgorithm
    /// The name as stored (a parsed legacy name keeps its legacy spelling).
    public var fileName: String

    /// The name this tool writes: UTC, whole seconds, `Z`.
    public init(time: UTCDateTime, compression: CompressionAlgorithm) {
        self.time = time
        self.compression = compression
        fileName = "backup.\(time.rfc3339).sql" + (compression.fileExtension.map { ".\($0)" } ?? "")
    }

    /// Parses a name the operator would take for a logical backup; nil for anything else
    /// (including our manifests and temp files, which have more dot parts).
    public init?(parsing name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 || parts.count == 4, parts[0] == "backup",
            let time = UTCDateTime.parseRFC3339(parts[1], wholeSecondsOnly: true)
        else { return nil }
        let compression: CompressionAlgorithm
        if parts.count == 3 {
            guard parts[2] == "sql" else { return nil }
            compression = .none
        } else if parts[2] == "sql" {
            switch parts[3] {
            case "gz": compression = .gzip
            case "bz2": compression = .bzip2
            default: return nil
            }
        } else {
            guard parts[3] == "sql", let legacy = CompressionAlgorithm(rawValue: parts[2]), legacy != .none else {
                return nil
            }
            compression = legacy
        }
        self.time = time
        self.compression = compression
        fileName = name
    }

    /// Beside each backup: five dot parts, which the operator ignores.
    public var manifestName: String { fileName + ".manifest.json" }

    public var description: String { fileName }

    public static func < (a: BackupName, b: BackupName) -> Bool {
        a.time == b.time ? a.fileName < b.fileName : a.time < b.time
    }
}

public enum BackupSelectionError: Error, Equatable, Sendable {
    case noBackups(location: String)
    case noneAtOrBefore(target: UTCDateTime, earliest: BackupName, location: String)
}

/// Which backups to restore and which to delete, with the operator's semantics. Pure.
public enum BackupSelection {
    /// The valid backup names among `names`, oldest first.
    public static func backups(in names: [String]) -> [BackupName] {
        names.compactMap(BackupName.init(parsing:)).sorted()
    }

    /// Names that look like backups but that the operator would not read (so neither does this
    /// tool), each with the reason: fractional seconds, another extension, another spelling.
    /// Manifests and unfinished writes of this tool are not among them.
    public static func lookAlikes(in names: [String]) -> [(name: String, reason: String)] {
        names.sorted().compactMap { name in
            let base = (name as NSString).lastPathComponent
            guard base.lowercased().hasPrefix("backup"), BackupName(parsing: name) == nil,
                !base.hasSuffix(".manifest.json"), !base.hasSuffix(".partial.tmp")
            else { return nil }
            if base.range(of: #"T\d\d:\d\d:\d\d\.\d+"#, options: .regularExpression) != nil {
                return (name, "fractional seconds")
            }
            return (name, "not backup.<RFC 3339 time>.sql[.gz|.bz2]")
        }
    }

    /// The newest backup at or before `target` (an exact match wins), as the operator's
    /// `targetRecoveryTime` does.
    public static func target(
        _ target: UTCDateTime, among names: [String], location: String
    ) throws(BackupSelectionError) -> BackupName {
        let all = backups(in: names)
        guard let earliest = all.first else { throw .noBackups(location: location) }
        guard let chosen = all.last(where: { $0.time <= target }) else {
            throw .noneAtOrBefore(target: target, earliest: earliest, location: location)
        }
        return chosen
    }

    /// Backups to delete: older than `maxRetentionSeconds` (the operator's `maxRetention`) and/or
    /// beyond the newest `keepLast`. Only valid backup names are ever returned, and never the
    /// newest backup.
    public static func expired(
        among names: [String], now: UTCDateTime, maxRetentionSeconds: Int64?, keepLast: Int?
    ) -> [BackupName] {
        let all = backups(in: names)
        guard let newest = all.last else { return [] }
        var doomed: Set<BackupName> = []
        if let maxRetentionSeconds {
            for backup in all where now.epochSeconds - backup.time.epochSeconds > maxRetentionSeconds {
                doomed.insert(backup)
            }
        }
        if let keepLast, keepLast >= 0 {
            for backup in all.dropLast(max(keepLast, 1)) { doomed.insert(backup) }
        }
        doomed.remove(newest)
        return doomed.sorted()
    }
}

/// Go's `time.ParseDuration` for the operator's `maxRetention` (`720h`, `1h30m`, `90s`). Pure.
public enum GoDuration {
    public static func seconds(_ text: String) -> Int64? {
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        // Go counts nanoseconds in an Int64 and refuses more (about 292 years); so do we, rather than trap.
        guard total.isFinite, total <= Double(Int64.max) / 1e9 else { return nil }
        return Int64(total.rounded(.down))
    }
}
