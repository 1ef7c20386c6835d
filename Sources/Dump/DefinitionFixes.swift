import Foundation
import MariaDBClient

/// The fixes a dump can carry so that a source Galera would refuse moves into a cluster without an
/// `ALTER TABLE` on the source (issue #31): they rewrite definitions as mariadb-dump prints them,
/// never rows. One table: the flag's values, their help and the preflight rules each one covers.
public enum DumpFix: String, CaseIterable, Codable, Sendable {
    case innodb
    case invisiblePrimaryKey = "invisible-pk"
    case definers

    /// What the fix does, for `--fix`'s help and the wizard's offer.
    public var help: String {
        switch self {
        case .innodb:
            return "tables of MyISAM, Aria, MEMORY, CSV or ARCHIVE become InnoDB; options InnoDB has no use for "
                + "(PAGE_CHECKSUM, TRANSACTIONAL, ROW_FORMAT=FIXED|PAGE, DELAY_KEY_WRITE, CHECKSUM, PACK_KEYS, "
                + "KEY_BLOCK_SIZE, DATA/INDEX DIRECTORY) are dropped and named"
        case .invisiblePrimaryKey:
            return "a table without a primary key gets an invisible BIGINT UNSIGNED AUTO_INCREMENT column "
                + "`\(DefinitionFixes.addedKeyColumn)` as its key (the rows' INSERTs stay as dumped); a table "
                + "with a NOT NULL unique key keeps it as its key, unchanged"
        case .definers:
            return "DEFINER=`user`@`host` of views, routines, triggers and events that names an account the "
                + "migration does not carry is rewritten to the given account"
        }
    }

    /// The preflight rule (`Finding.rule`) whose blocker this fix lifts.
    public var covers: String {
        switch self {
        case .innodb: return "non-innodb"
        case .invisiblePrimaryKey: return "no-primary-key"
        case .definers: return "definer"
        }
    }

    /// `innodb,invisible-pk` → the fixes; throws naming an unknown one.
    public static func parse(_ list: String) throws(DefinitionFixError) -> [DumpFix] {
        var fixes: [DumpFix] = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let fix = DumpFix(rawValue: name) else { throw .unknownFix(name) }
            if !fixes.contains(fix) { fixes.append(fix) }
        }
        return fixes
    }
}

public enum DefinitionFixError: Error, LocalizedError, Equatable, Sendable {
    case unknownFix(String)
    /// The operator's exact flags promise mariadb-dump's own output: no rewrite fits them.
    case withOperatorFlags
    /// The engine cannot become InnoDB by a rewrite (its rows are not in the dump, or it is not a table).
    case engine(table: String, engine: String, reason: String)
    /// Something of the table InnoDB refuses.
    case innodbRefuses(table: String, reason: String)
    case addedColumnClash(table: String)
    case autoIncrementWithoutKey(table: String, column: String)

    public var errorDescription: String? { message }

    public var message: String {
        switch self {
        case .unknownFix(let name):
            return "unknown fix '\(name)': give some of " + DumpFix.allCases.map(\.rawValue).joined(separator: ", ")
        case .withOperatorFlags:
            return "--fix rewrites the dump, --operator-flags keeps it exactly as the operator's mariadb-dump "
                + "writes it: drop one of them"
        case .engine(let table, let engine, let reason):
            return "\(table) is \(engine), which the innodb fix cannot convert: \(reason)"
        case .innodbRefuses(let table, let reason):
            return "\(table) cannot become InnoDB: \(reason); convert it on the source or leave it out"
        case .addedColumnClash(let table):
            return "\(table) already has a column `\(DefinitionFixes.addedKeyColumn)`: the invisible-pk fix "
                + "cannot add its key column; give the table a primary key on the source"
        case .autoIncrementWithoutKey(let table, let column):
            return "\(table) has the AUTO_INCREMENT column `\(column)` but no primary key: an added key column "
                + "cannot be AUTO_INCREMENT too; make `\(column)`'s key the primary key on the source"
        }
    }
}

/// A rewritten definition and what changed in it, for the report and the manifest.
public struct FixedDefinition: Equatable, Sendable {
    public var text: String
    public var notes: [String]
}

