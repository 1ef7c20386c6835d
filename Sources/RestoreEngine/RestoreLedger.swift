import Foundation
import Hashing
import MariaDBClient

/// How a restore treats progress an earlier, interrupted restore left on the target.
public enum ProgressMode: String, Sendable, Codable, Equatable {
    /// Start; refuse when the target holds an unfinished restore (it names --resume and --restart).
    case fresh
    /// Go on where the unfinished restore stopped; refuse when there is none.
    case resume
    /// Drop the unfinished restore's progress and start from the first statement.
    case restart
    /// Resume when there is something to resume, else start (the wizard's resumed restore step).
    case resumeIfAny
}

/// Sorted, merged ranges of the statement ordinals a restore committed. Pure.
public struct DoneRanges: Sendable, Equatable {
    public private(set) var ranges: [ClosedRange<Int>]

    public init(_ unsorted: [ClosedRange<Int>]) {
        var merged: [ClosedRange<Int>] = []
        for range in unsorted.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        ranges = merged
    }

    public func contains(_ ordinal: Int) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < ordinal { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].contains(ordinal)
    }

    public var count: Int { ranges.reduce(0) { $0 + $1.count } }
}

/// Which backup goes into which server, with which settings: a progress record applies only to the
/// same identity. Pure.
public struct RestoreIdentity: Sendable, Equatable, Codable {
    public var backup: String
    /// `sha256:…` from the manifest, else `bytes:…` (the object's size).
    public var object: String
    /// `@@hostname:@@datadir` (MariaDB has no `@@server_uuid`), or the Galera cluster's state UUID
    /// (any node may take the resume).
    public var target: String
    /// What decides which statements run and how: databases and deferred indexes.
    public var settings: String

    public init(backup: String, object: String, target: String, settings: String) {
        self.backup = backup
        self.object = object
        self.target = target
        self.settings = settings
    }

    /// What differs between the identity recorded (`self`) and the one asked for, each as
    /// `what recorded … , asked …`; empty when they match.
    public func differences(from asked: RestoreIdentity) -> [String] {
        var found: [String] = []
        if backup != asked.backup { found.append("backup \(backup) recorded, \(asked.backup) asked") }
        else if object != asked.object { found.append("object \(object) recorded, \(asked.object) now") }
        if target != asked.target { found.append("server \(target) recorded, this one is \(asked.target)") }
        if settings != asked.settings { found.append("settings '\(settings)' recorded, '\(asked.settings)' asked") }
        return found
    }

    /// One restore's records among others on the same server (restores of other backups or
    /// databases may run beside it): the backup, its content and the settings.
    public var key: String {
        let hasher = SHA256Hasher()
        hasher.update(Array([backup, object, settings].joined(separator: "\n").utf8))
        return hasher.finalize().hexString
    }

    static func settings(databases: [String], deferIndexes: Bool) -> String {
        "databases=\(databases.isEmpty ? "*" : databases.joined(separator: ",")) defer-indexes=\(deferIndexes)"
    }
}

/// What a restore's records say was committed: statements by ordinal, the tables whose deferred
/// indexes were built, and the tables without transactions whose rows are all in. Pure.
struct RestoreRecords: Sendable {
    var completed = DoneRanges([])
    var indexesBuilt: Set<Int> = []
    var rowsComplete: Set<Int> = []

    func isDone(_ ordinal: Int) -> Bool { completed.contains(ordinal) }
}

/// What an interrupted restore had committed, as a resume finds it.
public struct ResumePoint: Sendable, Codable, Equatable {
    public var backup: String
    public var started: String
    /// Statements (DDL one each, row data in chunks) already applied: skipped.
    public var statements: Int
    public var sqlBytes: UInt64
    public var rows: UInt64
    /// Tables created so far (`db.table`).
    public var tables: [String]
    /// Tables of an engine without transactions (Aria, MyISAM) whose rows had not all landed:
    /// emptied and loaded again.
    public var reloaded: [String]
}

