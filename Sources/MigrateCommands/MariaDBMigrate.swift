import ArgumentParser
import BuildInfo

/// The root command. One file per subcommand, each an extension of this type.
public struct MariaDBMigrate: AsyncParsableCommand {
    public static var version: String { BuildInfo.description }

    public static let configuration = CommandConfiguration(
        commandName: "mariadb-migrate",
        abstract: "Move a MariaDB server into the MariaDB operator: survey, back up, restore, write the manifests.",
        discussion: """
            Automates the operator's logical-backup migration runbook. Connection settings come from flags, \
            then MARIADB_HOST / MARIADB_PORT / MARIADB_USER / MARIADB_PASSWORD, then --defaults-file. \
            Passwords are never taken on the command line: use --password-file, the environment, an option \
            file or --ask-password.
            """,
        version: version,
        subcommands: [
            Migrate.self, Inspect.self, PreflightCommand.self, Scan.self, Backup.self, List.self, Restore.self,
            Verify.self, Replicate.self, Cutover.self, Manifests.self, Users.self,
            Storage.self,
        ]
    )

    public init() {}
}
