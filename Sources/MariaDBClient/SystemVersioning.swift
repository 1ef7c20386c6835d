/// The system-versioned tables of a server, as `schema.table`, and which of them keep transaction-precise
/// history (a BIGINT row-start column: only explicit period columns can be; an implicit row_start, not listed
/// in information_schema.COLUMNS, is a timestamp). One reading for preflight and backup.
public struct SystemVersionedTables: Sendable, Equatable {
    public var all: [String] = []
    public var transactionPrecise: [String] = []

    public init(all: [String] = [], transactionPrecise: [String] = []) {
        self.all = all
        self.transactionPrecise = transactionPrecise
    }

    /// Those whose history a logical backup can carry (timestamp-versioned).
    public var timestamp: [String] { all.filter { !transactionPrecise.contains($0) } }

    /// Table names for a message: the first five, then `…`.
    public static func shortList(_ tables: [String]) -> String {
        tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
    }
}

extension MariaDBConnection {
    /// `filter`: an SQL condition on the `TABLE_SCHEMA` column that picks the schemas.
    public func systemVersionedTables(filter: String) async throws -> SystemVersionedTables {
        SystemVersionedTables(
            all: try await query(
                "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES "
                    + "WHERE TABLE_TYPE = 'SYSTEM VERSIONED' AND \(filter) ORDER BY 1"
            ).rows.compactMap { $0[0].string },
            transactionPrecise: try await query(
                "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.COLUMNS "
                    + "WHERE GENERATION_EXPRESSION = 'ROW START' AND DATA_TYPE = 'bigint' "
                    + "AND \(filter) ORDER BY 1"
            ).rows.compactMap { $0[0].string })
    }
}