/// A restore's progress, kept on the target in a schema of the tool's own so that any host can
/// resume it: one row per applied DDL statement, one per committed chunk of row data (written in
/// the chunk's own transaction, so a row and its record land together or not at all), one per
/// finished index build, and one when a table without transactions has all its rows.
public final class RestoreLedger: @unchecked Sendable {
    static let schema = SystemObjects.toolSchema
    static let done = "`_mariadb_migrate`.`restore_done`"
    static let state = "`_mariadb_migrate`.`restore_state`"

    enum Part: Int {
        case statements = 0
        case indexes = 1
        case rowsComplete = 2
    }

    /// Errors a statement run a second time gives when its first run had landed but was not
    /// recorded (the tool died between the two): table/view, routine, trigger, event, key, database,
    /// account, foreign key already there.
    static let alreadyThere: Set<UInt32> = [1050, 1304, 1359, 1537, 1061, 1007, 1396, 1826]

    let identity: RestoreIdentity
    let records: RestoreRecords
    let resumed: ResumePoint?
    private let connection: MariaDBConnection
    private var heartbeat: Task<Void, Never>?

    private init(
        identity: RestoreIdentity, connection: MariaDBConnection, records: RestoreRecords, resumed: ResumePoint?
    ) {
        self.identity = identity
        self.connection = connection
        self.records = records
        self.resumed = resumed
    }

    deinit { heartbeat?.cancel() }

    /// The target's identity for progress records.
    static func targetIdentity(_ connection: MariaDBConnection, galera: Bool) async throws -> String {
        if galera {
            let status = try await connection.keyValues("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_state_uuid'")
            if let uuid = status["wsrep_cluster_state_uuid"], !uuid.isEmpty { return "galera:" + uuid }
        }
        // MariaDB has no @@server_uuid: the host and data directory name the server (a pod of a
        // StatefulSet keeps both across restarts).
        let row = try await connection.query("SELECT @@hostname, @@datadir").rows.first
        return "\(row?[0].string ?? "?"):\(row?[1].string ?? "?")"
    }

    /// The unfinished restores recorded on the target, newest first.
    static func records(on connection: MariaDBConnection) async throws -> [Recorded] {
        // Under the schema lock: another restore of the server may be making or dropping the schema.
        try await withSchemaLock(on: connection) { try await unlockedRecords(on: connection) }
    }

    /// How many of the two progress tables exist (0 on a target no tracked restore has touched).
    private static func tablesThere(on connection: MariaDBConnection) async throws -> Int {
        try await connection.query(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '\(schema)' "
                + "AND TABLE_NAME IN ('restore_state', 'restore_done')"
        ).scalar.int ?? 0
    }

    private static func unlockedRecords(on connection: MariaDBConnection) async throws -> [Recorded] {
        let exists = try await tablesThere(on: connection)
        guard exists > 0 else { return [] }
        do {
            guard exists == 2 else { throw LedgerFault(detail: "one of its two tables is missing") }
            let rows = try await connection.query(
                "SELECT restore_key, backup, object, target, settings, DATE_FORMAT(started, '%Y-%m-%dT%H:%i:%sZ'), "
                    + "TIMESTAMPDIFF(SECOND, updated, UTC_TIMESTAMP()), connection_ids FROM \(state) "
                    + "WHERE finished = 0 ORDER BY started DESC"
            ).rows
            return rows.map { row in
                Recorded(
                    key: row[0].string ?? "",
                    identity: RestoreIdentity(
                        backup: row[1].string ?? "", object: row[2].string ?? "", target: row[3].string ?? "",
                        settings: row[4].string ?? ""),
                    started: row[5].string ?? "", secondsSinceUpdate: row[6].int ?? 0,
                    connectionIDs: (row[7].string ?? "").split(separator: ",").compactMap { Int($0) })
            }
        } catch let error as MariaDBError {
            throw RestoreError.progressUnreadable(endpoint: connection.endpoint, detail: error.localizedDescription)
        } catch let fault as LedgerFault {
            throw RestoreError.progressUnreadable(endpoint: connection.endpoint, detail: fault.detail)
        }
    }

