import Blocking
import Dump
import MariaDBClient

/// Applies a dump's statements on several connections: row data (`INSERT`) goes round-robin to
/// the connections, so one table loads on all of them at once; everything else (DDL, views,
/// routines, triggers, events) runs on the first connection after all data before it has landed,
/// and session settings and `USE` run on every connection. `LOCK TABLES` is skipped with more
/// than one connection (it would serialise the load). On Galera (`guardGalera`), a statement that
/// writes a privilege table (they are not replicated) or a wsrep table of the mysql schema stops
/// the restore before it runs. With `databases` set, only statements while one of them is the
/// current database apply (`--one-database` semantics, for several); the connections start in
/// the first of them. With `deferIndexes`, an InnoDB table's plain secondary keys are added after
/// its rows (`DeferredIndexes`): on `indexConnection` when there is one, while the next table loads
/// (an index build of a 500,000-row table took seconds on one core while the other idled), else on
/// the first connection before the next statement that is not row data.
public final class ParallelApplier: @unchecked Sendable {
    private let connections: [MariaDBConnection]
    private let databases: Set<String>
    private let guardGalera: Bool
    private let skipLocks: Bool
    private let deferIndexes: Bool
    /// The `ALTER TABLE … ADD KEY` of the table whose rows are loading.
    private var pendingIndexes: [UInt8]?
    /// Builds indexes beside the load; it follows `USE` and session settings in order, on a chain the
    /// load does not wait for (only `finish` and a table with a foreign key do).
    private let indexConnection: MariaDBConnection?
    private var indexChain: Task<Void, any Error>?
    /// Where row data goes once it has run, for the splitter to fill again.
    public let recycled = BufferPool(limit: 4, largest: 4 << 20)
    /// Per connection, the statements handed to it and not yet done, oldest first: up to two, so
    /// the next statement is already waiting when the server finishes one.
    private var inFlight: [[Task<Void, any Error>]]
    static let depth = 2
    private var next = 0
    private var current: String?
    public private(set) var statements = 0

    /// `galeraTarget`: LOCK TABLES is skipped (Galera refuses it) even on one connection.
    public init(
        connections: [MariaDBConnection], databases: [String], guardGalera: Bool, galeraTarget: Bool = false,
        deferIndexes: Bool = false, indexConnection: MariaDBConnection? = nil
    ) {
        precondition(!connections.isEmpty)
        skipLocks = connections.count > 1 || galeraTarget
        self.deferIndexes = deferIndexes
        self.indexConnection = deferIndexes ? indexConnection : nil
        self.connections = connections
        self.databases = Set(databases)
        self.guardGalera = guardGalera
        inFlight = Array(repeating: [], count: connections.count)
        current = databases.first
    }

    private var applies: Bool { databases.isEmpty || current.map(databases.contains) == true }

    public func apply(_ statement: [UInt8]) async throws {
        statements += 1
        let kind = StatementKind(statement)
        if pendingIndexes != nil, Self.endsRows(kind, statement) { try await addPendingIndexes() }
        switch kind {
        case .use(let database):
            current = database
            guard applies else { return }
            try await everywhere(statement)
            onIndexConnection(statement)
        case .session:
            try await everywhere(statement)
            onIndexConnection(statement)
        case .data:
            guard applies else { return }
            let index = next
            next = (next + 1) % connections.count
            if inFlight[index].count >= Self.depth { try await inFlight[index].removeFirst().value }
            let connection = connections[index]
            // Chained, so one connection runs its statements in order.
            let previous = inFlight[index].last
            let recycled = self.recycled
            inFlight[index].append(
                Task {
                    _ = try? await previous?.value
                    try await Self.executeRetryingDeadlocks(statement, on: connection)
                    recycled.give(statement)
                })
        case .lockTables, .unlockTables:
            guard applies, !skipLocks else { return }
            try await first(statement)
        case .createDatabase:
            // Selected databases must exist already; the others are not wanted.
            guard databases.isEmpty else { return }
            try await first(statement)
        case .tableDDL(let table):
            guard applies else { return }
            if guardGalera, current == "mysql", DumpOptions.privilegeTables.contains(table) || table.hasPrefix("wsrep_")
            {
                throw RestoreError.galeraUnsafe(table: "mysql.\(table)")
            }
            // A foreign key needs its parent's indexes in place.
            if DeferredIndexes.contains(statement[...], " REFERENCES ") { try await indexesBuilt() }
            if deferIndexes, let split = DeferredIndexes(createTable: statement) {
                try await first(split.createTable)
                pendingIndexes = split.addIndexes
            } else {
                try await first(statement)
            }
        case .other:
            guard applies else { return }
            try await first(statement)
        }
    }

