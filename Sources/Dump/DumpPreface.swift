import MariaDBClient

/// What a dump makes first, before its databases, so that `mariadb < file` (the operator's bootstrap) and this
/// tool's restore both end with everything in force. Two parts, each only when it applies:
/// - the source's plugins, for a dump of the mysql schema: its rows of mysql.plugin, loaded as rows, name
///   plugins the target loads only at its next restart (an account of an ed25519 source cannot log in until
///   then), so the dump leaves those rows out and installs each plugin instead, skipping one whose library the
///   target lacks, as the rows would have;
/// - the accounts the dump's views, routines, triggers and events run as (their DEFINERs), for a dump that
///   leaves the privilege tables out (Galera rules, or named databases). mariadb-dump writes a view over a view
///   last, and creating it opens the inner view as its definer: without that account and its rights the
///   restore stops with error 1449 or 1356, and the User and Grant CRs come only after. So the dump creates
///   those accounts first (`CREATE USER IF NOT EXISTS` with the source's authentication) with their global and
///   database grants (a table, column or routine grant needs its object, which does not exist yet; those come
///   with the accounts step as before).
public enum DumpPreface {
    /// One plugin of the source's mysql.plugin.
    public struct Plugin: Equatable, Sendable {
        public var name: String
        public var library: String

        public init(name: String, library: String) {
            self.name = name
            self.library = library
        }
    }

    /// One compound statement that installs each plugin unless it is there, and goes on past a library the
    /// server lacks. Pure.
    public static func pluginStatement(_ plugins: [Plugin]) -> String? {
        guard !plugins.isEmpty else { return nil }
        let installs = plugins.map { plugin in
            let name = SQLQuoting.identifier(plugin.name)
            return "  INSTALL PLUGIN IF NOT EXISTS \(name) SONAME \(SQLQuoting.literal(plugin.library));\n"
        }
        return "BEGIN NOT ATOMIC\n  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;\n" + installs.joined() + "END"
    }

    /// The statements for one definer account, from its `SHOW CREATE USER` and `SHOW GRANTS` lines. Pure.
    public static func accountStatements(createUser: String, grants: [String]) -> [String] {
        var statements: [String] = []
        let prefix = "CREATE USER "
        if createUser.hasPrefix(prefix), !createUser.dropFirst(prefix.count).hasPrefix("IF NOT EXISTS ") {
            statements.append(prefix + "IF NOT EXISTS " + createUser.dropFirst(prefix.count))
        } else {
            statements.append(createUser)
        }
        return statements + grants.filter(grantsWithoutObject)
    }

    /// Whether a SHOW GRANTS line grants privileges on `*.*` or `` `db`.* `` (not USAGE or PROXY, not a role,
    /// not a table, column or routine): those run before the databases exist.
    static func grantsWithoutObject(_ line: String) -> Bool {
        guard line.hasPrefix("GRANT "), let on = outsideQuotes(line, find: " ON "),
            let to = outsideQuotes(line, find: " TO ", from: on.upperBound)
        else { return false }
        let privileges = line[line.index(line.startIndex, offsetBy: 6)..<on.lowerBound]
        guard privileges != "USAGE", privileges != "PROXY", !privileges.contains("(") else { return false }
        let object = line[on.upperBound..<to.lowerBound]
        return object.hasSuffix(".*") && !object.hasPrefix("PROCEDURE ") && !object.hasPrefix("FUNCTION ")
            && !object.hasPrefix("PACKAGE ")
    }