    struct Recorded: Sendable {
        var key: String
        var identity: RestoreIdentity
        var started: String
        var secondsSinceUpdate: Int
        var connectionIDs: [Int]
    }

    struct LedgerFault: Error {
        var detail: String
    }

    /// What a run does with what the target holds, by `mode`: start, resume a record, or drop one
    /// first. Refuses what does not go (a fresh restore into an unfinished one, a resume of another
    /// backup, a restore into a target another run is loading now).
    enum Decision: Sendable {
        case start
        case resume(Recorded)
        case restart(Recorded)
        /// `--restart` over records this tool cannot read: the schema goes whole.
        case dropUnreadable
    }

    static func decide(
        on connection: MariaDBConnection, identity: RestoreIdentity, mode: ProgressMode
    ) async throws -> Decision {
        let endpoint = connection.endpoint
        let records: [Recorded]
        do {
            records = try await self.records(on: connection)
        } catch RestoreError.progressUnreadable(_, _) where mode == .restart {
            return .dropUnreadable
        }
        let mine = records.first { $0.key == identity.key }
        switch (mode, mine) {
        case (.fresh, let record?):
            throw RestoreError.unfinishedRestore(
                endpoint: endpoint, backup: record.identity.backup, started: record.started)
        case (.resume, let record?), (.resumeIfAny, let record?):
            let differences = record.identity.differences(from: identity)
            if !differences.isEmpty {
                throw RestoreError.resumeMismatch(endpoint: endpoint, differences: differences)
            }
            return .resume(record)
        case (.resume, nil):
            // Another backup's (or other settings') restore is there: say what differs.
            if let other = records.first {
                throw RestoreError.resumeMismatch(
                    endpoint: endpoint, differences: other.identity.differences(from: identity))
            }
            throw RestoreError.nothingToResume(endpoint: endpoint)
        case (.restart, let record?):
            return .restart(record)
        case (.fresh, nil), (.resumeIfAny, nil), (.restart, nil):
            return .start
        }
    }

    /// A ledger being opened. A resume has to wait for the interrupted run's connections to end and
    /// check its tables (a third of a second was measured after a SIGKILL), while what that run had
    /// committed before is already known for sure (commits are never taken back): the statements
    /// `early` holds are skipped meanwhile, and anything else waits for `ledger`.
    enum Opening: Sendable {
        case ready(RestoreLedger)
        case resuming(early: RestoreRecords, ledger: Task<RestoreLedger, any Error>)

        func opened() async throws -> RestoreLedger {
            switch self {
            case .ready(let ledger): ledger
            case .resuming(_, let task): try await task.value
            }
        }

        /// After a failure: stops the checks still running, or the opened ledger's heartbeat.
        func stop() async {
            if case .resuming(_, let task) = self { task.cancel() }
            (try? await opened())?.stopHeartbeat()
        }
    }

