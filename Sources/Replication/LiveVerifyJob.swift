import AtomicFile
import Foundation
import MariaDBClient
import Verification

/// `verify --live` (issue #30): compares a replicating target with its source while both run. Each table is
/// read on both servers at one GTID position: the replica's SQL thread stops, the source opens a consistent
/// snapshot and names its binlog position, the replica applies up to exactly that position and opens its own
/// snapshot, then goes on replicating. No global lock is taken. A table with a primary key is compared in key
/// chunks by checksums the servers compute (`LiveChunks`), a differing chunk narrowed to its rows; one without
/// is compared whole. Progress goes to a state file after every chunk, so `--resume` goes on from the last
/// compared chunk.
public struct LiveVerifyJob: Sendable, Equatable {
    public var databases: [String] = []
    public var connectionName = ReplicationSetup.defaultConnectionName
    /// Rows reported per table (their keys); all are counted.
    public var showRows = 10
    /// Seconds a chunk should take.
    public var chunkSeconds = 0.5
    /// Pauses while the source's `Threads_running` is above this.
    public var maxThreadsRunning = 25
    /// Pauses while the replica is more than this many seconds behind.
    public var maxLagSeconds = 30
    /// The snapshots are renewed after this many seconds (long snapshots hold the source's purge back).
    public var snapshotSeconds = 30.0
    /// Where the progress files go, one per pair of servers.
    public var stateDirectory: String
    public var resume = false

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    public enum Event: Sendable {
        case synchronised(table: String, position: String)
        case chunk(table: String, after: [String]?, upTo: [String]?, rows: Int, differences: Int)
        case paused(reason: String)
        case tableDone(LiveVerifyState.Table)
        /// A resume goes on in `table` after the key `after`, with `rows` compared there before.
        case resumed(table: String, after: [String]?, rows: Int, chunks: Int, tablesDone: Int)
    }

    public struct Report: Codable, Sendable, Equatable {
        public var source: String
        public var target: String
        public var tables: [LiveVerifyState.Table]
        public var differences: Int
        public var pauses: Int
        public var resumed: Bool
        public var seconds: Double
    }

