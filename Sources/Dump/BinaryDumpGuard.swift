import MariaDBClient

#if canImport(Glibc)
    import Glibc
#endif

/// Watches a dump made with `--default-character-set=binary` for the one thing such a dump cannot
/// carry: a non-ASCII byte outside the identifiers of a `CREATE TABLE`. mariadb-dump sets only
/// `character_set_client` (utf8mb4) around each CREATE TABLE, so under `SET NAMES binary` the
/// statement's literals (defaults, ENUM and SET values, comments, CHECKs) become binary strings, and
/// `DEFAULT 'é'` comes back as two characters in a latin1 column. Rows are safe (bytes as stored,
/// restored as bytes), and so are views, triggers, routines and events, which the dump wraps in their
/// own character sets. Skips every other line with `memchr`. Pure.
public struct BinaryDumpGuard: Sendable {
    /// The table whose definition holds non-ASCII text: the dump must be taken again in utf8mb4.
    public private(set) var offendingTable: String?
    private var insideCreateTable = false
    /// The start of a line outside a CREATE TABLE, until it is long enough to tell.
    private var linePrefix: [UInt8] = []
    private var skippingLine = false
    private var createLine: [UInt8] = []
    private var quote: UInt8?
    private var escaped = false
    private var lastByte: UInt8 = 0
    static let createTable = Array("CREATE TABLE ".utf8)

    public init() {}

    public mutating func consume(_ chunk: [UInt8]) {
        chunk.withUnsafeBufferPointer { consume($0) }
    }

    public mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard offendingTable == nil, let base = bytes.baseAddress else { return }
        var index = 0
        while index < bytes.count, offendingTable == nil {
            if insideCreateTable {
                index = scanDefinition(bytes, from: index)
            } else if skippingLine {
                guard let newline = memchr(base + index, Int32(UInt8(ascii: "\n")), bytes.count - index) else {
                    return
                }
                index = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                skippingLine = false
            } else if linePrefix.isEmpty && bytes[index] != UInt8(ascii: "C") && bytes[index] != UInt8(ascii: "\n") {
                skippingLine = true  // a row, a comment, a SET: most lines end here
            } else {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\n") {
                    linePrefix.removeAll(keepingCapacity: true)
                    continue
                }
                linePrefix.append(byte)
                guard linePrefix.count == Self.createTable.count else { continue }
                if linePrefix == Self.createTable {
                    insideCreateTable = true
                    createLine = linePrefix
                    (quote, escaped, lastByte) = (nil, false, 0)
                } else {
                    skippingLine = true
                }
                linePrefix.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Reads a CREATE TABLE's bytes up to its end (a line ending in `;`) or the chunk's; returns where it stopped.
    private mutating func scanDefinition(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if createLine.last != UInt8(ascii: "\n") && createLine.count < 256 { createLine.append(byte) }
            if byte == UInt8(ascii: "\n") {
                // A literal never spans lines (newlines are escaped), so the statement ends here.
                if quote == nil && lastByte == UInt8(ascii: ";") {
                    insideCreateTable = false
                    return index
                }
                (quote, escaped, lastByte) = (nil, false, byte)
                continue
            }
            lastByte = byte
            if escaped {
                escaped = false
            } else if let open = quote {
                if byte == open {
                    quote = nil
                } else if byte == UInt8(ascii: "\\") && open != UInt8(ascii: "`") {
                    escaped = true
                }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "`") {
                quote = byte
            }
            if byte >= 0x80 && quote != UInt8(ascii: "`") {
                offendingTable = Self.tableName(createLine)
                return index
            }
        }
        return index
    }

    /// The name in `CREATE TABLE `name` (`.
    static func tableName(_ line: [UInt8]) -> String {
        let rest = line.dropFirst(createTable.count)
        if let name = DumpSplicer.identifier(rest) { return String(decoding: name, as: UTF8.self) }
        return String(decoding: rest.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// One row naming a table (`schema.table`) whose definition has non-ASCII text where the guard
    /// looks, or none: checked before a dump to choose the character set. Empty `databases` means
    /// every database but the two virtual ones. (information_schema is utf8mb3: a non-ASCII character
    /// makes LENGTH exceed CHAR_LENGTH.)
    public static func nonASCIIDefinitionQuery(databases: [String]) -> String {
        let scope = schemaScope(databases)
        func nonASCII(_ columns: [String]) -> String {
            columns.map { "LENGTH(\($0)) <> CHAR_LENGTH(\($0))" }.joined(separator: " OR ")
        }
        let sources: [(table: String, schema: String, name: String, columns: [String])] = [
            (
                "COLUMNS", "TABLE_SCHEMA", "TABLE_NAME",
                [
                    "COLUMN_DEFAULT", "COLUMN_TYPE", "GENERATION_EXPRESSION", "COLUMN_COMMENT",
                ]
            ),
            ("TABLES", "TABLE_SCHEMA", "TABLE_NAME", ["TABLE_COMMENT", "CREATE_OPTIONS"]),
            ("CHECK_CONSTRAINTS", "CONSTRAINT_SCHEMA", "TABLE_NAME", ["CHECK_CLAUSE"]),
            ("STATISTICS", "TABLE_SCHEMA", "TABLE_NAME", ["INDEX_COMMENT"]),
            (
                "PARTITIONS", "TABLE_SCHEMA", "TABLE_NAME",
                [
                    "PARTITION_DESCRIPTION", "PARTITION_COMMENT", "PARTITION_EXPRESSION", "SUBPARTITION_EXPRESSION",
                ]
            ),
        ]
        return sources.map { source in
            "(SELECT CONCAT(\(source.schema), '.', \(source.name)) FROM information_schema.\(source.table) "
                + "WHERE \(source.schema) \(scope) AND (\(nonASCII(source.columns))) LIMIT 1)"
        }.joined(separator: " UNION ALL ") + " LIMIT 1"
    }
}

/// The schemas a dump of `databases` covers, as the end of a WHERE condition on a schema column:
/// `IN (…)`, or for every database (empty) all but the two virtual ones. Pure.
public func schemaScope(_ databases: [String]) -> String {
    databases.isEmpty
        ? "NOT IN ('information_schema', 'performance_schema')"
        : "IN (" + databases.map(SQLQuoting.literal).joined(separator: ", ") + ")"
}