    /// Opens the ledger for a run: checks what is recorded against `mode` and `identity`, ends the
    /// connections a dead run left behind, and starts (or goes on with) the records.
    /// `loading`: the ids of this run's connections, recorded so that a later resume can end them.
    static func open(
        on connection: MariaDBConnection, identity: RestoreIdentity, mode: ProgressMode, loading: [Int],
        announce: @escaping @Sendable (String) -> Void = { _ in },
        resumed: @escaping @Sendable (ResumePoint) -> Void = { _ in }
    ) async throws -> Opening {
        let decision = try await decide(on: connection, identity: identity, mode: mode)
        switch decision {
        case .start:
            try await create(on: connection, identity: identity)
        case .dropUnreadable:
            announce("--restart: dropping the schema \(schema), whose progress records cannot be read")
            try await connection.query("DROP SCHEMA IF EXISTS \(SQLQuoting.identifier(schema))")
            try await create(on: connection, identity: identity)
        case .resume(let record):
            let early = try await committed(on: connection, identity: identity).records
            let task = Task {
                try await endConnections(of: record, on: connection)
                try await recordConnections(loading, on: connection, identity: identity)
                let ledger = try await read(on: connection, identity: identity, started: record.started)
                ledger.startHeartbeat()
                // Said once the records are final, while the skipping goes on.
                if let point = ledger.resumed { resumed(point) }
                return ledger
            }
            return .resuming(early: early, ledger: task)
        case .restart(let record):
            try await endConnections(of: record, on: connection)
            let tables = try await createdTables(on: connection, key: record.key)
            announce(
                "--restart: dropping the progress of the unfinished restore of \(record.identity.backup) (started "
                    + "\(record.started)); the dump's own DROP TABLE replaces the \(tables.count) table"
                    + "\(tables.count == 1 ? "" : "s") it had created"
                    + (tables.isEmpty ? "" : ": " + SystemVersionedTables.shortList(tables)))
            try await create(on: connection, identity: identity)
        }
        try await recordConnections(loading, on: connection, identity: identity)
        let ledger = RestoreLedger(identity: identity, connection: connection, records: RestoreRecords(), resumed: nil)
        ledger.startHeartbeat()
        return .ready(ledger)
    }

    /// Records the ids of this run's connections, for a later resume to end them.
    private static func recordConnections(_ loading: [Int], on connection: MariaDBConnection, identity: RestoreIdentity)
        async throws
    {
        let ids = loading.map(String.init).joined(separator: ",")
        try await connection.query(
            "UPDATE \(state) SET connection_ids = '\(ids)', updated = UTC_TIMESTAMP() WHERE restore_key = "
                + "'\(identity.key)'")
    }