    public func run(
        source sourceSettings: ConnectionSettings, target targetSettings: ConnectionSettings,
        events: @escaping @Sendable (Event) -> Void = { _ in }
    ) async throws -> Report {
        let started = ContinuousClock.now
        let state = LiveVerifyState.File(
            directory: stateDirectory, source: sourceSettings.endpointDescription,
            target: targetSettings.endpointDescription)
        async let s1 = MariaDBConnection.connect(sourceSettings)
        async let s2 = MariaDBConnection.connect(sourceSettings)
        async let t1 = MariaDBConnection.connect(targetSettings)
        async let t2 = MariaDBConnection.connect(targetSettings)
        let (sourceControl, sourceRead, targetControl, targetRead) = try await (s1, s2, t1, t2)
        let connectionName = self.connectionName
        try await targetControl.requireRunningReplica(connectionName)
        let servers = LiveVerifyState.servers(source: sourceControl.endpoint, target: targetControl.endpoint)
        var progress: LiveVerifyState
        if resume {
            guard let saved = try state.load(), !saved.finished else {
                throw LiveVerifyError.nothingToResume(file: state.path)
            }
            guard saved.servers == servers, saved.databases == databases else {
                throw LiveVerifyError.resumeMismatch(
                    file: state.path,
                    detail: "it compared \(saved.servers) (\(saved.databases.joined(separator: ", ")))")
            }
            progress = saved
            if let current = saved.current {
                events(
                    .resumed(
                        table: current.name, after: current.after, rows: current.rows, chunks: current.chunks,
                        tablesDone: saved.done.count))
            }
        } else {
            progress = LiveVerifyState(servers: servers, databases: databases)
        }
        for connection in [sourceRead, targetRead] {
            try await connection.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        }
        let tables = try await Self.tables(on: sourceControl, databases: databases)
        var pauses = 0
        let limits = (threads: maxThreadsRunning, lag: maxLagSeconds)
        var lastLook = ContinuousClock.now - .seconds(1)
        // The bounds are read at most twice a second, not per chunk: small chunks would double the queries.
        func throttle() async throws {
            guard ContinuousClock.now - lastLook >= .milliseconds(500) else { return }
            lastLook = ContinuousClock.now
            while true {
                let status = try await sourceControl.keyValues("SHOW GLOBAL STATUS LIKE 'Threads_running'")
                let running = Int(status["threads_running"] ?? "") ?? 0
                let lag = try await targetControl.replicaStatus(connectionName)?.secondsBehind ?? 0
                let reason =
                    running > limits.threads ? "source Threads_running \(running) > \(limits.threads)"
                    : lag > limits.lag ? "replica \(lag) s behind > \(limits.lag) s" : nil
                guard let reason else { return }
                pauses += 1
                events(.paused(reason: reason))
                try await Task.sleep(for: .seconds(1))
            }
        }
        // One pair of snapshots serves table after table until it is `snapshotSeconds` old: each renewal stops the
        // replica for a moment and reads the source's binlog up to its position (BINLOG_GTID_POS).
        var snapshotStarted: ContinuousClock.Instant?
        let snapshotSeconds = self.snapshotSeconds
        func snapshot(for table: String) async throws {
            if let started = snapshotStarted, ContinuousClock.now - started < .seconds(snapshotSeconds) { return }
            let position = try await synchronise(
                source: sourceRead, target: targetRead, control: targetControl, name: connectionName)
            snapshotStarted = ContinuousClock.now
            events(.synchronised(table: table, position: position.description))
        }
        for table in tables where !progress.done.contains(where: { $0.name == table.name }) {
            var current =
                progress.current?.name == table.name
                ? progress.current! : LiveVerifyState.Table(name: table.name, wholeTable: table.key.isEmpty)
            var rows = current.nextRows
            let tableStarted = ContinuousClock.now
            try await snapshot(for: table.name)
            if table.key.isEmpty {
                try await throttle()
                let sql = LiveChunks.wholeTableChecksumSQL(table: table.quoted, columns: table.columns)
                async let a = sourceRead.query(sql)
                async let b = targetRead.query(sql)
                let (x, y) = try await (a, b)
                let sourceRows = x.rows.first?[0].int ?? 0
                let targetRows = y.rows.first?[0].int ?? 0
                current.chunks = 1
                current.rows = sourceRows
                if x.rows.first.map({ $0.values.map(\.string) }) != y.rows.first.map({ $0.values.map(\.string) }) {
                    current.differences += max(1, abs(sourceRows - targetRows))
                    current.note = "no primary key: compared whole, \(sourceRows) rows on the source, "
                        + "\(targetRows) on the target, their checksums differ"
                } else {
                    current.note = "no primary key: compared whole"
                }
            } else {
                while true {
                    try await throttle()
                    try await snapshot(for: table.name)
                    let chunkStarted = ContinuousClock.now
                    let upper = try await sourceRead.query(
                        LiveChunks.chunkEndSQL(table: table.quoted, key: table.key, after: current.after, rows: rows)
                    ).rows.first.map { row in row.values.map { $0.string ?? "NULL" } }
                    let sql = LiveChunks.chunkChecksumSQL(
                        table: table.quoted, columns: table.columns, key: table.key, after: current.after, upTo: upper)
                    async let a = sourceRead.query(sql)
                    async let b = targetRead.query(sql)
                    let (x, y) = try await (a, b)
                    let count = x.rows.first?[0].int ?? 0
                    var found: [LiveChunks.RowDifference] = []
                    if x.rows.first?[0].string != y.rows.first?[0].string
                        || x.rows.first?[1].string != y.rows.first?[1].string
                    {
                        let rowsSQL = LiveChunks.rowChecksumsSQL(
                            table: table.quoted, columns: table.columns, key: table.key, after: current.after,
                            upTo: upper)
                        async let c = sourceRead.query(rowsSQL)
                        async let d = targetRead.query(rowsSQL)
                        let (p, q) = try await (c, d)
                        func keyed(_ rows: ResultSet) -> [(key: LiveChunks.Key, checksum: String)] {
                            rows.rows.map { row in
                                let values = row.values.map { $0.string ?? "NULL" }
                                return (Array(values.dropLast()), values.last ?? "")
                            }
                        }
                        found = LiveChunks.differences(source: keyed(p), target: keyed(q))
                    }
                    current.add(found, showing: showRows)
                    current.chunks += 1
                    current.rows += count
                    let after = current.after
                    current.after = upper
                    let seconds = (ContinuousClock.now - chunkStarted).seconds
                    rows = LiveChunks.nextChunkRows(current: rows, seconds: seconds, target: chunkSeconds)
                    current.nextRows = rows
                    // Saved before it is told: a chunk reported is never compared again by a resume.
                    if upper != nil {
                        progress.current = current
                        try state.save(progress)
                    }
                    events(.chunk(table: table.name, after: after, upTo: upper, rows: count, differences: found.count))
                    if upper == nil { break }
                }
            }
            current.seconds += (ContinuousClock.now - tableStarted).seconds
            progress.done.append(current)
            progress.current = nil
            try state.save(progress)
            events(.tableDone(current))
        }
        for connection in [sourceRead, targetRead] { try await connection.query("COMMIT") }
        progress.finished = true
        progress.finishedAt = Date()
        let differences = progress.done.reduce(0) { $0 + $1.differences }
        progress.differences = differences
        try state.save(progress)
        return Report(
            source: sourceControl.endpoint, target: targetControl.endpoint, tables: progress.done,
            differences: differences, pauses: pauses, resumed: resume,
            seconds: (ContinuousClock.now - started).seconds)
    }

