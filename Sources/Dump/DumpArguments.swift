/// The `mariadb-dump` argument list, built the operator's way with this tool's Galera fix. Pure.
public struct DumpOptions: Sendable, Equatable {
    /// Empty means `--all-databases`.
    public var databases: [String]
    /// The source or the target is Galera: `--skip-add-locks` (Galera refuses LOCK TABLES).
    public var galera: Bool
    /// Leave the privilege tables out (accounts travel as User/Grant CRs). Default: on for Galera,
    /// as the operator's `ignoreGlobalPriv`.
    public var ignoreGlobalPrivileges: Bool?
    /// Reproduce the operator's exact flags (only `mysql.global_priv` ignored).
    public var operatorFlags: Bool
    /// The user's extra arguments (the operator's `args`), appended in order.
    public var extraArguments: [String]
    /// Record the binlog file/offset and GTID of the snapshot as comments (`--master-data=2
    /// --gtid`); MariaDB takes them from the consistent snapshot without a global read lock.
    public var binlogPosition: Bool
    /// Dump in the binary character set (`--default-character-set=binary`): rows travel as stored,
    /// with no conversion on either server and mariadb-dump's single-byte escaping, about half its CPU.
    /// Only for sources whose table definitions are ASCII (`BinaryDumpGuard` says why).
    public var binaryCharacterSet: Bool
    /// Dump the history of system-versioned tables too (`--dump-history`: every row FOR SYSTEM_TIME ALL with
    /// its row start and end, restored under `system_versioning_insert_history`). mariadb-dump refuses it for
    /// a transaction-precise table, so the backup sets it only when the dump holds none.
    public var dumpHistory = false

    public init(
        databases: [String] = [], galera: Bool = false, ignoreGlobalPrivileges: Bool? = nil,
        operatorFlags: Bool = false, extraArguments: [String] = [], binlogPosition: Bool = false,
        binaryCharacterSet: Bool = false
    ) {
        self.binaryCharacterSet = binaryCharacterSet
        self.databases = databases
        self.galera = galera
        self.ignoreGlobalPrivileges = ignoreGlobalPrivileges
        self.operatorFlags = operatorFlags
        self.extraArguments = extraArguments
        self.binlogPosition = binlogPosition
    }

    /// Every privilege table of the `mysql` schema. They are Aria tables: restored on one Galera
    /// node they stay there, and the later CREATE USER/ROLE of the same accounts fails with 1396.
    public static let privilegeTables = [
        "global_priv", "db", "tables_priv", "columns_priv", "procs_priv", "proxies_priv", "roles_mapping",
    ]

    public var ignoresPrivileges: Bool { ignoreGlobalPrivileges ?? galera }

    /// The mysql schema's tables whose rows the dump makes again by statements: proc and event in its routine
    /// and event sections, plugin in its preface (`DumpPreface`).
    public static let recreatedSystemTables = ["proc", "event", "plugin"]

    /// The dump holds the mysql schema: all databases, or mysql named.
    public var dumpsMySQLSchema: Bool { databases.isEmpty || databases.contains("mysql") }

    /// The dump holds the mysql schema's privilege tables: all databases, or mysql named.
    public var carriesPrivilegeTables: Bool { !ignoresPrivileges && (databases.isEmpty || databases.contains("mysql")) }

    /// mariadb-dump options that choose tables or shape definitions but leave every data section as
    /// it is, so this tool may still read the rows (any other extra argument leaves them to
    /// mariadb-dump): by name, `_` read as `-`, as mariadb-dump does.
    static let rowNeutralOptions: Set<String> = [
        "--verbose", "-v", "--quick", "-q", "--max-allowed-packet", "--ignore-table", "--ignore-database",
        "--triggers", "--skip-triggers", "--add-drop-database", "--add-drop-table", "--skip-add-drop-table",
        "--add-drop-trigger", "--no-create-db", "-n", "--skip-dump-date",
    ]

    /// The first extra argument that may change a data section, or nil when none does. Pure.
    public var firstRowShapingArgument: String? {
        extraArguments.first { argument in
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            let normal = name.hasPrefix("--") ? "--" + name.dropFirst(2).replacingOccurrences(of: "_", with: "-") : name
            return !Self.rowNeutralOptions.contains(normal)
        }
    }

    /// `defaultsExtraFile` (the 0600 credentials file) must come first, as mariadb-dump requires.
    public func arguments(defaultsExtraFile: String) throws(DumpOptionsError) -> [String] {
        for database in databases where database.isEmpty || database.contains("\0") || database.hasPrefix("-") {
            throw .invalidDatabase(database)
        }
        for argument in extraArguments {
            guard argument.hasPrefix("-") else { throw .notAnOption(argument) }
            // Only the option's name goes into the error: `-psecret` must not echo the password.
            var name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if !name.hasPrefix("--"), name.count > 2 { name = String(name.prefix(2)) }
            if [
                "--password", "-p", "--user", "-u", "--host", "-h", "--defaults-file", "--defaults-extra-file",
                "--result-file", "-r",
            ].contains(name) {
                throw .forbidden(name)
            }
        }
        var arguments = [
            "--defaults-extra-file=\(defaultsExtraFile)", "--single-transaction", "--events", "--routines",
        ]
        if databases.isEmpty {
            arguments.append("--all-databases")
        } else {
            arguments.append("--databases")
            arguments += databases
        }
        if binlogPosition && !operatorFlags { arguments += ["--master-data=2", "--gtid"] }
        if binaryCharacterSet && !operatorFlags { arguments.append("--default-character-set=binary") }
        if galera { arguments.append("--skip-add-locks") }
        if dumpHistory && !operatorFlags { arguments.append("--dump-history") }
        if ignoresPrivileges {
            let tables = operatorFlags ? ["global_priv"] : Self.privilegeTables
            arguments += tables.map { "--ignore-table=mysql.\($0)" }
        } else if carriesPrivilegeTables && !operatorFlags {
            // Without it the accounts loaded into mysql.global_priv are not in force until the server restarts
            // (SHOW GRANTS: error 1141), after `mariadb < file` as after any restore.
            arguments.append("--flush-privileges")
        }
        if dumpsMySQLSchema && !operatorFlags {
            // The routine and event sections create every routine and event again. Loaded as rows as well, a
            // routine is there when its section's DROP PROCEDURE IF EXISTS runs, and dropping it revokes its
            // grants (automatic_sp_privileges): a whole-server restore lost every GRANT EXECUTE ON PROCEDURE.
            arguments += Self.recreatedSystemTables.map { "--ignore-table=mysql.\($0)" }
        }
        // The user's arguments go after ours, repeats (several --ignore-table=) kept; only an
        // argument identical to one of ours is dropped.
        for argument in extraArguments where !arguments.contains(argument) { arguments.append(argument) }
        return arguments
    }
}

public enum DumpOptionsError: Error, Equatable, Sendable {
    case invalidDatabase(String)
    case notAnOption(String)
    case forbidden(String)
}