    /// Makes sure the recorded run is over before its records are read: its connections gone
    /// (a killed tool's close with it, once a statement they run ends). A run whose connections stay
    /// while its heartbeat goes on is alive: refused. Connections that stay without a heartbeat are
    /// a lost host's (no FIN reached the server; they would hold their transactions for hours): killed.
    private static func endConnections(of record: Recorded, on connection: MariaDBConnection) async throws {
        guard !record.connectionIDs.isEmpty else { return }
        let list = record.connectionIDs.map(String.init).joined(separator: ",")
        let key = record.key
        func look() async throws -> (alive: [Int], beat: String) {
            let alive = try await connection.query(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN (\(list))"
            ).rows.compactMap { $0[0].int }
            let beat = try await connection.query(
                "SELECT updated FROM \(state) WHERE restore_key = '\(key)'"
            ).scalar.string ?? ""
            return (alive, beat)
        }
        let first = try await look()
        var alive = first.alive
        // A heartbeat comes every 5 s: watch for longer than that.
        let started = ContinuousClock.now
        let deadline = started + .seconds(12)
        while !alive.isEmpty && ContinuousClock.now < deadline {
            // A killed tool's connections end within a statement: look often at first, then calmly.
            try await Task.sleep(for: .milliseconds(ContinuousClock.now < started + .seconds(2) ? 20 : 250))
            let now = try await look()
            if !now.alive.isEmpty && now.beat != first.beat {
                throw RestoreError.restoreRunning(endpoint: connection.endpoint)
            }
            alive = now.alive
        }
        guard !alive.isEmpty else { return }
        for id in alive { _ = try? await connection.query("KILL CONNECTION \(id)") }
        for _ in 0..<240 {
            if try await look().alive.isEmpty { return }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The tool's schema and tables (made once, shared by the restores of a server), and this
    /// restore's state row, after any records of the same restore are gone.
    private static func create(on connection: MariaDBConnection, identity: RestoreIdentity) async throws {
        let key = identity.key
        try await withSchemaLock(on: connection) {
            try await connection.execute([
                "CREATE SCHEMA IF NOT EXISTS \(SQLQuoting.identifier(schema))",
                """
                CREATE TABLE IF NOT EXISTS \(done) (restore_key CHAR(64) NOT NULL, first_ordinal BIGINT NOT NULL, \
                last_ordinal BIGINT NOT NULL, part TINYINT NOT NULL, table_ordinal BIGINT NOT NULL DEFAULT 0, \
                object VARCHAR(500) NOT NULL DEFAULT '', transactional TINYINT NOT NULL DEFAULT 1, \
                row_count BIGINT NOT NULL DEFAULT 0, sql_bytes BIGINT NOT NULL DEFAULT 0, \
                PRIMARY KEY (restore_key, first_ordinal, part)) ENGINE=InnoDB
                """,
                """
                CREATE TABLE IF NOT EXISTS \(state) (restore_key CHAR(64) NOT NULL PRIMARY KEY, \
                backup VARCHAR(1000) NOT NULL, object VARCHAR(100) NOT NULL, target VARCHAR(100) NOT NULL, \
                settings VARCHAR(2000) NOT NULL, connection_ids VARCHAR(2000) NOT NULL DEFAULT '', \
                started DATETIME NOT NULL, updated DATETIME NOT NULL, finished TINYINT NOT NULL DEFAULT 0) \
                ENGINE=InnoDB
                """,
                "DELETE FROM \(done) WHERE restore_key = '\(key)'",
                "DELETE FROM \(state) WHERE restore_key = '\(key)'",
                "INSERT INTO \(state) VALUES ('\(key)', \(SQLQuoting.literal(identity.backup)), "
                    + "\(SQLQuoting.literal(identity.object)), \(SQLQuoting.literal(identity.target)), "
                    + "\(SQLQuoting.literal(identity.settings)), '', UTC_TIMESTAMP(), UTC_TIMESTAMP(), 0)",
            ])
        }
    }

    /// Making and dropping the schema, one restore at a time: one that ends drops it only when no other
    /// restore's state is left in it.
    private static func withSchemaLock<Result>(
        on connection: MariaDBConnection, _ body: () async throws -> Result
    ) async throws -> Result {
        try await connection.query("SELECT GET_LOCK('\(schema).schema', 60)")
        let result: Result
        do {
            result = try await body()
        } catch {
            _ = try? await connection.query("SELECT RELEASE_LOCK('\(schema).schema')")
            throw error
        }
        try await connection.query("SELECT RELEASE_LOCK('\(schema).schema')")
        return result
    }

    private static func createdTables(on connection: MariaDBConnection, key: String) async throws -> [String] {
        try await connection.query(
            "SELECT object FROM \(done) WHERE restore_key = '\(key)' AND part = 0 AND object <> '' "
                + "ORDER BY first_ordinal"
        ).rows.compactMap { $0[0].string }
    }

    /// Reads the records of the run being resumed and checks that the tables they account for are
    /// still as the restore left them (there, and as many rows as it committed).
    static func read(
        on connection: MariaDBConnection, identity: RestoreIdentity, started: String
    ) async throws -> RestoreLedger {
        let endpoint = connection.endpoint
        let (records, point, tables, rowsByTable) = try await committed(on: connection, identity: identity)
        // Tables of the restore that are gone, or hold another number of rows than it committed.
        var changes: [String] = []
        let names = Dictionary(tables.map { ($0.ordinal, $0) }, uniquingKeysWith: { a, _ in a })
        let existing = Set(
            try await connection.query(
                "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES"
            ).rows.compactMap { $0[0].string })
        // A later DROP TABLE of the same name in the dump (a view's stand-in) makes it legitimately gone.
        let lastCreate = Dictionary(tables.map { ($0.name, $0.ordinal) }, uniquingKeysWith: max)
        for table in tables where lastCreate[table.name] == table.ordinal && !existing.contains(table.name) {
            changes.append("\(table.name) is gone")
        }
        for (ordinal, committed) in rowsByTable.sorted(by: { $0.key < $1.key }) {
            guard let table = names[ordinal], existing.contains(table.name),
                table.transactional || records.rowsComplete.contains(ordinal),
                // The server writes some mysql tables itself (statistics, GTID positions).
                !table.name.hasPrefix("mysql.")
            else { continue }
            let parts = table.name.split(separator: ".", maxSplits: 1).map(String.init)
            let count = try await connection.query(
                "SELECT COUNT(*) FROM \(SQLQuoting.identifier(parts[0])).\(SQLQuoting.identifier(parts[1]))"
            ).scalar.int ?? 0
            if UInt64(count) != committed {
                changes.append("\(table.name) has \(count) rows, the restore committed \(committed)")
            }
        }
        if !changes.isEmpty { throw RestoreError.targetChanged(endpoint: endpoint, changes: changes) }
        var resumed = point
        resumed.started = started
        return RestoreLedger(identity: identity, connection: connection, records: records, resumed: resumed)
    }

    /// What the records say was committed, without checking the tables.
    private static func committed(
        on connection: MariaDBConnection, identity: RestoreIdentity
    ) async throws -> (
        records: RestoreRecords, point: ResumePoint, tables: [(ordinal: Int, name: String, transactional: Bool)],
        rowsByTable: [Int: UInt64]
    ) {
        let endpoint = connection.endpoint
        let rows: [Row]
        do {
            rows = try await connection.query(
                "SELECT first_ordinal, last_ordinal, part, table_ordinal, object, transactional, row_count, "
                    + "sql_bytes FROM \(done) WHERE restore_key = '\(identity.key)'"
            ).rows
        } catch {
            throw RestoreError.progressUnreadable(endpoint: endpoint, detail: error.localizedDescription)
        }
        var ranges: [ClosedRange<Int>] = []
        var indexes: Set<Int> = []
        var complete: Set<Int> = []
        var tables: [(ordinal: Int, name: String, transactional: Bool)] = []
        var rowsByTable: [Int: UInt64] = [:]
        var sqlBytes: UInt64 = 0
        var rowTotal: UInt64 = 0
        for row in rows {
            guard let first = row[0].int, let last = row[1].int, let part = row[2].int.flatMap(Part.init),
                first <= last
            else {
                throw RestoreError.progressUnreadable(endpoint: endpoint, detail: "a record is not one this tool wrote")
            }
            let table = row[3].int ?? 0
            switch part {
            case .statements:
                ranges.append(first...last)
                if let name = row[4].string, !name.isEmpty {
                    tables.append((first, name, row[5].int != 0))
                }
                let count = UInt64(row[6].int ?? 0)
                if table > 0 { rowsByTable[table, default: 0] += count }
                rowTotal += count
                sqlBytes += UInt64(row[7].int ?? 0)
            case .indexes: indexes.insert(table)
            case .rowsComplete: complete.insert(table)
            }
        }
        tables.sort { $0.ordinal < $1.ordinal }
        let records = RestoreRecords(completed: DoneRanges(ranges), indexesBuilt: indexes, rowsComplete: complete)
        let reloaded = tables.filter { !$0.transactional && !complete.contains($0.ordinal) }.map(\.name)
        let point = ResumePoint(
            backup: identity.backup, started: "", statements: records.completed.count, sqlBytes: sqlBytes,
            rows: rowTotal, tables: tables.map(\.name), reloaded: reloaded)
        return (records, point, tables, rowsByTable)
    }

    /// Keeps `updated` fresh while the restore runs, so that another run can tell a live restore
    /// from one whose tool is gone.
    private func startHeartbeat() {
        let connection = self.connection
        let key = identity.key
        heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                if Task.isCancelled { return }
                _ = try? await connection.query(
                    "UPDATE \(Self.state) SET updated = UTC_TIMESTAMP() WHERE restore_key = '\(key)'")
            }
        }
    }

