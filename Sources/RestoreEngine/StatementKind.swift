/// What a dump statement is, for deciding where it may run. Pure.
public enum StatementKind: Equatable, Sendable {
    /// `USE db`: every connection follows it.
    case use(String)
    /// Session settings (`SET NAMES`, `SET @saved…`, `/*!40101 SET … */`): every connection runs them.
    case session
    /// Row data (`INSERT`, `REPLACE`): may run on any connection, in any order, within its table.
    case data
    case lockTables
    case unlockTables
    case createDatabase(String)
    /// `DROP TABLE`/`CREATE TABLE` of `mysql.<table>` and the like: the table a DDL names.
    case tableDDL(table: String)
    /// Everything else (views, routines, triggers, events, ALTER …): after all data before it.
    case other

    public init(_ statement: [UInt8]) {
        let head = String(decoding: statement.prefix(200), as: UTF8.self)
        var text = Substring(head).drop { $0.isWhitespace }
        // Versioned comments run their content: `/*!40101 SET …*/`, `/*M!100101 SET …*/`.
        if text.hasPrefix("/*!") || text.hasPrefix("/*M!") {
            text = text.drop { $0 != "!" }.dropFirst().drop { $0.isNumber }.drop { $0.isWhitespace }
        }
        let upper = text.prefix(40).uppercased()
        func word(_ index: Int) -> String? {
            let words = upper.split(whereSeparator: { $0.isWhitespace })
            return index < words.count ? String(words[index]) : nil
        }
        switch word(0) {
        case "USE":
            self = .use(Self.identifier(text.dropFirst(3)))
        case "SET" where word(1) != "GLOBAL" && word(1) != "PASSWORD":
            self = .session
        case "INSERT", "REPLACE":
            self = .data
        case "LOCK":
            self = .lockTables
        case "UNLOCK":
            self = .unlockTables
        case "CREATE" where word(1) == "DATABASE" || word(1) == "SCHEMA":
            // CREATE DATABASE /*!32312 IF NOT EXISTS*/ `db`
            var rest: Substring = text.drop(while: { !$0.isWhitespace })
            rest = rest.drop(while: { $0.isWhitespace })
            rest = rest.drop(while: { !$0.isWhitespace })
            rest = rest.drop(while: { $0.isWhitespace })
            if rest.hasPrefix("/*") {
                rest = rest[(rest.range(of: "*/")?.upperBound ?? rest.endIndex)...].drop(while: { $0.isWhitespace })
            }
            if rest.uppercased().hasPrefix("IF NOT EXISTS") {
                rest = rest.dropFirst(13).drop(while: { $0.isWhitespace })
            }
            self = .createDatabase(Self.identifier(rest))
        case "DROP" where word(1) == "TABLE":
            var rest = text.dropFirst(4).drop { $0.isWhitespace }.dropFirst(5).drop { $0.isWhitespace }
            if rest.uppercased().hasPrefix("IF EXISTS") { rest = rest.dropFirst(9).drop { $0.isWhitespace } }
            self = .tableDDL(table: Self.identifier(rest))
        case "CREATE" where word(1) == "TABLE":
            // mariadb-dump writes the mysql schema's tables as CREATE TABLE IF NOT EXISTS.
            var rest = text.dropFirst(6).drop { $0.isWhitespace }.dropFirst(5).drop { $0.isWhitespace }
            if rest.uppercased().hasPrefix("IF NOT EXISTS") { rest = rest.dropFirst(13).drop { $0.isWhitespace } }
            self = .tableDDL(table: Self.identifier(rest))
        default:
            self = .other
        }
    }

    /// `` `a``b` `` → a`b; a bare word up to whitespace or `;`.
    static func identifier(_ text: Substring) -> String {
        let text = text.drop { $0.isWhitespace }
        guard text.first == "`" else { return String(text.prefix { !$0.isWhitespace && $0 != ";" && $0 != "(" }) }
        var result = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            index = text.index(after: index)
            if c == "`" {
                if index < text.endIndex, text[index] == "`" {
                    result.append("`")
                    index = text.index(after: index)
                } else {
                    break
                }
            } else {
                result.append(c)
            }
        }
        return result
    }
}