    /// Row data on two connections into one table can deadlock in InnoDB (seen once in CI: error 1213 on
    /// an INSERT). In autocommit mode the server rolled back just that statement, so it is run again,
    /// as myloader does; inside a transaction (a dump made with --no-autocommit) it is not, the error stands.
    static func executeRetryingDeadlocks(_ statement: [UInt8], on connection: MariaDBConnection) async throws {
        var attempt = 0
        while true {
            do {
                try await connection.execute(raw: statement)
                return
            } catch let error as MariaDBError where [1213, 1205].contains(error.code) && attempt < 8 {
                attempt += 1
                guard try await connection.query("SELECT @@autocommit").scalar.int == 1 else { throw error }
                try await Task.sleep(for: .milliseconds(10 * attempt))
            }
        }
    }

    /// Waits for every statement handed out; the first failure is thrown.
    public func finish() async throws {
        if pendingIndexes != nil { try await addPendingIndexes() }
        try await barrier()
        try await indexesBuilt()
    }

    private func addPendingIndexes() async throws {
        guard let statement = pendingIndexes else { return }
        pendingIndexes = nil
        guard indexConnection != nil else { return try await first(statement) }
        // The table's rows are all in; the next table loads while its indexes build.
        try await barrier()
        onIndexConnection(statement)
    }

    /// Queues a statement on the index connection's chain, after what was queued before.
    private func onIndexConnection(_ statement: [UInt8]) {
        guard let connection = indexConnection else { return }
        let previous = indexChain
        indexChain = Task {
            try await previous?.value
            try await connection.execute(raw: statement)
        }
    }

    private func indexesBuilt() async throws {
        guard let chain = indexChain else { return }
        try await chain.value
    }

    /// Whether a statement comes after the rows of the table being loaded: anything but row data,
    /// session settings, table locks and the `ALTER TABLE … DISABLE KEYS` and `ENABLE KEYS` around the
    /// rows. The ENABLE KEYS (a no-op in InnoDB) runs before the index build is queued: after it, it
    /// would wait for the whole build on the table's metadata lock, and the load with it.
    static func endsRows(_ kind: StatementKind, _ statement: [UInt8]) -> Bool {
        switch kind {
        case .data, .session, .lockTables, .unlockTables: return false
        case .other:
            let head = statement.prefix(400)
            return !DeferredIndexes.contains(head, " DISABLE KEYS") && !DeferredIndexes.contains(head, " ENABLE KEYS")
        default: return true
        }
    }

    private func barrier() async throws {
        var failure: (any Error)?
        for index in inFlight.indices {
            for task in inFlight[index] {
                do { try await task.value } catch { failure = failure ?? error }
            }
            inFlight[index] = []
        }
        if let failure { throw failure }
    }

    private func first(_ statement: [UInt8]) async throws {
        try await barrier()
        try await connections[0].execute(raw: statement)
    }

    private func everywhere(_ statement: [UInt8]) async throws {
        try await barrier()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { try await connection.execute(raw: statement) } }
            try await group.waitForAll()
        }
    }
}