    func stopHeartbeat() {
        heartbeat?.cancel()
        heartbeat = nil
    }

    func isDone(_ ordinal: Int) -> Bool { records.isDone(ordinal) }
    var indexesBuilt: Set<Int> { records.indexesBuilt }
    var rowsComplete: Set<Int> { records.rowsComplete }

    var key: String { identity.key }

    /// The record of a chunk of row data, run in the chunk's transaction before its COMMIT.
    func chunkRecord(first: Int, last: Int, table: Int, rows: UInt64, bytes: Int) -> String {
        "INSERT INTO \(Self.done) (restore_key, first_ordinal, last_ordinal, part, table_ordinal, row_count, "
            + "sql_bytes) VALUES ('\(key)', \(first), \(last), 0, \(table), \(rows), \(bytes))"
    }

    /// The record of one statement that ran by itself (DDL, a view, a routine): after it, in autocommit.
    /// `table`: `db.table` for a CREATE TABLE, with whether its engine has transactions.
    func statementRecord(_ ordinal: Int, bytes: Int, table: (name: String, transactional: Bool)?) -> String {
        "INSERT IGNORE INTO \(Self.done) (restore_key, first_ordinal, last_ordinal, part, object, transactional, "
            + "sql_bytes) VALUES ('\(key)', \(ordinal), \(ordinal), 0, \(SQLQuoting.literal(table?.name ?? "")), "
            + "\(table?.transactional == false ? 0 : 1), \(bytes))"
    }

