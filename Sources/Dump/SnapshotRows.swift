import Blocking
import MariaDBClient

/// Reads tables' rows over a connection of its own, in one consistent snapshot, formatted as
/// mariadb-dump writes them (`TableDataWriter`). mariadb-dump, run with `--no-data`, still writes
/// every definition; `SplicedDump` puts the rows where they belong. This saves mariadb-dump's
/// row formatting and a pipe copy of every byte: the rows are most of a dump.
public final class SnapshotRows: @unchecked Sendable {
    private let connection: MariaDBConnection
    public let plan: RowDumpPlan
    /// The snapshot's binlog position (nil without binlog or when not asked for).
    public let position: DumpPosition?

    private init(connection: MariaDBConnection, plan: RowDumpPlan, position: DumpPosition?) {
        self.connection = connection
        self.plan = plan
        self.position = position
    }

    /// Opens the snapshot with the session mariadb-dump sets up (no SQL mode, UTC, its character
    /// set: binary or utf8mb4) and lists the tables of `databases` (empty: all). mariadb-dump's
    /// escaping is the same seven bytes in both (its 10.11 client library passes every other byte,
    /// an invalid UTF-8 lead byte included: checked on all 896 pairs of one high byte and a follower).
    public static func open(
        _ settings: ConnectionSettings, databases: [String], binlogPosition: Bool, binaryCharacterSet: Bool
    ) async throws -> SnapshotRows {
        let connection = try await MariaDBConnection.connect(settings)
        try await connection.execute([
            "/*!40100 SET @@SQL_MODE='' */", "/*!40103 SET TIME_ZONE='+00:00' */",
            "/*M!100100 SET @@MAX_STATEMENT_TIME=0.000000 */",
            // The rows wait in the pipeline while a slow store catches up.
            "SET SESSION NET_WRITE_TIMEOUT=3600",
            "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "START TRANSACTION /*!40100 WITH CONSISTENT SNAPSHOT */",
        ])
        var position: DumpPosition?
        if binlogPosition {
            let values = try await connection.keyValues("SHOW STATUS LIKE 'binlog_snapshot_%'")
            if let file = values["binlog_snapshot_file"], !file.isEmpty,
                let offset = values["binlog_snapshot_position"].flatMap(UInt64.init)
            {
                let gtid = try await connection.query(
                    "SELECT BINLOG_GTID_POS(\(SQLQuoting.literal(file)), \(offset))")
                position = DumpPosition(file: file, offset: offset, gtid: gtid.scalar.string)
            }
        }
        let scope = "TABLE_SCHEMA \(schemaScope(databases))"
        let invisible = try await connection.query(
            "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM information_schema.COLUMNS WHERE \(scope) "
                + "AND EXTRA LIKE '%INVISIBLE%'")
        let invisibleTables = Set(
            invisible.rows.map { RowDumpPlan.Table(database: $0[0].string ?? "", name: $0[1].string ?? "") })
        let tables = try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, IFNULL(ENGINE, '') FROM information_schema.TABLES "
                + "WHERE \(scope)")
        let plan = RowDumpPlan(
            tables.rows.map { row in
                let database = row[0].string ?? ""
                let name = row[1].string ?? ""
                return RowDumpPlan.Listing(
                    database: database, name: name, type: row[2].string ?? "", engine: row[3].string ?? "",
                    invisibleColumns: invisibleTables.contains(RowDumpPlan.Table(database: database, name: name)))
            })
        try await connection.query("/*!40101 SET NAMES \(binaryCharacterSet ? "binary" : "utf8mb4") */")
        return SnapshotRows(connection: connection, plan: plan, position: position)
    }

    /// Starts reading `table`'s rows; its data section arrives through the returned bridge, which
    /// ends with the read's error if it failed.
    public func read(_ table: RowDumpPlan.Table, addLocks: Bool) -> StreamBridge {
        let bridge = StreamBridge()
        let writer = RowSectionWriter(table: table, addLocks: addLocks, bridge: bridge)
        let sql = "SELECT /*!40001 SQL_NO_CACHE */ * FROM \(table.sql)"
        Task { [connection] in
            do {
                try await connection.streamRows(sql, into: writer)
                bridge.finish(error: nil)
            } catch {
                bridge.finish(error: error)
            }
        }
        return bridge
    }
}