/// The rewrites, on one `CREATE TABLE` statement as mariadb-dump prints it: a line per column and
/// key, the table options on the line that starts with `)`, partitioning after them. Pure.
public enum DefinitionFixes {
    public static var addedKeyColumn: String { SystemObjects.addedKeyColumn }
    static let convertible: Set<String> = ["MYISAM", "ARIA", "MEMORY", "HEAP", "CSV", "ARCHIVE"]
    static let refused: [String: String] = [
        "MRG_MYISAM": "a MERGE table holds no rows of its own; convert its parts and make it a view",
        "MERGE": "a MERGE table holds no rows of its own; convert its parts and make it a view",
        "FEDERATED": "its rows live on another server", "CONNECT": "its rows live outside the server",
        "BLACKHOLE": "it keeps no rows", "SPIDER": "its rows live on other servers",
        "SEQUENCE": "a sequence is not a table of rows", "S3": "its rows live in S3, read-only",
    ]
    /// Table options of other engines that InnoDB rejects, ignores or reads otherwise.
    static let droppedOptions = [
        "PAGE_CHECKSUM", "TRANSACTIONAL", "DELAY_KEY_WRITE", "CHECKSUM", "PACK_KEYS", "KEY_BLOCK_SIZE",
        "DATA DIRECTORY", "INDEX DIRECTORY",
    ]

    /// The statement split into its head (`CREATE TABLE … (`), its column and key lines, and the rest
    /// (the options line and what follows).
    struct Parts {
        var head: String
        var lines: [String]
        var tail: String

        init?(_ text: String) {
            let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let open = all.firstIndex(where: { $0.hasPrefix("CREATE TABLE ") && $0.hasSuffix(" (") }),
                let close = all.lastIndex(where: { $0.hasPrefix(")") }), close > open
            else { return nil }
            head = all[...open].joined(separator: "\n")
            lines = all[(open + 1)..<close].map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
            tail = all[close...].joined(separator: "\n")
        }

        var text: String {
            head + "\n" + lines.joined(separator: ",\n") + "\n" + tail
        }

        static let keyPrefixes = [
            "  PRIMARY KEY ", "  UNIQUE KEY ", "  KEY ", "  FULLTEXT KEY ", "  SPATIAL KEY ", "  CONSTRAINT ",
            "  INDEX ", "  UNIQUE INDEX ", "  PERIOD FOR ",
        ]
        var keyStart: Int {
            lines.firstIndex { line in Self.keyPrefixes.contains { line.hasPrefix($0) } } ?? lines.count
        }
        var columns: ArraySlice<String> { lines[..<keyStart] }
        var keys: ArraySlice<String> { lines[keyStart...] }

        /// The options line, the part after `)`.
        var options: String { String(tail.split(separator: "\n", maxSplits: 1).first ?? "") }
        var afterOptions: String {
            let split = tail.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            return split.count > 1 ? "\n" + split[1] : ""
        }
    }

    /// The column's name from its definition line (backquoted, backquotes doubled inside).
    static func columnName(_ line: String) -> String? {
        var characters = Substring(line.drop { $0 == " " })
        guard characters.first == "`" else { return nil }
        characters = characters.dropFirst()
        var name = ""
        while let character = characters.first {
            characters = characters.dropFirst()
            if character == "`" {
                if characters.first == "`" {
                    name.append("`")
                    characters = characters.dropFirst()
                } else {
                    return name
                }
            } else {
                name.append(character)
            }
        }
        return nil
    }

