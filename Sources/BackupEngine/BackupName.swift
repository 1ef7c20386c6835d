import Compression
import Foundation
import UTCTime

/// What a backup holds, in the operator's words (`backupContentType`): SQL from mariadb-dump, or
/// a mariadb-backup stream of the data files.
public enum BackupKind: String, Codable, Sendable, CaseIterable {
    case logical, physical

    /// The operator's `backupContentType`.
    public var contentType: String { self == .logical ? "Logical" : "Physical" }
}

/// A backup file name the operator reads. Logical: `backup.<RFC 3339 time>.sql[.gz|.bz2]`, or the
/// legacy `backup.<time>.<gzip|bzip2>.sql`; the operator splits on dots and wants exactly 3 or 4
/// parts, so the time has whole seconds. Physical: `physicalbackup-<UTC YYYYMMDDHHMMSS>.xb[.gz|.bz2]`.
/// Pure.
public struct BackupName: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var time: UTCDateTime
    public var compression: CompressionAlgorithm
    public var kind: BackupKind
    /// The name as stored (a parsed legacy name keeps its legacy spelling).
    public var fileName: String

    /// The name this tool writes: UTC, whole seconds (`Z` for a logical backup).
    public init(time: UTCDateTime, compression: CompressionAlgorithm, kind: BackupKind = .logical) {
        self.time = time
        self.compression = compression
        self.kind = kind
        let suffix = compression.fileExtension.map { ".\($0)" } ?? ""
        switch kind {
        case .logical: fileName = "backup.\(time.rfc3339).sql" + suffix
        case .physical: fileName = "physicalbackup-\(time.compact).xb" + suffix
        }
    }

    /// Parses a name the operator would take for a backup of `kind`; nil for anything else.
    public init?(parsing name: String, kind: BackupKind) {
        switch kind {
        case .logical: self.init(parsing: name)
        case .physical: self.init(parsingPhysical: name)
        }
    }

    /// Parses a name as the operator's `PhysicalBackupProcessor` does: `physicalbackup-<14 digits>`,
    /// then one more dot part (any: no compression) or two (the second `gz`, `bz2` or empty). So a
    /// `….xb.gz.manifest.json` sidecar and a `….xb.gz.<run>.partial` upload are not backups.
    public init?(parsingPhysical name: String) {
        let prefix = "physicalbackup-"
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, parts[0].hasPrefix(prefix),
            let time = UTCDateTime.parseCompact(String(parts[0].dropFirst(prefix.count)))
        else { return nil }
        var compression = CompressionAlgorithm.none
        if parts.count == 3 {
            switch parts[2] {
            case "": compression = .none
            case "gz": compression = .gzip
            case "bz2": compression = .bzip2
            default: return nil
            }
        }
        self.time = time
        self.compression = compression
        self.kind = .physical
        fileName = name
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
        self.kind = .logical
        fileName = name
    }

    /// Either kind; nil when the operator would read it as neither.
    public static func parseAnyKind(_ name: String) -> BackupName? {
        BackupName(parsing: name) ?? BackupName(parsingPhysical: name)
    }

    /// Where a physical backup waits, complete, for its name (the consistent point is known only
    /// at its end): `<name>.<run>.partial`, `run` a token of its own so two backups started in one
    /// second do not share an upload. Too many dot parts for the operator, which skips it.
    public func pendingName(run: String) -> String { fileName + ".\(run).partial" }

    /// A fresh run token: 8 hex digits.
    public static func newRun() -> String {
        let digits = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The backup a pending name (`pendingName(run:)`, or `<name>.partial` as earlier versions
    /// wrote it) waits to become; nil for any other name.
    public static func waiting(in pendingName: String) -> BackupName? {
        guard pendingName.hasSuffix(".partial") else { return nil }
        let base = String(pendingName.dropLast(".partial".count))
        if let name = parseAnyKind(base) { return name }
        guard let dot = base.lastIndex(of: "."), base[base.index(after: dot)...].allSatisfy(\.isHexDigit) else {
            return nil
        }
        return parseAnyKind(String(base[..<dot]))
    }

    /// Beside each backup: five dot parts, which the operator ignores.
    public var manifestName: String { fileName + ".manifest.json" }

    public var description: String { fileName }

    public static func < (a: BackupName, b: BackupName) -> Bool {
        a.time == b.time ? a.fileName < b.fileName : a.time < b.time
    }
}

public enum BackupSelectionError: Error, Equatable, Sendable {
    case noBackups(location: String, kind: BackupKind = .logical)
    case noneAtOrBefore(target: UTCDateTime, earliest: BackupName, location: String)
}

/// Which backups to restore and which to delete, with the operator's semantics. Pure.
public enum BackupSelection {
    /// The valid backup names of `kind` among `names`, oldest first.
    public static func backups(in names: [String], kind: BackupKind = .logical) -> [BackupName] {
        names.compactMap { BackupName(parsing: $0, kind: kind) }.sorted()
    }

    /// Names that look like backups but that the operator would not read (so neither does this
    /// tool), each with the reason: fractional seconds, another extension, another spelling.
    /// Manifests and unfinished writes of this tool are not among them.
    public static func lookAlikes(in names: [String]) -> [(name: String, reason: String)] {
        names.sorted().compactMap { name in
            let base = (name as NSString).lastPathComponent
            guard !base.hasSuffix(".manifest.json"), !base.hasSuffix(".partial.tmp"), !base.hasSuffix(".partial")
            else { return nil }
            if base.lowercased().hasPrefix("physicalbackup") {
                guard BackupName(parsingPhysical: name) == nil else { return nil }
                return (name, "not physicalbackup-<YYYYMMDDHHMMSS>.xb[.gz|.bz2]")
            }
            guard base.lowercased().hasPrefix("backup"), BackupName(parsing: name) == nil else { return nil }
            if base.range(of: #"T\d\d:\d\d:\d\d\.\d+"#, options: .regularExpression) != nil {
                return (name, "fractional seconds")
            }
            return (name, "not backup.<RFC 3339 time>.sql[.gz|.bz2]")
        }
    }

    /// The newest backup at or before `target` (an exact match wins), as the operator's
    /// `targetRecoveryTime` does.
    public static func target(
        _ target: UTCDateTime, among names: [String], location: String, kind: BackupKind = .logical
    ) throws(BackupSelectionError) -> BackupName {
        let all = backups(in: names, kind: kind)
        guard let earliest = all.first else { throw .noBackups(location: location, kind: kind) }
        guard let chosen = all.last(where: { $0.time <= target }) else {
            throw .noneAtOrBefore(target: target, earliest: earliest, location: location)
        }
        return chosen
    }

    /// Backups to delete: older than `maxRetentionSeconds` (the operator's `maxRetention`) and/or
    /// beyond the newest `keepLast`. Only valid backup names are ever returned, and never the
    /// newest backup.
    public static func expired(
        among names: [String], now: UTCDateTime, maxRetentionSeconds: Int64?, keepLast: Int?,
        kind: BackupKind = .logical
    ) -> [BackupName] {
        let all = backups(in: names, kind: kind)
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
