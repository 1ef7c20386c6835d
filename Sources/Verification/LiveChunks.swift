import MariaDBClient

/// The pure core of `verify --live` (issue #30): a table compared in primary-key chunks by a checksum both
/// servers compute (no row crosses the network for an equal chunk), a differing chunk narrowed to its rows, and
/// the chunk size steered towards a target time. SQL is built here as text with literals quoted; running it and
/// holding both servers at one GTID position happen at the edge.
public enum LiveChunks {
    /// A key value as SQL text (already a literal: `12`, `'abc'`, `NULL`), one per key column.
    public typealias Key = [String]

    /// `(a, b) > (x, y)` expanded so that the optimizer ranges over the key's index, as pt-table-checksum does:
    /// `(a > x OR (a = x AND b > y))`. `inclusive` gives `>=`/`<=` on the last column. Pure.
    public static func comparison(_ columns: [String], _ operation: String, _ key: Key, inclusive: Bool) -> String {
        precondition(columns.count == key.count && !columns.isEmpty, "a key value for each key column")
        var terms: [String] = []
        for index in columns.indices {
            var parts = (0..<index).map { "\(SQLQuoting.identifier(columns[$0])) = \(key[$0])" }
            let inclusiveHere = inclusive && index == columns.count - 1
            parts.append(
                "\(SQLQuoting.identifier(columns[index])) \(operation)\(inclusiveHere ? "=" : "") \(key[index])")
            terms.append(parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " AND ") + ")")
        }
        return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " OR ") + ")"
    }

    /// The rows after `lower` (exclusive; nil: from the first) up to `upper` (inclusive; nil: to the last).
    public static func range(_ columns: [String], after lower: Key?, upTo upper: Key?) -> String {
        let parts = [
            lower.map { comparison(columns, ">", $0, inclusive: false) },
            upper.map { comparison(columns, "<", $0, inclusive: true) },
        ].compactMap { $0 }
        return parts.isEmpty ? "1=1" : parts.joined(separator: " AND ")
    }

    /// One row's checksum expression: CRC32 over every column, with a NULL told apart from an empty string
    /// (CONCAT_WS skips NULLs, so which columns were NULL is added), as pt-table-checksum computes it.
    public static func rowChecksum(_ columns: [String]) -> String {
        let quoted = columns.map(SQLQuoting.identifier)
        let nulls = "CONCAT(" + quoted.map { "ISNULL(\($0))" }.joined(separator: ", ") + ")"
        return "CRC32(CONCAT_WS('#', \(quoted.joined(separator: ", ")), \(nulls)))"
    }

    /// `SELECT COUNT(*), BIT_XOR(…)` of a chunk: equal on both servers for equal rows whatever their order.
    public static func chunkChecksumSQL(
        table: String, columns: [String], key: [String], after lower: Key?, upTo upper: Key?
    ) -> String {
        "SELECT COUNT(*), COALESCE(BIT_XOR(\(rowChecksum(columns))), 0) FROM \(table) FORCE INDEX (PRIMARY) "
            + "WHERE \(range(key, after: lower, upTo: upper))"
    }

    /// A table without a primary key, compared whole: rows, and the SUM and BIT_XOR of the row checksums (two
    /// equal rows would cancel out in BIT_XOR alone; the SUM keeps a duplicated row told apart).
    public static func wholeTableChecksumSQL(table: String, columns: [String]) -> String {
        let row = rowChecksum(columns)
        return "SELECT COUNT(*), COALESCE(SUM(\(row)), 0), COALESCE(BIT_XOR(\(row)), 0) FROM \(table)"
    }

    /// The key and the checksum of each row of a chunk, in key order: what narrows a differing chunk.
    public static func rowChecksumsSQL(
        table: String, columns: [String], key: [String], after lower: Key?, upTo upper: Key?
    ) -> String {
        let keyList = key.map { "QUOTE(\(SQLQuoting.identifier($0)))" }.joined(separator: ", ")
        let order = key.map(SQLQuoting.identifier).joined(separator: ", ")
        return "SELECT \(keyList), \(rowChecksum(columns)) FROM \(table) FORCE INDEX (PRIMARY) "
            + "WHERE \(range(key, after: lower, upTo: upper)) ORDER BY \(order)"
    }

    /// The key of the row `rows` rows after `lower`: the end of the next chunk (nil: fewer rows remain).
    public static func chunkEndSQL(table: String, key: [String], after lower: Key?, rows: Int) -> String {
        let keyList = key.map { "QUOTE(\(SQLQuoting.identifier($0)))" }.joined(separator: ", ")
        let order = key.map(SQLQuoting.identifier).joined(separator: ", ")
        return "SELECT \(keyList) FROM \(table) FORCE INDEX (PRIMARY) WHERE \(range(key, after: lower, upTo: nil)) "
            + "ORDER BY \(order) LIMIT 1 OFFSET \(max(0, rows - 1))"
    }

    /// A row found different: on one side only, or on both with other values.
    public enum RowDifference: Equatable, Sendable {
        case onlyOnSource(Key)
        case onlyOnTarget(Key)
        case differs(Key)

        public var key: Key {
            switch self {
            case .onlyOnSource(let key), .onlyOnTarget(let key), .differs(let key): return key
            }
        }
    }

    /// The rows of one chunk that differ, from each side's (key, checksum) in key order. Keys compare as the
    /// servers ordered them: both lists are merged by position of equal keys, not re-sorted here. Pure.
    public static func differences(
        source: [(key: Key, checksum: String)], target: [(key: Key, checksum: String)]
    ) -> [RowDifference] {
        let targetByKey = Dictionary(target.map { ($0.key, $0.checksum) }, uniquingKeysWith: { first, _ in first })
        let sourceKeys = Set(source.map(\.key))
        var found: [RowDifference] = []
        for row in source {
            switch targetByKey[row.key] {
            case nil: found.append(.onlyOnSource(row.key))
            case let checksum? where checksum != row.checksum: found.append(.differs(row.key))
            default: break
            }
        }
        found += target.filter { !sourceKeys.contains($0.key) }.map { .onlyOnTarget($0.key) }
        return found
    }

    /// The next chunk's rows: scaled so a chunk takes about `target` seconds, at most doubling or halving at a
    /// step (one slow chunk, a lock wait, does not swing it), within `bounds`. Pure.
    public static func nextChunkRows(
        current: Int, seconds: Double, target: Double = 0.5, bounds: ClosedRange<Int> = 100...1_000_000
    ) -> Int {
        guard seconds > 0 else { return min(current * 2, bounds.upperBound) }
        let scaled = Double(current) * min(2, max(0.5, target / seconds))
        return min(bounds.upperBound, max(bounds.lowerBound, Int(scaled.rounded())))
    }
}