    /// The options line cut into options: `NAME=value` (a quoted value may hold spaces) or `DEFAULT
    /// CHARSET=…`, `DATA DIRECTORY='…'`. Pure.
    static func options(_ line: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quote: Character?
        let chars = Array(line.drop { $0 == ")" || $0 == " " })
        var index = 0
        while index < chars.count {
            let character = chars[index]
            if let open = quote {
                current.append(character)
                if character == open {
                    if index + 1 < chars.count && chars[index + 1] == open {
                        current.append(open)
                        index += 1
                    } else {
                        quote = nil
                    }
                }
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == " " && current.contains("=") {
                result.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index += 1
        }
        if !current.isEmpty { result.append(current.hasSuffix(";") ? String(current.dropLast()) : current) }
        return result
    }

    static func optionName(_ option: String) -> String {
        String(option.prefix { $0 != "=" }).uppercased()
    }

    static func value(_ option: String) -> String { String(option.drop { $0 != "=" }.dropFirst()) }

    /// `innodb`: the engine made InnoDB, options InnoDB has no use for dropped and named. Pure.
    public static func innodb(_ statement: String, table: String) throws(DefinitionFixError) -> FixedDefinition {
        guard var parts = Parts(statement) else { return FixedDefinition(text: statement, notes: []) }
        let options = Self.options(parts.options)
        guard let engineOption = options.first(where: { optionName($0) == "ENGINE" }) else {
            return FixedDefinition(text: statement, notes: [])
        }
        let engine = value(engineOption)
        if engine.uppercased() == "INNODB" { return FixedDefinition(text: statement, notes: []) }
        if let reason = refused[engine.uppercased()] { throw .engine(table: table, engine: engine, reason: reason) }
        guard convertible.contains(engine.uppercased()) else {
            throw .engine(table: table, engine: engine, reason: "it is not one of MyISAM, Aria, MEMORY, CSV, ARCHIVE")
        }
        let partitioned = parts.afterOptions.contains("PARTITION BY")
        if partitioned && parts.keys.contains(where: { $0.hasPrefix("  FULLTEXT KEY ") }) {
            throw .innodbRefuses(table: table, reason: "InnoDB has no FULLTEXT index on a partitioned table")
        }
        // MyISAM and Aria number an AUTO_INCREMENT column per group of a key's first columns; InnoDB needs it first.
        if let auto = parts.columns.first(where: { $0.contains(" AUTO_INCREMENT") }).flatMap(columnName),
            !parts.keys.contains(where: { keyColumns($0).first == auto })
        {
            throw .innodbRefuses(
                table: table,
                reason: "its AUTO_INCREMENT column `\(auto)` does not start any key (\(engine) numbers it per group; "
                    + "InnoDB refuses that with error 1075)")
        }
        if let refusal = fullTextRefusal(parts) { throw .innodbRefuses(table: table, reason: refusal) }
        if let wide = parts.keys.first(where: { keyColumns($0).count > 16 }) {
            throw .innodbRefuses(
                table: table,
                reason: "a key has more than 16 columns, InnoDB's limit (\(wide.trimmingCharacters(in: .whitespaces)))")
        }
        var notes = ["\(table): ENGINE=\(engine) → InnoDB"]
        if ["MEMORY", "HEAP"].contains(engine.uppercased()) {
            notes.append("\(table) was MEMORY: its rows were lost at each restart, as InnoDB they are kept")
        }
        var kept: [String] = []
        var dropped: [String] = []
        for option in options {
            let name = optionName(option)
            if name == "ENGINE" {
                kept.append("ENGINE=InnoDB")
            } else if droppedOptions.contains(name)
                || (name == "ROW_FORMAT" && ["FIXED", "PAGE"].contains(value(option).uppercased()))
            {
                dropped.append(option)
            } else {
                kept.append(option)
            }
        }
        if !dropped.isEmpty { notes.append("\(table): dropped \(dropped.joined(separator: " ")) (not InnoDB's)") }
        let semicolon = parts.options.hasSuffix(";") ? ";" : ""
        parts.tail = ") " + kept.joined(separator: " ") + semicolon + parts.afterOptions
        return FixedDefinition(text: parts.text, notes: notes)
    }

    /// Character sets InnoDB builds no FULLTEXT index over (error 1283).
    static let noFullTextCharsets: Set<String> = ["ucs2", "utf16", "utf16le", "utf32"]

    /// Why InnoDB would refuse the table's FULLTEXT indexes that MyISAM and Aria hold: a column in a character set
    /// of two or four bytes a character, or a column named FTS_DOC_ID, which InnoDB keeps for itself. Pure.
    static func fullTextRefusal(_ parts: Parts) -> String? {
        let fullText = parts.keys.filter { $0.hasPrefix("  FULLTEXT KEY ") }
        guard !fullText.isEmpty else { return nil }
        if let reserved = parts.columns.compactMap(columnName).first(where: { $0.uppercased() == "FTS_DOC_ID" }) {
            return "its column `\(reserved)` is the name InnoDB keeps for a FULLTEXT index's own column (error 1166)"
        }
        let tableCharset = options(parts.options).first { optionName($0) == "DEFAULT CHARSET" }.map(value)
        let definitions = Dictionary(
            parts.columns.compactMap { line in columnName(line).map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        for key in fullText {
            for column in keyColumns(key) {
                let line = definitions[column] ?? ""
                let charset =
                    line.range(of: " CHARACTER SET ").map {
                        String(line[$0.upperBound...].prefix { $0 != " " && $0 != "," })
                    } ?? tableCharset ?? ""
                if noFullTextCharsets.contains(charset.lowercased()) {
                    return "InnoDB builds no FULLTEXT index over `\(column)`, a \(charset) column (error 1283)"
                }
            }
        }
        return nil
    }

    /// `invisible-pk`: a table without a primary key gets `addedKeyColumn`, invisible, as its key; one
    /// with a unique key over NOT NULL columns keeps it (InnoDB clusters on it and the server takes it
    /// as the primary key). Pure.
    public static func invisiblePrimaryKey(
        _ statement: String, table: String
    ) throws(DefinitionFixError) -> FixedDefinition {
        guard var parts = Parts(statement) else { return FixedDefinition(text: statement, notes: []) }
        switch servingKey(parts) {
        case .primary:
            return FixedDefinition(text: statement, notes: [])
        case .notNullUnique(let columns):
            return FixedDefinition(
                text: statement,
                notes: ["\(table): no primary key, its NOT NULL unique key (\(columns.joined(separator: ", "))) "
                    + "serves as one"])
        case .missing:
            break
        }
        let names = parts.columns.compactMap(columnName)
        if names.contains(addedKeyColumn) { throw .addedColumnClash(table: table) }
        if let auto = parts.columns.first(where: { $0.contains(" AUTO_INCREMENT") }).flatMap(columnName) {
            throw .autoIncrementWithoutKey(table: table, column: auto)
        }
        let keyStart = parts.keyStart
        parts.lines.insert("  PRIMARY KEY (`\(addedKeyColumn)`)", at: keyStart)
        parts.lines.insert(
            "  `\(addedKeyColumn)` bigint(20) unsigned NOT NULL AUTO_INCREMENT INVISIBLE", at: keyStart)
        return FixedDefinition(
            text: parts.text, notes: ["\(table): added the invisible primary key column `\(addedKeyColumn)`"])
    }

    /// The key a table's rows are found by: its primary key, else the first unique key over NOT NULL columns
    /// (which MariaDB and InnoDB take as the primary key), else none.
    public enum ServingKey: Equatable, Sendable {
        case primary
        case notNullUnique([String])
        case missing
    }

    /// The serving key of a `CREATE TABLE` as mariadb-dump or SHOW CREATE TABLE print it; nil when the
    /// statement is not in that shape. Pure.
    public static func servingKey(_ statement: String) -> ServingKey? { Parts(statement).map(servingKey) }

    static func servingKey(_ parts: Parts) -> ServingKey {
        if parts.keys.contains(where: { $0.hasPrefix("  PRIMARY KEY ") }) { return .primary }
        let notNull = Set(parts.columns.filter { $0.contains(" NOT NULL") }.compactMap(columnName))
        for key in parts.keys where key.hasPrefix("  UNIQUE KEY ") {
            let columns = keyColumns(key)
            if !columns.isEmpty && columns.allSatisfy(notNull.contains) { return .notNullUnique(columns) }
        }
        return .missing
    }

    /// The table fixes among `fixes` on one `CREATE TABLE`, innodb first: what the stream and the preflight run.
    public static func table(
        _ statement: String, table: String, fixes: [DumpFix]
    ) throws(DefinitionFixError) -> FixedDefinition {
        var result = FixedDefinition(text: statement, notes: [])
        if fixes.contains(.innodb) {
            let fixed = try innodb(result.text, table: table)
            result = FixedDefinition(text: fixed.text, notes: result.notes + fixed.notes)
        }
        if fixes.contains(.invisiblePrimaryKey) {
            let fixed = try invisiblePrimaryKey(result.text, table: table)
            result = FixedDefinition(text: fixed.text, notes: result.notes + fixed.notes)
        }
        return result
    }

    /// The column names of a key line: `` UNIQUE KEY `u` (`a`,`b`(10)) USING BTREE `` → a, b. The list is the
    /// first parenthesis outside a backquoted name; a prefix length nests inside it.
    static func keyColumns(_ line: String) -> [String] {
        var depth = 0
        var inName = false
        var list = ""
        for character in line {
            if character == "`" { inName.toggle() }
            if !inName && character == "(" {
                depth += 1
                if depth == 1 { continue }
            }
            if !inName && character == ")" {
                depth -= 1
                if depth == 0 { break }
            }
            if depth >= 1 { list.append(character) }
        }
        // Split at commas outside names and prefix lengths.
        var columns: [String] = []
        var current = ""
        var nested = 0
        inName = false
        for character in list {
            if character == "`" { inName.toggle() }
            if !inName && character == "(" { nested += 1 }
            if !inName && character == ")" { nested -= 1 }
            if !inName && nested == 0 && character == "," {
                columns.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { columns.append(current) }
        return columns.compactMap(columnName)
    }

    /// `definers`: `DEFINER=`user`@`host`` naming an account not in `kept` becomes `account` (as
    /// `user`@`host`, quoted). Views, routines, triggers and events alike. Pure.
    public static func definers(
        _ statement: String, kept: Set<String>, account: String
    ) -> FixedDefinition {
        var text = ""
        var notes: [String] = []
        var rest = Substring(statement)
        let marker = "DEFINER="
        while let range = rest.range(of: marker) {
            text += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            guard let (definer, length) = quotedAccount(rest) else { continue }
            if kept.contains(definer) {
                text += rest.prefix(length)
            } else {
                text += account
                notes.append("definer \(definer) → \(account)")
            }
            rest = rest.dropFirst(length)
        }
        text += rest
        return FixedDefinition(text: text, notes: notes)
    }

    /// `definers` with `--definer invoker`, on a view's `/*!50013 DEFINER=… SQL SECURITY DEFINER */` or a routine's
    /// `CREATE DEFINER=… PROCEDURE` line: a definer not in `kept` is removed, and a view's SQL SECURITY becomes
    /// INVOKER (a routine's comes from an ALTER after it, as its characteristics follow its parameters). Pure.
    public static func invoker(_ line: String, kept: Set<String>) -> FixedDefinition {
        guard let range = line.range(of: "DEFINER="),
            let (definer, length) = quotedAccount(line[range.upperBound...]), !kept.contains(definer)
        else { return FixedDefinition(text: line, notes: []) }
        var end = line.index(range.upperBound, offsetBy: length)
        if end < line.endIndex && line[end] == " " { end = line.index(after: end) }
        var text = String(line[..<range.lowerBound]) + line[end...]
        text = text.replacingOccurrences(of: "SQL SECURITY DEFINER", with: "SQL SECURITY INVOKER")
        return FixedDefinition(text: text, notes: ["definer \(definer) removed, SQL SECURITY INVOKER"])
    }

    /// `` `user`@`host` `` at the start of `text`: the account as written, and its length.
    static func quotedAccount(_ text: Substring) -> (String, Int)? {
        func quoted(_ from: Substring) -> Int? {
            guard from.first == "`" else { return nil }
            var index = from.index(after: from.startIndex)
            while index < from.endIndex {
                if from[index] == "`" {
                    let next = from.index(after: index)
                    if next < from.endIndex && from[next] == "`" {
                        index = from.index(after: next)
                        continue
                    }
                    return from.distance(from: from.startIndex, to: next)
                }
                index = from.index(after: index)
            }
            return nil
        }
        guard let user = quoted(text) else { return nil }
        let afterUser = text.dropFirst(user)
        guard afterUser.first == "@", let host = quoted(afterUser.dropFirst()) else { return nil }
        let length = user + 1 + host
        return (String(text.prefix(length)), length)
    }
}