/// Formats a streamed table into a bridge, about 256 KiB at a time.
final class RowSectionWriter: RowConsumer, @unchecked Sendable {
    // Touched by one thread at a time (the connection's queue); a checked access per row was 2 % of a backup.
    @exclusivity(unchecked) private var writer: TableDataWriter
    private let bridge: StreamBridge
    @exclusivity(unchecked) private var buffer = DumpBuffer(capacity: 1 << 19)

    init(table: RowDumpPlan.Table, addLocks: Bool, bridge: StreamBridge) {
        writer = TableDataWriter(table: table.name, addLocks: addLocks)
        self.bridge = bridge
    }

    struct Cancelled: Error {}

    func begin(columns: [StreamedColumn]) throws {
        writer.begin(columns: columns, into: &buffer)
    }

    func consume(_ row: StreamedRow) throws {
        writer.append(row: row, into: &buffer)
        if buffer.count >= 1 << 18 { try flush() }
    }

    func end() throws {
        writer.end(into: &buffer)
        try flush()
    }

    private func flush() throws {
        defer { buffer.removeAll() }
        guard bridge.push(buffer.bytes) else { throw Cancelled() }
    }
}

/// A stream of dump bytes read chunk by chunk: a child's standard output, or a spliced dump.
public protocol DumpSource: AnyObject {
    func read() async throws -> [UInt8]?
    /// Gives a chunk from `read` back for reuse.
    func recycle(_ chunk: consuming [UInt8])
}

extension ChildProcess: DumpSource {}

/// mariadb-dump's `--no-data` output with each table's rows from `SnapshotRows` where mariadb-dump
/// would have written them. Read from one task at a time.
public final class SplicedDump: DumpSource, @unchecked Sendable {
    /// The definitions name a table the snapshot did not list, or one whose rows stay with
    /// mariadb-dump (created or changed while the dump ran): nothing is stored, and the caller
    /// dumps again with mariadb-dump alone.
    public struct UnplannedTable: Error, Equatable {
        public var table: String
    }

    private let definitions: ChildProcess
    private let rows: SnapshotRows
    private let addLocks: Bool
    private var splicer: DumpSplicer
    private var viewOrder = FinalViewOrder()
    private var queued: [DumpSplicer.Segment] = []
    private var current: StreamBridge?
    private var ended = false
    /// The chunk `read` returned last holds rows read here, not mariadb-dump's output: a table
    /// definition check need not look at it (its lines are INSERTs and row tuples).
    public private(set) var lastReadWasRows = false

    public init(definitions: ChildProcess, rows: SnapshotRows, addLocks: Bool) {
        self.definitions = definitions
        self.rows = rows
        self.addLocks = addLocks
        splicer = DumpSplicer(position: rows.position)
    }

    public func read() async throws -> [UInt8]? {
        while true {
            if let bridge = current {
                if let chunk = try await bridge.next() {
                    lastReadWasRows = true
                    return chunk
                }
                current = nil
            }
            lastReadWasRows = false
            if !queued.isEmpty {
                switch queued.removeFirst() {
                case .bytes(let bytes):
                    if !bytes.isEmpty { return bytes }
                case .tableData(let database, let name):
                    let table = RowDumpPlan.Table(database: database, name: name)
                    switch rows.plan.kind(of: table) {
                    case .rows: current = rows.read(table, addLocks: addLocks)
                    case .noData: break
                    case .unsupported, nil:
                        throw UnplannedTable(table: table.description)
                    }
                }
                continue
            }
            if ended { return nil }
            if let chunk = try await definitions.read() {
                queued = splicer.consume(viewOrder.consume(chunk))
                definitions.recycle(chunk)
            } else {
                queued = splicer.consume(viewOrder.finish()) + splicer.finish()
                ended = true
            }
        }
    }

    public func recycle(_ chunk: consuming [UInt8]) { current?.recycle(chunk) }

    /// Stops a table read in progress (its producer is waiting for room).
    public func cancel() { current?.cancel() }
}
