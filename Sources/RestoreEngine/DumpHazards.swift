import Dump
import Foundation
import MariaDBClient
import Preflight

/// The Galera hazards in a dump's statements, found as they stream by: writes to the mysql
/// privilege tables and wsrep tables, LOCK TABLES, tables not on InnoDB and tables without a
/// primary key. Holds names only, so memory stays flat whatever the dump's size. Pure.
public struct DumpHazardScanner: Sendable {
    private var current: String?
    private var privilegeWrites = Set<String>()
    private var wsrepWrites = Set<String>()
    private var locks = 0
    private var notInnoDB: [String: String] = [:]
    private var withoutKey = Set<String>()
    public private(set) var statements = 0

    public init() {}

    public mutating func consume(_ statement: [UInt8]) {
        statements += 1
        let kind = StatementKind(statement)
        switch kind {
        case .use(let database):
            current = database
        case .lockTables:
            locks += 1
        case .data:
            if let target = Self.insertTarget(statement) { note(write: target.table, in: target.database ?? current) }
        case .tableDDL(let table):
            note(write: table, in: current)
            let text = String(decoding: statement, as: UTF8.self)
            guard Self.isCreateTable(text), let database = current, !SystemObjects.schemas.contains(database) else {
                return
            }
            let qualified = "\(database).\(table)"
            if let engine = Self.engine(text), engine.lowercased() != "innodb" { notInnoDB[qualified] = engine }
            // A NOT NULL unique key serves as the primary key (the invisible-pk fix keeps it so).
            switch DefinitionFixes.servingKey(text) {
            case .missing: withoutKey.insert(qualified)
            case nil: if !text.uppercased().contains("PRIMARY KEY") { withoutKey.insert(qualified) }
            case .primary, .notNullUnique: break
            }
        default:
            break
        }
    }

    private mutating func note(write table: String, in database: String?) {
        guard database == "mysql" else { return }
        if DumpOptions.privilegeTables.contains(table) { privilegeWrites.insert("mysql.\(table)") }
        if table.hasPrefix("wsrep_") { wsrepWrites.insert("mysql.\(table)") }
    }

    /// The findings for a Galera target, blockers first.
    public func findings() -> [Finding] {
        var findings: [Finding] = []
        if !privilegeWrites.isEmpty {
            findings.append(
                Finding(
                    .blocker, "privilege-tables",
                    "the dump writes mysql privilege tables, which Galera does not replicate: their rows would stay on "
                        + "one node, and the accounts' later CREATE USER fails there with error 1396",
                    objects: Array(privilegeWrites),
                    fix:
                        "re-dump with 'mariadb-migrate backup --galera' (all seven privilege tables left out) and move "
                        + "the accounts with 'mariadb-migrate users'"))
        }
        if !wsrepWrites.isEmpty {
            findings.append(
                Finding(
                    .blocker, "wsrep-tables",
                    "the dump writes mysql.wsrep_* tables: restored into Galera they break the cluster's own state",
                    objects: Array(wsrepWrites),
                    fix: "re-dump the application databases only (--database), or leave them out with --ignore-table"))
        }
        if !notInnoDB.isEmpty {
            findings.append(
                Finding(
                    .blocker, "non-innodb",
                    "the dump creates tables not on InnoDB: Galera replicates only InnoDB",
                    objects: notInnoDB.map { "\($0.key) (\($0.value))" },
                    fix: "change them on the source (ALTER TABLE … ENGINE=InnoDB) and take a new backup, or write a "
                        + "fixed copy of this one: mariadb-migrate scan NAME --fix innodb"))
        }
        if !withoutKey.isEmpty {
            findings.append(
                Finding(
                    .blocker, "no-primary-key",
                    "the dump creates tables without a primary key: Galera needs one to apply row events",
                    objects: Array(withoutKey),
                    fix: "add a PRIMARY KEY on the source and take a new backup, or write a fixed copy of this one: "
                        + "mariadb-migrate scan NAME --fix invisible-pk"))
        }
        if locks > 0 {
            findings.append(
                Finding(
                    .warning, "lock-tables",
                    "the dump has \(locks) LOCK TABLES statement\(locks == 1 ? "" : "s"), which Galera does not "
                        + "support: "
                        + "mariadb-migrate's restore skips them, the operator's does not",
                    fix: "re-dump with --skip-add-locks ('mariadb-migrate backup --galera' adds it)"))
        }
        return findings
    }

    /// `INSERT INTO `t` …`, `REPLACE INTO t …`, `INSERT IGNORE INTO `db`.`t` …`: the table and,
    /// when the name is qualified, its database.
    static func insertTarget(_ statement: [UInt8]) -> (database: String?, table: String)? {
        var text = Substring(String(decoding: statement.prefix(300), as: UTF8.self)).drop { $0.isWhitespace }
        if text.hasPrefix("/*!") { text = text.drop { $0 != "!" }.dropFirst().drop { $0.isNumber } }
        let words = ["INSERT", "REPLACE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"]
        var moved = true
        while moved {
            moved = false
            text = text.drop { $0.isWhitespace }
            for word in words where text.uppercased().hasPrefix(word) {
                let after = text.dropFirst(word.count)
                if after.first.map({ $0.isWhitespace || $0 == "`" }) ?? false {
                    text = after
                    moved = true
                }
            }
        }
        let trimmed = text.drop { $0.isWhitespace }
        let name =
            trimmed.first == "`"
            ? StatementKind.identifier(trimmed) : String(trimmed.prefix { $0 != "." && !$0.isWhitespace && $0 != "(" })
        guard !name.isEmpty else { return nil }
        // `db`.`t`: the name after the dot is the table's. The first name's end is found past its quotes.
        var rest = text.drop { $0.isWhitespace }
        if rest.first == "`" {
            rest = rest.dropFirst()
            while let quote = rest.firstIndex(of: "`") {
                rest = rest[rest.index(after: quote)...]
                if rest.first == "`" { rest = rest.dropFirst() } else { break }
            }
        } else {
            rest = rest.drop { $0 != "." && !$0.isWhitespace && $0 != "(" }
        }
        if rest.first == "." { return (name, StatementKind.identifier(rest.dropFirst())) }
        return (nil, name)
    }

    static func isCreateTable(_ text: String) -> Bool {
        var rest = Substring(text).drop { $0.isWhitespace }
        if rest.hasPrefix("/*!") {
            rest = rest.drop { $0 != "!" }.dropFirst().drop { $0.isNumber }.drop { $0.isWhitespace }
        }
        return rest.uppercased().hasPrefix("CREATE TABLE")
    }

    /// The table option `ENGINE=X` after the column list, as written.
    static func engine(_ text: String) -> String? {
        guard let close = text.lastIndex(of: ")"),
            let range = text.range(of: "ENGINE", options: .caseInsensitive, range: close..<text.endIndex)
        else { return nil }
        let name = text[range.upperBound...].drop { $0 == " " || $0 == "=" }.prefix {
            $0.isLetter || $0.isNumber || $0 == "_"
        }
        return name.isEmpty ? nil : String(name)
    }
}
