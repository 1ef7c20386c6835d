/// Reads the output of a `--no-data` mariadb-dump and marks where each table's rows belong: right
/// after the line that closes its CREATE TABLE, where mariadb-dump itself writes them. Optionally
/// puts another binlog position in the commented CHANGE MASTER and gtid_slave_pos lines (the
/// position of the snapshot the rows come from). Pure; fed chunk by chunk.
public struct DumpSplicer {
    public enum Segment: Equatable {
        case bytes([UInt8])
        /// The rows of `table` in `database` go here (names as UTF-8 bytes, unquoted).
        case tableData(database: [UInt8], table: [UInt8])
    }

    /// The values for the position comments; nil leaves them as mariadb-dump wrote them.
    public var position: DumpPosition?

    private var partialLine: [UInt8] = []
    private var database: [UInt8] = []
    private var pendingTable: [UInt8]?
    /// Inside `DELIMITER ;;` … `DELIMITER ;` (a routine, trigger or event body): nothing there is
    /// a table definition, whatever its lines look like.
    private var inDelimitedBody = false

    public init(position: DumpPosition? = nil) { self.position = position }

    private static let createTable = Array("CREATE TABLE ".utf8)
    private static let ifNotExists = Array("IF NOT EXISTS ".utf8)
    private static let use = Array("USE ".utf8)
    private static let closesDefinition = Array("/*!40101 SET character_set_client = @saved_cs_client */;\n".utf8)
    private static let delimiterOpen = Array("DELIMITER ;;\n".utf8)
    private static let delimiterClose = Array("DELIMITER ;\n".utf8)
    private static let changeMaster = Array((DumpPosition.fileLinePrefix + "'").utf8)
    private static let gtidSlavePos = Array((DumpPosition.gtidLinePrefix + "'").utf8)

    /// The chunk cut into segments; a line that does not end in this chunk waits for the next.
    public mutating func consume(_ chunk: [UInt8]) -> [Segment] {
        var segments: [Segment] = []
        var pending: [UInt8] = []
        var lineStart = 0
        var line = partialLine
        for index in chunk.indices where chunk[index] == UInt8(ascii: "\n") {
            line += chunk[lineStart...index]
            lineStart = index + 1
            let (text, splice) = handle(line)
            pending += text
            if let splice {
                segments.append(.bytes(pending))
                pending = []
                segments.append(splice)
            }
            line = []
        }
        partialLine = line + chunk[lineStart...]
        if !pending.isEmpty { segments.append(.bytes(pending)) }
        return segments
    }

    /// What is left at the end of the stream (a last line without a newline).
    public mutating func finish() -> [Segment] {
        defer { partialLine = [] }
        return partialLine.isEmpty ? [] : [.bytes(partialLine)]
    }

    /// One complete line: the bytes to pass on, and a splice after them if this line closes a
    /// table definition.
    private mutating func handle(_ line: [UInt8]) -> ([UInt8], Segment?) {
        if inDelimitedBody {
            if line == Self.delimiterClose { inDelimitedBody = false }
            return (line, nil)
        }
        if line == Self.delimiterOpen {
            inDelimitedBody = true
            pendingTable = nil
        } else if line.starts(with: Self.createTable) {
            let rest = line.dropFirst(Self.createTable.count)
            // mariadb-dump writes the log tables (general_log, …) as CREATE TABLE IF NOT EXISTS,
            // and never their rows.
            pendingTable = rest.starts(with: Self.ifNotExists) ? nil : Self.identifier(rest)
        } else if line.starts(with: Self.use), let name = Self.identifier(line.dropFirst(Self.use.count)) {
            database = name
        } else if line == Self.closesDefinition, let table = pendingTable {
            pendingTable = nil
            return (line, .tableData(database: database, table: table))
        } else if let file = position?.file, let offset = position?.offset, line.starts(with: Self.changeMaster) {
            return (Array("\(DumpPosition.fileLinePrefix)'\(file)', MASTER_LOG_POS=\(offset);\n".utf8), nil)
        } else if let gtid = position?.gtid, line.starts(with: Self.gtidSlavePos) {
            return (Array("\(DumpPosition.gtidLinePrefix)'\(gtid)';\n".utf8), nil)
        }
        return (line, nil)
    }

    /// A backtick-quoted name at the start of `text`, a doubled backtick read as one; nil if
    /// `text` does not start with one.
    static func identifier(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let tick = UInt8(ascii: "`")
        guard text.first == tick else { return nil }
        var name: [UInt8] = []
        var index = text.startIndex + 1
        while index < text.endIndex {
            if text[index] == tick {
                guard index + 1 < text.endIndex, text[index + 1] == tick else { return name }
                index += 1
            }
            name.append(text[index])
            index += 1
        }
        return nil
    }
}