    func partRecord(_ part: Part, table: Int) -> String {
        "INSERT IGNORE INTO \(Self.done) (restore_key, first_ordinal, last_ordinal, part, table_ordinal) "
            + "VALUES ('\(key)', \(table), \(table), \(part.rawValue), \(table))"
    }

    /// Forgets the row-data records of a table that loads again.
    func forgetRows(ofTable table: Int) -> String {
        "DELETE FROM \(Self.done) WHERE restore_key = '\(key)' AND part = 0 AND table_ordinal = \(table)"
    }

    /// The restore ended: its records go (or stay, marked finished, with `keep`); the schema goes
    /// with the last restore's records.
    func finish(keep: Bool) async throws {
        stopHeartbeat()
        let connection = self.connection
        let key = self.key
        if keep {
            try await connection.query(
                "UPDATE \(Self.state) SET connection_ids = '', updated = UTC_TIMESTAMP(), finished = 1 "
                    + "WHERE restore_key = '\(key)'")
            return
        }
        try await Self.withSchemaLock(on: connection) { try await Self.drop(keys: [key], on: connection) }
    }

    /// Removes the records of `keys`, and the schema once no restore is recorded in it.
    private static func drop(keys: [String], on connection: MariaDBConnection) async throws {
        let list = keys.map { "'\($0)'" }.joined(separator: ",")
        try await connection.execute([
            "DELETE FROM \(done) WHERE restore_key IN (\(list))", "DELETE FROM \(state) WHERE restore_key IN (\(list))",
        ])
        let left = try await connection.query("SELECT COUNT(*) FROM \(state)").scalar.int ?? 0
        if left == 0 { try await connection.query("DROP SCHEMA IF EXISTS \(SQLQuoting.identifier(schema))") }
    }

    /// Drops what finished restores kept (`--keep-progress`, or a wizard's restore step until its verify
    /// passes), leaving unfinished ones resumable: the backups whose records went.
    public static func dropFinished(on connection: MariaDBConnection) async throws -> [String] {
        try await withSchemaLock(on: connection) {
            guard try await tablesThere(on: connection) == 2 else { return [] }
            let rows = try await connection.query(
                "SELECT restore_key, backup FROM \(state) WHERE finished = 1 ORDER BY started").rows
            guard !rows.isEmpty else { return [] }
            try await drop(keys: rows.compactMap { $0[0].string }, on: connection)
            return rows.compactMap { $0[1].string }
        }
    }
}
