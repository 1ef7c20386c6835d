import MariaDBClient

/// Which tables' rows this tool reads itself and which it leaves to mariadb-dump, decided from
/// information_schema. Pure.
public struct RowDumpPlan: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Rows read over the snapshot connection, written as mariadb-dump would.
        case rows
        /// mariadb-dump writes no rows for it either (a view; a log table).
        case noData
        /// Rows mariadb-dump writes in a way of its own (a sequence's SETVAL, a column list for
        /// invisible columns, system versioning, a federated engine): the whole dump stays with
        /// mariadb-dump. Generated columns are not of them: mariadb-dump writes their values like
        /// any other column's (`SELECT *`), and a restore ignores them.
        case unsupported(String)
    }

    public struct Table: Sendable, Hashable {
        public var database: [UInt8]
        public var name: [UInt8]

        public init(database: [UInt8], name: [UInt8]) {
            self.database = database
            self.name = name
        }

        public init(database: String, name: String) {
            self.init(database: Array(database.utf8), name: Array(name.utf8))
        }

        /// `database.name`, for messages.
        public var description: String {
            String(decoding: database, as: UTF8.self) + "." + String(decoding: name, as: UTF8.self)
        }

        /// The name for SQL, both parts quoted.
        public var sql: String {
            SQLQuoting.identifier(String(decoding: database, as: UTF8.self)) + "."
                + SQLQuoting.identifier(String(decoding: name, as: UTF8.self))
        }
    }

    /// One row of `information_schema.TABLES`, and whether the table has an invisible column.
    public struct Listing: Sendable, Equatable {
        public var database: String
        public var name: String
        public var type: String
        public var engine: String
        public var invisibleColumns: Bool

        public init(database: String, name: String, type: String, engine: String, invisibleColumns: Bool) {
            self.database = database
            self.name = name
            self.type = type
            self.engine = engine
            self.invisibleColumns = invisibleColumns
        }
    }

    public private(set) var kinds: [Table: Kind] = [:]

    public init(_ listings: [Listing]) {
        for listing in listings {
            kinds[Table(database: listing.database, name: listing.name)] = Self.kind(of: listing)
        }
    }

    /// The first table that keeps the dump with mariadb-dump, and why; nil when every table's
    /// rows can be read here.
    public var unsupported: String? {
        kinds.compactMap { table, kind -> String? in
            guard case .unsupported(let why) = kind else { return nil }
            return
                "\(table.description) (\(why))"
        }.min()
    }

    public func kind(of table: Table) -> Kind? { kinds[table] }

    /// Engines whose rows mariadb-dump skips or treats apart (its MED_ENGINES, and S3).
    static let enginesApart: Set<String> = [
        "MRG_MYISAM", "MRG_ISAM", "CONNECT", "OQGRAPH", "SPIDER", "VP", "FEDERATED", "S3",
    ]
    /// Written as CREATE TABLE IF NOT EXISTS, without rows.
    static let logTables: Set<String> = ["general_log", "slow_log", "transaction_registry"]

    static func kind(of listing: Listing) -> Kind {
        // mariadb-dump's comments carry the name; one with a control character is rewritten there.
        if (listing.database + listing.name).utf8.contains(where: { $0 < 0x20 }) {
            return .unsupported("a control character in its name")
        }
        switch listing.type {
        case "VIEW": return .noData
        case "BASE TABLE":
            if listing.database.lowercased() == "mysql" && logTables.contains(listing.name.lowercased()) {
                return .noData
            }
            if enginesApart.contains(listing.engine.uppercased()) { return .unsupported("engine \(listing.engine)") }
            if listing.invisibleColumns { return .unsupported("invisible columns") }
            return .rows
        default:
            return .unsupported(listing.type.lowercased())
        }
    }
}
