import Foundation

/// Reads a `mariadb-backup --stream=xbstream` as it passes, without keeping it: checks that it is
/// a sequence of whole chunks, counts the files, and keeps the small top-level files that say what
/// the backup is (its binlog position, its info). Pure.
///
/// A chunk, as MariaDB's mariadb-backup writes it (`extra/mariabackup/xbstream_write.cc`):
/// `XBSTCK01`, flags (1 byte), type, the path's length (4 bytes, little-endian) and the path; then
/// by type: `P` payload: its length and offset (8 + 8), a CRC-32 (4) and the payload; `E` end of
/// file and `D` remove: nothing more; `R` rename: the new path's length (4) and the new path;
/// `S` seek: an offset (8). (`R` and `D` come from DDL during the backup: seen when another
/// connection created and dropped tables while it ran.)
public struct XBStreamScanner: Sendable {
    /// The files whose content is kept (at most `keptLimit` bytes each).
    public static let keptFiles: Set<String> = [
        "xtrabackup_binlog_info", "mariadb_backup_binlog_info", "xtrabackup_info", "mariadb_backup_info",
        "xtrabackup_checkpoints", "mariadb_backup_checkpoints",
    ]
    public static let keptLimit = 1 << 20
    static let magic = Array("XBSTCK01".utf8)

    public private(set) var bytes: UInt64 = 0
    public private(set) var chunks = 0
    /// Files ended by their `E` chunk.
    public private(set) var files = 0
    public private(set) var kept: [String: [UInt8]] = [:]
    /// The stream has reached what mariadb-backup writes under its BACKUP STAGE BLOCK_COMMIT lock
    /// (the binlog position, then the redo log's tail): the backup's consistent point.
    public private(set) var reachedConsistentPoint = false
    static let consistentPointFiles: Set<String> = [
        "xtrabackup_binlog_info", "mariadb_backup_binlog_info", "ib_logfile0",
    ]
    /// Why the stream is not an xbstream, at the first fault; nothing is read after it.
    public private(set) var fault: String?

    private var header: [UInt8] = []
    private var payloadLeft: UInt64 = 0
    private var keeping: String?

    public init() {}

    /// Whether the stream ended at a chunk boundary, after at least one chunk, without a fault.
    public var complete: Bool { fault == nil && header.isEmpty && payloadLeft == 0 && chunks > 0 }

    /// The binlog file, offset and GTID that mariadb-backup recorded at its consistent point.
    public var binlogPosition: DumpPosition? {
        guard let data = kept["mariadb_backup_binlog_info"] ?? kept["xtrabackup_binlog_info"] else { return nil }
        return Self.parseBinlogInfo(String(decoding: data, as: UTF8.self))
    }

    /// `mysql-bin.000001<TAB>1048<TAB>0-1-4` (the GTID may be missing or list several domains).
    public static func parseBinlogInfo(_ text: String) -> DumpPosition? {
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\t").map(String.init)
        guard let file = fields.first, !file.isEmpty else { return nil }
        let gtid = fields.count > 2 ? fields[2...].joined(separator: ",") : nil
        return DumpPosition(
            file: file, offset: fields.count > 1 ? UInt64(fields[1]) : nil, gtid: gtid?.isEmpty == true ? nil : gtid)
    }

    public mutating func consume(_ chunk: [UInt8]) {
        bytes += UInt64(chunk.count)
        var index = 0
        while index < chunk.count, fault == nil {
            if payloadLeft > 0 {
                let take = Int(min(payloadLeft, UInt64(chunk.count - index)))
                if let path = keeping {
                    let room = Self.keptLimit - (kept[path]?.count ?? 0)
                    if room > 0 { kept[path, default: []] += chunk[index..<index + min(take, room)] }
                }
                payloadLeft -= UInt64(take)
                index += take
                if payloadLeft == 0 { keeping = nil }
                continue
            }
            // Header bytes: take only what the header still needs, so the payload is never copied.
            let needed = headerLength() - header.count
            let take = min(needed, chunk.count - index)
            header += chunk[index..<index + take]
            index += take
            if header.count == 14, let problem = Self.problem(inFixedHeader: header) { return fail(problem) }
            if header.count > 14, header[9] == UInt8(ascii: "R"),
                header.count == 18 + Int(Self.littleEndian(header, at: 10, count: 4)),
                Self.littleEndian(header, at: header.count - 4, count: 4) > 4096
            {
                return fail("an xbstream rename to a path longer than 4096 bytes")
            }
            if header.count == headerLength() { headerComplete() }
        }
    }

    /// The current chunk's header length, as far as the bytes read so far tell.
    private func headerLength() -> Int {
        guard header.count >= 14 else { return 14 }
        let pathLength = Int(Self.littleEndian(header, at: 10, count: 4))
        let base = 14 + pathLength
        switch header[9] {
        case UInt8(ascii: "P"): return base + 20
        case UInt8(ascii: "S"): return base + 8
        case UInt8(ascii: "R"):
            guard header.count >= base + 4 else { return base + 4 }
            return base + 4 + Int(Self.littleEndian(header, at: base, count: 4))
        default: return base
        }
    }

    /// What is wrong with a chunk's first 14 bytes (magic, flags, type, path length), if anything.
    static func problem(inFixedHeader header: [UInt8]) -> String? {
        guard Array(header[0..<8]) == magic else {
            return "no xbstream chunk where one should start: it is not a mariadb-backup --stream=xbstream"
        }
        guard Array("PESRD".utf8).contains(header[9]) else {
            return "unknown xbstream chunk type \(header[9])"
        }
        guard littleEndian(header, at: 10, count: 4) <= 4096 else { return "an xbstream path longer than 4096 bytes" }
        return nil
    }

    private mutating func headerComplete() {
        let pathLength = Int(Self.littleEndian(header, at: 10, count: 4))
        let path = String(decoding: header[14..<14 + pathLength], as: UTF8.self)
        chunks += 1
        if Self.consistentPointFiles.contains(path) { reachedConsistentPoint = true }
        switch header[9] {
        case UInt8(ascii: "E"):
            files += 1
        case UInt8(ascii: "P"):
            payloadLeft = Self.littleEndian(header, at: 14 + pathLength, count: 8)
            keeping = Self.keptFiles.contains(path) && payloadLeft > 0 ? path : nil
        default:
            break
        }
        header = []
    }

    private mutating func fail(_ reason: String) {
        fault = reason
        header = []
        payloadLeft = 0
    }

    static func littleEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
