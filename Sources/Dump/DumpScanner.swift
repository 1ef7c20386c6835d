/// Watches a dump stream go by without holding it: whether it ended with mariadb-dump's
/// completion trailer (`-- Dump completed`), which a killed or failed dump never writes, and the
/// binlog/GTID position `--master-data=2 --gtid` wrote as comments (the file and offset near the
/// top, the GTID just before the trailer). Keeps the first 64 KiB and the last 4 KiB. Pure.
public struct DumpScanner: Sendable {
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    public private(set) var bytes: UInt64 = 0
    static let trailer = Array("-- Dump completed".utf8)
    static let headLimit = 64 * 1024, tailLimit = 4 * 1024

    public init() {}

    public mutating func consume(_ chunk: [UInt8]) {
        bytes += UInt64(chunk.count)
        if head.count < Self.headLimit { head += chunk[..<min(chunk.count, Self.headLimit - head.count)] }
        // A slice, not `suffix`: with `+=` the compiler took Sequence.suffix, which walks the whole
        // chunk (5.7% of a backup's CPU samples in perf).
        tail += chunk[max(0, chunk.count - Self.tailLimit)...]
        if tail.count > Self.tailLimit { tail.removeFirst(tail.count - Self.tailLimit) }
    }

    /// The last line starts with the trailer.
    public var sawTrailer: Bool {
        var end = tail.count
        while end > 0, tail[end - 1] == UInt8(ascii: "\n") || tail[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end > 0 else { return false }
        let start = (tail[..<end].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        return tail[start..<end].starts(with: Self.trailer)
    }

    /// The position the dump's snapshot corresponds to, nil when the dump carries none.
    public var position: DumpPosition? {
        var position = DumpPosition()
        for line in String(decoding: head, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix(DumpPosition.fileLinePrefix) {
            position.file = Self.quoted(after: "MASTER_LOG_FILE=", in: line)
            position.offset = line.range(of: "MASTER_LOG_POS=").flatMap {
                UInt64(line[$0.upperBound...].prefix { $0.isNumber })
            }
        }
        for line in String(decoding: tail, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix(DumpPosition.gtidLinePrefix) {
            position.gtid = Self.quoted(after: "gtid_slave_pos=", in: line)
        }
        return position == DumpPosition() ? nil : position
    }

    static func quoted(after key: String, in line: Substring) -> String? {
        guard let range = line.range(of: key + "'") else { return nil }
        let rest = line[range.upperBound...]
        return rest.firstIndex(of: "'").map { String(rest[..<$0]) }
    }
}

/// A binlog file and offset and the GTID position, as the dump recorded them for its snapshot.
public struct DumpPosition: Sendable, Equatable, Codable {
    public var file: String?
    public var offset: UInt64?
    public var gtid: String?

    public init(file: String? = nil, offset: UInt64? = nil, gtid: String? = nil) {
        self.file = file
        self.offset = offset
        self.gtid = gtid
    }

    /// How the commented lines of `--master-data=2 --gtid` start: the file and offset, the GTID.
    static let fileLinePrefix = "-- CHANGE MASTER TO MASTER_LOG_FILE="
    static let gtidLinePrefix = "-- SET GLOBAL gtid_slave_pos="
}
