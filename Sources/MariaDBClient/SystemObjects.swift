/// What belongs to the server rather than to the application: left out of surveys, comparisons
/// and account conversion alike.
public enum SystemObjects {
    public static let schemas: Set<String> = ["mysql", "information_schema", "performance_schema", "sys", toolSchema]

    /// Where a restore keeps its progress on the target (resumable restore); gone when it ends.
    public static let toolSchema = "_mariadb_migrate"

    /// The invisible primary key column the invisible-pk fix adds to a table without a key (issue #31).
    public static let addedKeyColumn = "_mariadb_migrate_id"

    /// The account `replicate` makes on the source for a live migration (its default name).
    public static let replicationAccount = "mariadb_migrate_repl"

    /// Account names this tool makes for its own use, with what for: `verify` leaves them out and says so.
    public static let toolAccounts: [String: String] = [
        replicationAccount: "the account replicate made on the source for the live migration"
    ]

    /// Accounts every operator-managed server has (`user@host`), so a definer naming them resolves there.
    public static let presentOnEveryTarget: Set<String> = ["root@localhost", "root@%", "mariadb.sys@localhost"]

    /// Account names a server (or the operator) owns, with why they are not migrated.
    public static let accounts: [String: String] = [
        "root": "the MariaDB CR's rootPasswordSecretKeyRef manages root",
        "mariadb.sys": "a system account of the server",
        "mysql": "the Debian package's socket administrator",
        "PUBLIC": "the server's PUBLIC role",
        "healthcheck": "the container image's health check account",
        "repl": "the operator's replication account",
        "": "anonymous accounts do not fit a User CR",
    ]
}