    /// Holds `source` and `target` in snapshots of one GTID position: returns it. The replica stops only from
    /// before the source's snapshot until its own.
    func synchronise(
        source: MariaDBConnection, target: MariaDBConnection, control: MariaDBConnection, name: String
    ) async throws -> GTIDPosition {
        let connection = SQLQuoting.literal(name)
        _ = try? await source.query("COMMIT")
        _ = try? await target.query("COMMIT")
        // UNTIL master_gtid_pos starts both threads ("Slave is already running" with the I/O thread on).
        try await control.query("STOP SLAVE \(connection)")
        do {
            try await source.query("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            let snapshot = try await source.keyValues("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
            let file = snapshot["binlog_snapshot_file"] ?? ""
            let offset = snapshot["binlog_snapshot_position"] ?? "0"
            let text = try await source.query(
                "SELECT BINLOG_GTID_POS(\(SQLQuoting.literal(file)), \(Int(offset) ?? 0))"
            ).scalar.string ?? ""
            let position = try GTIDPosition(parsing: text)
            try await control.query(
                "START SLAVE \(connection) UNTIL MASTER_GTID_POS = \(SQLQuoting.literal(position.description))")
            // The SQL thread stops by itself once it has applied the position.
            let deadline = ContinuousClock.now + .seconds(300)
            while true {
                guard let status = try await control.replicaStatus(name) else {
                    throw ReplicationError.noReplication(connection: name, target: control.endpoint)
                }
                if !status.lastSQLError.isEmpty {
                    throw ReplicationError.replicaStopped(
                        connection: name, target: control.endpoint, detail: "applying: \(status.lastSQLError)")
                }
                if status.sqlRunning == "No" {
                    guard position.transactions(after: status.gtidSlavePos) == 0 else {
                        throw LiveVerifyError.notAtPosition(
                            position: position.description, replica: status.gtidSlavePos.description)
                    }
                    break
                }
                guard ContinuousClock.now < deadline else {
                    throw LiveVerifyError.positionTimeout(position: position.description)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await target.query("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            try await Self.replicateAgain(control, connection)
            return position
        } catch {
            try? await Self.replicateAgain(control, connection)
            throw error
        }
    }

    /// Both threads stopped and started, without the UNTIL condition.
    static func replicateAgain(_ control: MariaDBConnection, _ connection: String) async throws {
        try await control.query("STOP SLAVE \(connection)")
        try await control.query("START SLAVE \(connection)")
    }

    struct TableShape {
        var name: String
        var quoted: String
        var columns: [String]
        var key: [String]
    }

    /// The base tables to compare, with their columns and primary key, in name order.
    static func tables(on connection: MariaDBConnection, databases: [String]) async throws -> [TableShape] {
        let scope =
            databases.isEmpty
            ? "TABLE_SCHEMA NOT IN (\(SystemObjects.schemas.sorted().map(SQLQuoting.literal).joined(separator: ", ")), "
                + "\(SQLQuoting.literal(SystemObjects.toolSchema)))"
            : "TABLE_SCHEMA IN (\(databases.map(SQLQuoting.literal).joined(separator: ", ")))"
        let columns = try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE \(scope) "
                + "AND (TABLE_SCHEMA, TABLE_NAME) IN (SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                + "WHERE TABLE_TYPE = 'BASE TABLE') ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
        ).rows
        let keys = try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE \(scope) "
                + "AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX"
        ).rows
        func grouped(_ rows: [Row]) -> [String: [String]] {
            var result: [String: [String]] = [:]
            for row in rows {
                let name = "\(row[0].string ?? "").\(row[1].string ?? "")"
                result[name, default: []].append(row[2].string ?? "")
            }
            return result
        }
        let keyColumns = grouped(keys)
        var order: [String] = []
        var shapes: [String: TableShape] = [:]
        for row in columns {
            let schema = row[0].string ?? ""
            let table = row[1].string ?? ""
            let name = "\(schema).\(table)"
            if shapes[name] == nil {
                order.append(name)
                shapes[name] = TableShape(
                    name: name, quoted: "\(SQLQuoting.identifier(schema)).\(SQLQuoting.identifier(table))", columns: [],
                    key: keyColumns[name] ?? [])
            }
            shapes[name]?.columns.append(row[2].string ?? "")
        }
        return order.compactMap { shapes[$0] }
    }
}

/// What `verify --live` has compared, kept in a file after every chunk: what a resume goes on from, and what
/// `cutover` reads to know whether the servers were last found equal.
public struct LiveVerifyState: Codable, Sendable, Equatable {
    public var servers: String
    public var databases: [String]
    public var done: [Table] = []
    public var current: Table?
    public var finished = false
    public var finishedAt: Date?
    public var differences: Int?

