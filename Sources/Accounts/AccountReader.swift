import MariaDBClient

/// Reads a server's accounts as the statements `AccountInventory.parse` takes: SHOW CREATE USER
/// and SHOW GRANTS for every user, CREATE ROLE and SHOW GRANTS for every role; and its
/// non-system databases.
public enum AccountReader {
    public static func statements(from connection: MariaDBConnection) async throws -> [String] {
        var statements: [String] = []
        let rows = try await connection.query("SELECT User, Host, is_role FROM mysql.user ORDER BY User, Host").rows
        for row in rows {
            guard let user = row[0].string, let host = row[1].string else { continue }
            if row[2].string == "Y" {
                guard
                    let grants = try await vanishing({
                        try await connection.query("SHOW GRANTS FOR \(SQLQuoting.identifier(user))")
                    })
                else { continue }
                statements.append("CREATE ROLE \(SQLQuoting.identifier(user))")
                statements += grants.rows.compactMap { $0[0].string }
                continue
            }
            let account = "\(connection.quote(user))@\(connection.quote(host))"
            guard let create = try await vanishing({ try await connection.query("SHOW CREATE USER \(account)") }),
                let grants = try await vanishing({ try await connection.query("SHOW GRANTS FOR \(account)") })
            else { continue }
            statements += create.rows.compactMap { $0[0].string } + grants.rows.compactMap { $0[0].string }
        }
        return statements
    }

    /// nil when the account was dropped after the list was read (error 1133, 1141 or 1396): a live
    /// server's accounts may change while they are read, and a gone account is no longer one to move.
    static func vanishing(_ query: () async throws -> ResultSet) async throws -> ResultSet? {
        do { return try await query() } catch let error as MariaDBError where [1133, 1141, 1396].contains(error.code) {
            return nil
        }
    }

    public static func databases(
        from connection: MariaDBConnection, only: [String] = []
    ) async throws -> [DatabaseDefinition] {
        try await connection.query(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                + "ORDER BY SCHEMA_NAME"
        ).rows.compactMap { row in
            guard let name = row[0].string, !SystemObjects.schemas.contains(name) else { return nil }
            guard only.isEmpty || only.contains(name) else { return nil }
            return DatabaseDefinition(
                name: name, characterSet: row[1].string ?? "utf8mb4", collation: row[2].string ?? "utf8mb4_general_ci")
        }
    }
}