    /// The first `needle` in `text` from `start` that is not inside backticks or quotes.
    static func outsideQuotes(_ text: String, find needle: String, from start: String.Index? = nil)
        -> Range<String.Index>?
    {
        var quote: Character?
        var index = start ?? text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "`" || character == "'" || character == "\"" {
                quote = character
            } else if text[index...].hasPrefix(needle) {
                return index..<text.index(index, offsetBy: needle.count)
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// The preface's text: for each part a comment that says why, then its statements. Empty when there are
    /// none. Pure.
    public static func text(plugins: [Plugin], accounts: [String]) -> [UInt8] {
        var text = ""
        if let install = pluginStatement(plugins) {
            text += """
                --
                -- The source's plugins (written by mariadb-migrate): installed here rather than loaded as rows of
                -- mysql.plugin, which take effect only at the server's next restart
                --

                DELIMITER ;;
                \(install) ;;
                DELIMITER ;

                """
        }
        if !accounts.isEmpty {
            text += """
                --
                -- The accounts the views, routines, triggers and events below run as (written by mariadb-migrate):
                -- created first, with their global and database grants, as this dump leaves the privilege tables out
                --

                """
            text += accounts.map { $0 + ";\n" }.joined() + "\n"
        }
        // A blank line apart from the header line it follows.
        return text.isEmpty ? [] : Array(("\n" + text).utf8)
    }

    /// Reads what the preface of a dump with `options` holds from the source: its plugins when the dump holds
    /// the mysql schema, and the definers of the dumped databases that are accounts on the source (the
    /// server's own accounts left out, `SystemObjects.accounts`: the target has its own) when it leaves the
    /// privilege tables out. Nothing for the operator's exact flags.
    public static func read(from connection: MariaDBConnection, options: DumpOptions) async throws
        -> (plugins: [Plugin], accounts: [String])
    {
        guard !options.operatorFlags else { return ([], []) }
        var plugins: [Plugin] = []
        if options.dumpsMySQLSchema {
            plugins = try await connection.query("SELECT name, dl FROM mysql.plugin ORDER BY name").rows.map {
                Plugin(name: $0[0].string ?? "", library: $0[1].string ?? "")
            }
        }
        guard !options.carriesPrivilegeTables else { return (plugins, []) }
        let databases = options.databases
        let scope =
            databases.isEmpty
            ? "NOT IN (" + SystemObjects.schemas.sorted().map(SQLQuoting.literal).joined(separator: ", ") + ")"
            : "IN (" + databases.map(SQLQuoting.literal).joined(separator: ", ") + ")"
        let definers = try await connection.query(
            """
            SELECT DISTINCT DEFINER FROM (
              SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA \(scope)
              UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA \(scope)
              UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA \(scope)
              UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA \(scope)) d
            ORDER BY DEFINER
            """
        ).rows.compactMap { $0[0].string }
        var accounts: [String] = []
        for definer in definers {
            // user@host, the host after the last @ (a user name may hold one).
            guard let at = definer.lastIndex(of: "@") else { continue }
            let user = String(definer[..<at])
            guard SystemObjects.accounts[user] == nil else { continue }
            let account =
                SQLQuoting.literal(user) + "@" + SQLQuoting.literal(String(definer[definer.index(after: at)...]))
            // A definer that is not an account (dropped since, or a role) has nothing to carry.
            guard let create = try? await connection.query("SHOW CREATE USER \(account)").scalar.string else {
                continue
            }
            let grants = try await connection.query("SHOW GRANTS FOR \(account)").rows.compactMap { $0[0].string }
            accounts += accountStatements(createUser: create, grants: grants)
        }
        return (plugins, accounts)
    }
}

/// Puts a preface into a mariadb-dump stream once, where the header's session settings are in force and no
/// database has begun: after the header's `SET @OLD_SQL_NOTES` line (its last), or before the first database
/// if that comes first. Pure; fed chunk by chunk; a chunk after the insertion passes as it is.
public struct PrefaceInserter {
    private var preface: [UInt8]?
    private var partialLine: [UInt8] = []

    public init(preface: [UInt8]) { self.preface = preface.isEmpty ? nil : preface }

    private static let after = Array("/*!40111 SET @OLD_SQL_NOTES=".utf8)
    private static let before = ["-- Current Database: ", "CREATE DATABASE ", "USE "].map { Array($0.utf8) }

    public mutating func consume(_ chunk: [UInt8]) -> [UInt8] {
        guard let preface else { return chunk }
        var output: [UInt8] = []
        var lineStart = 0
        for index in chunk.indices where chunk[index] == UInt8(ascii: "\n") {
            let line = partialLine + chunk[lineStart...index]
            partialLine = []
            lineStart = index + 1
            if Self.before.contains(where: { line.starts(with: $0) }) {
                output += preface + line
            } else if line.starts(with: Self.after) {
                output += line + preface
            } else {
                output += line
                continue
            }
            self.preface = nil
            return output + chunk[lineStart...]
        }
        partialLine += chunk[lineStart...]
        return output
    }

    /// What is left at the end of the stream: a last line without its newline (the preface is dropped if the
    /// stream never had a place for it: such a dump has no database to restore).
    public mutating func finish() -> [UInt8] {
        defer { partialLine = [] }
        return partialLine
    }
}

/// A dump source with this tool's rewrites of mariadb-dump's output: the final views in dependency order
/// (`FinalViewOrder`, when the rows come from mariadb-dump; `SplicedDump` orders its definitions itself) and the
/// preface (`PrefaceInserter`).
public final class RewrittenDump: DumpSource, @unchecked Sendable {
    private let inner: any DumpSource
    private var viewOrder: FinalViewOrder?
    private var inserter: PrefaceInserter
    private var ended = false

    public init(_ inner: any DumpSource, preface: [UInt8], orderViews: Bool) {
        self.inner = inner
        inserter = PrefaceInserter(preface: preface)
        viewOrder = orderViews ? FinalViewOrder() : nil
    }

    public func read() async throws -> [UInt8]? {
        while !ended {
            guard let chunk = try await inner.read() else {
                ended = true
                let rest = inserter.consume(viewOrder?.finish() ?? []) + inserter.finish()
                return rest.isEmpty ? nil : rest
            }
            let output = inserter.consume(viewOrder?.consume(chunk) ?? chunk)
            if !output.isEmpty { return output }
        }
        return nil
    }

    public func recycle(_ chunk: consuming [UInt8]) { inner.recycle(chunk) }
}