    public init(servers: String, databases: [String]) {
        self.servers = servers
        self.databases = databases
    }

    static func servers(source: String, target: String) -> String { "\(source) -> \(target)" }

    /// Why a cutover should not go ahead on this record of the last live verify, nil when it may: a verify
    /// that found differences, one that did not end, or one older than `maxAge` seconds. Pure.
    public func cutoverRefusal(now: Date, maxAge: Double) -> String? {
        guard finished, let finishedAt else {
            return "the last live verify of these servers did not end: run verify --live --resume"
        }
        if let differences, differences > 0 {
            return "the last live verify of these servers found \(differences) differing rows: fix them and run "
                + "verify --live again"
        }
        let age = now.timeIntervalSince(finishedAt)
        if age > maxAge {
            return "the last live verify of these servers ended \(Int(age / 60)) minutes ago, more than "
                + "\(Int(maxAge / 60)) allowed: run verify --live again"
        }
        return nil
    }

    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var wholeTable: Bool
        public var chunks = 0
        public var rows = 0
        public var differences = 0
        /// The first rows found different: `only-on-source`, `only-on-target` or `differs`, with the key.
        public var differingRows: [DifferingRow] = []
        public var seconds = 0.0
        public var note: String?
        /// The last key compared (nil: none yet) and the next chunk's size: where a resume goes on.
        public var after: [String]?
        public var nextRows = 1000

        public init(name: String, wholeTable: Bool) {
            self.name = name
            self.wholeTable = wholeTable
        }

        mutating func add(_ found: [LiveChunks.RowDifference], showing limit: Int) {
            differences += found.count
            for difference in found where differingRows.count < limit {
                differingRows.append(DifferingRow(difference))
            }
        }
    }

    public struct DifferingRow: Codable, Sendable, Equatable {
        public var kind: String
        public var key: [String]

        init(_ difference: LiveChunks.RowDifference) {
            switch difference {
            case .onlyOnSource(let key): (kind, self.key) = ("only-on-source", key)
            case .onlyOnTarget(let key): (kind, self.key) = ("only-on-target", key)
            case .differs(let key): (kind, self.key) = ("differs", key)
            }
        }
    }

    /// The state file of one pair of servers.
    public struct File: Sendable {
        public var path: String

        public init(path: String) { self.path = path }

        /// `directory/<source>--<target>.json`, the endpoints made safe for a file name.
        public init(directory: String, source: String, target: String) {
            let safe = { (text: String) in
                String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
            }
            path = (directory as NSString).appendingPathComponent("\(safe(source))--\(safe(target)).json")
        }

        public func load() throws -> LiveVerifyState? {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            do {
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                return try decoder.decode(LiveVerifyState.self, from: data)
            } catch {
                throw LiveVerifyError.stateUnreadable(file: path, detail: error.localizedDescription)
            }
        }

        /// Written aside, then renamed: never half a file.
        public func save(_ state: LiveVerifyState) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            do {
                try AtomicFile.write(try encoder.encode(state), to: path)
            } catch is AtomicFile.Failure {
                throw LiveVerifyError.stateUnwritable(file: path)
            }
        }
    }
}

public enum LiveVerifyError: Error, LocalizedError, Equatable, Sendable {
    case nothingToResume(file: String)
    case resumeMismatch(file: String, detail: String)
    case stateUnreadable(file: String, detail: String)
    case stateUnwritable(file: String)
    case notAtPosition(position: String, replica: String)
    case positionTimeout(position: String)

    public var errorDescription: String? {
        switch self {
        case .nothingToResume(let file):
            return "there is no unfinished live verify of these servers in \(file): run verify --live without --resume"
        case .resumeMismatch(let file, let detail):
            return "the live verify in \(file) cannot go on here: \(detail); run verify --live without --resume"
        case .stateUnreadable(let file, let detail):
            return "the live verify state \(file) cannot be read (\(detail)): delete it and run verify --live again"
        case .stateUnwritable(let file):
            return "cannot write the live verify state \(file): check the directory's permissions and free space"
        case .notAtPosition(let position, let replica):
            return "the replica stopped at \(replica), not at the source's snapshot \(position): its replication "
                + "was changed meanwhile; run verify --live again"
        case .positionTimeout(let position):
            return "the replica did not reach the source's snapshot \(position) within 300 s: let it catch up "
                + "(cutover --status shows the lag) and run verify --live --resume"
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
