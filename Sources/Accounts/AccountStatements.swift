/// The account statements of a server, as `SHOW CREATE USER`, `SHOW GRANTS` and a
/// `mariadb-dump --system=users` file write them, parsed into what the CRs need. Pure.

import Foundation
import MariaDBClient

/// `user@host`; a role has no host.
public struct AccountName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var user: String
    public var host: String?

    public init(user: String, host: String?) {
        self.user = user
        self.host = host
    }

    /// `'user'@'host'` quoted for SQL (the operator's form).
    public var sql: String { host.map { "\(SQLText.quote(user))@\(SQLText.quote($0))" } ?? SQLText.quote(user) }
    public var description: String { host.map { "\(user)@\($0)" } ?? user }
    public static func < (a: AccountName, b: AccountName) -> Bool { (a.user, a.host ?? "") < (b.user, b.host ?? "") }
}

public enum Authentication: Equatable, Sendable {
    case none
    /// mysql_native_password's hash (`*6EC9…`).
    case nativeHash(String)
    /// Another plugin (ed25519, unix_socket, pam, …) and its argument.
    case plugin(name: String, argument: String?)
    /// Several methods joined with OR: the User CR takes the first; the rest goes to SQL.
    case alternatives([Authentication])
    /// `IDENTIFIED BY 'plaintext'`: never put in a Secret unasked.
    case plaintext
}

public struct TLSRequirement: Equatable, Sendable {
    public var ssl = false
    public var x509 = false
    public var issuer: String?
    public var subject: String?
    public var cipher: String?
    public var isEmpty: Bool { !ssl && !x509 && issuer == nil && subject == nil && cipher == nil }
}

public struct UserDefinition: Equatable, Sendable {
    public var account: AccountName
    public var authentication: Authentication = .none
    public var require = TLSRequirement()
    public var maxUserConnections: Int64 = 0
    /// MAX_QUERIES_PER_HOUR and the other limits a User CR cannot hold.
    public var otherLimits: [(String, Int64)] = []
    /// `PASSWORD EXPIRE …`, `ACCOUNT LOCK`: words as written.
    public var otherOptions: [String] = []

    public static func == (a: UserDefinition, b: UserDefinition) -> Bool {
        a.account == b.account && a.authentication == b.authentication && a.require == b.require
            && a.maxUserConnections == b.maxUserConnections
            && a.otherLimits.map(\.0) == b.otherLimits.map(\.0) && a.otherLimits.map(\.1) == b.otherLimits.map(\.1)
            && a.otherOptions == b.otherOptions
    }
}

/// One GRANT statement.
public struct GrantStatement: Equatable, Sendable {
    public enum Object: Equatable, Sendable {
        /// `db.table` with `*` for all; `database` nil means `*.*`.
        case table(database: String?, table: String?)
        case routine(kind: String, database: String?, name: String)
        case proxy(AccountName)
        /// GRANT role TO …
        case role(String)
    }
    public var privileges: [String]
    public var hasColumns: Bool
    public var object: Object
    public var grantee: AccountName
    public var grantOption: Bool
    /// The statement as written, for the SQL file.
    public var text: String
}

public struct AccountInventory: Equatable, Sendable {
    public var users: [UserDefinition] = []
    public var roles: [String] = []
    public var grants: [GrantStatement] = []
    /// SET DEFAULT ROLE r FOR account, as written.
    public var defaultRoles: [(AccountName, String, String)] = []

    public init() {}

    /// Only the users and roles whose names match one of the SQL LIKE `patterns` (all when there
    /// are none), with their grants and default roles.
    public func only(_ patterns: [String]) -> AccountInventory {
        guard !patterns.isEmpty else { return self }
        let keep = { (name: String) in SQLLike.matchesAny(name, patterns: patterns) }
        var result = self
        result.users = users.filter { keep($0.account.user) }
        result.roles = roles.filter(keep)
        result.grants = grants.filter { keep($0.grantee.user) }
        result.defaultRoles = defaultRoles.filter { keep($0.0.user) }
        return result
    }

    public static func == (a: AccountInventory, b: AccountInventory) -> Bool {
        a.users == b.users && a.roles == b.roles && a.grants == b.grants
            && a.defaultRoles.map(\.2) == b.defaultRoles.map(\.2)
    }

    /// Reads CREATE USER, CREATE ROLE, GRANT and SET DEFAULT ROLE statements; anything else is
    /// ignored (a dump's session settings, the dump's import role).
    public static func parse(statements: [String]) throws(AccountParseError) -> AccountInventory {
        var inventory = AccountInventory()
        for raw in statements {
            guard let text = SQLText.unwrapVersionedComment(raw) else { continue }
            var tokens = try SQLTokens(text)
            switch (tokens.peekWord(0), tokens.peekWord(1)) {
            case ("CREATE", _):
                tokens.skip(1)
                if tokens.accept("OR") { tokens.skip(1) }
                if tokens.accept("ROLE") {
                    _ = tokens.accept("IF") && tokens.accept("NOT") && tokens.accept("EXISTS")
                    let name = try tokens.name()
                    if name != "mariadb_dump_import_role" && !inventory.roles.contains(name) {
                        inventory.roles.append(name)
                    }
                } else if tokens.accept("USER") {
                    _ = tokens.accept("IF") && tokens.accept("NOT") && tokens.accept("EXISTS")
                    inventory.users.append(try parseUser(&tokens))
                }
            case ("GRANT", _):
                tokens.skip(1)
                if let grant = try parseGrant(&tokens, text: text), grant.object != .role("mariadb_dump_import_role") {
                    inventory.grants.append(grant)
                }
            case ("SET", "DEFAULT"):
                tokens.skip(2)
                guard tokens.accept("ROLE") else { continue }
                let role = try tokens.name()
                guard tokens.accept("FOR") else { continue }
                let account = try tokens.account()
                if role.uppercased() != "NONE" { inventory.defaultRoles.append((account, role, text)) }
            default:
                continue
            }
        }
        return inventory
    }

    static func parseUser(_ tokens: inout SQLTokens) throws(AccountParseError) -> UserDefinition {
        var user = UserDefinition(account: try tokens.account())
        while !tokens.atEnd {
            if tokens.accept("IDENTIFIED") {
                var methods: [Authentication] = []
                repeat {
                    if tokens.accept("BY") {
                        if tokens.accept("PASSWORD") {
                            methods.append(.nativeHash(try tokens.string()))
                        } else {
                            _ = try tokens.string()
                            methods.append(.plaintext)
                        }
                    } else if tokens.accept("VIA") || tokens.accept("WITH") || !methods.isEmpty {
                        // After OR the next plugin follows without VIA.
                        let plugin = try tokens.name()
                        var argument: String?
                        if tokens.accept("USING") || tokens.accept("AS") { argument = try tokens.string() }
                        if plugin.lowercased() == "mysql_native_password", let argument, !argument.isEmpty {
                            methods.append(.nativeHash(argument))
                        } else {
                            methods.append(.plugin(name: plugin.lowercased(), argument: argument))
                        }
                    } else {
                        throw AccountParseError(statement: tokens.text, reason: "IDENTIFIED without BY or VIA")
                    }
                } while tokens.accept("OR")
                user.authentication = methods.count == 1 ? methods[0] : .alternatives(methods)
            } else if tokens.accept("REQUIRE") {
                repeat {
                    if tokens.accept("NONE") { continue }
                    if tokens.accept("SSL") {
                        user.require.ssl = true
                    } else if tokens.accept("X509") {
                        user.require.x509 = true
                    } else if tokens.accept("ISSUER") {
                        user.require.issuer = try tokens.string()
                    } else if tokens.accept("SUBJECT") {
                        user.require.subject = try tokens.string()
                    } else if tokens.accept("CIPHER") {
                        user.require.cipher = try tokens.string()
                    } else {
                        break
                    }
                } while tokens.accept("AND") || ["ISSUER", "SUBJECT", "CIPHER"].contains(tokens.peekWord(0) ?? "")
            } else if tokens.accept("WITH") {
                while let limit = tokens.peekWord(0), limit.hasPrefix("MAX_") {
                    tokens.skip(1)
                    let value = try tokens.integer()
                    if limit == "MAX_USER_CONNECTIONS" {
                        user.maxUserConnections = value
                    } else {
                        user.otherLimits.append((limit, value))
                    }
                }
            } else if let word = tokens.peekWord(0), ["PASSWORD", "ACCOUNT"].contains(word) {
                var option = [tokens.nextRaw()]
                while !tokens.atEnd, let next = tokens.peekWord(0),
                    !["IDENTIFIED", "REQUIRE", "WITH", "PASSWORD", "ACCOUNT"].contains(next)
                {
                    option.append(tokens.nextRaw())
                }
                user.otherOptions.append(option.joined(separator: " "))
            } else {
                tokens.skip(1)
            }
        }
        return user
    }

    static func parseGrant(_ tokens: inout SQLTokens, text: String) throws(AccountParseError) -> GrantStatement? {
        // Privileges (or a role) up to ON / TO.
        var privileges: [String] = []
        var current: [String] = []
        var hasColumns = false
        while !tokens.atEnd, tokens.peekWord(0) != "ON", tokens.peekWord(0) != "TO" {
            if tokens.acceptSymbol(",") {
                privileges.append(current.joined(separator: " "))
                current = []
            } else if tokens.acceptSymbol("(") {
                hasColumns = true
                while !tokens.atEnd, !tokens.acceptSymbol(")") { tokens.skip(1) }
            } else {
                current.append(tokens.nextRaw())
            }
        }
        if !current.isEmpty { privileges.append(current.joined(separator: " ")) }
        let object: GrantStatement.Object
        if tokens.accept("ON") {
            if privileges.map({ $0.uppercased() }) == ["PROXY"] {
                object = .proxy(try tokens.account())
            } else if let kind = tokens.peekWord(0), ["FUNCTION", "PROCEDURE", "PACKAGE"].contains(kind) {
                tokens.skip(1)
                if tokens.accept("BODY") {}
                let (database, name) = try tokens.qualified()
                object = .routine(kind: kind, database: database, name: name ?? "*")
            } else {
                _ = tokens.accept("TABLE")
                let (database, table) = try tokens.qualified()
                object = .table(database: database, table: table)
            }
        } else {
            guard privileges.count == 1 else { return nil }
            object = .role(SQLText.unquote(privileges[0]))
            privileges = []
        }
        guard tokens.accept("TO") else { throw AccountParseError(statement: text, reason: "GRANT without TO") }
        let grantee = try tokens.account()
        var grantOption = false
        while !tokens.atEnd {
            if tokens.accept("GRANT") {
                if tokens.accept("OPTION") { grantOption = true }
            } else {
                tokens.skip(1)
            }
        }
        return GrantStatement(
            privileges: privileges.map { $0.uppercased() }, hasColumns: hasColumns, object: object, grantee: grantee,
            grantOption: grantOption, text: text)
    }
}

public struct AccountParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var statement: String
    public var reason: String
    public var description: String { "cannot read `\(statement.prefix(120))`: \(reason)" }
}

enum SQLText {
    /// `'text'` with quotes and backslashes escaped.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func unquote(_ text: String) -> String {
        guard let first = text.first, ["`", "'", "\""].contains(first), text.count >= 2, text.last == first else {
            return text
        }
        return String(text.dropFirst().dropLast())
    }

    /// `/*M!100005 SET … */` → `SET …`; a MySQL-only `/*!80001 … */` → nil; other text as is.
    static func unwrapVersionedComment(_ statement: String) -> String? {
        let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("/*") else { return text }
        guard text.hasPrefix("/*M!") || text.hasPrefix("/*!") else { return nil }
        let body = text.drop { $0 != "!" }.dropFirst()
        let version = body.prefix { $0.isNumber }
        if text.hasPrefix("/*!"), let number = Int(version), number >= 80000 { return nil }
        var rest = body.dropFirst(version.count)
        if rest.hasSuffix("*/") { rest = rest.dropLast(2) }
        return rest.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Tokens of one statement: words, quoted strings, backtick names, symbols.
struct SQLTokens {
    enum Token: Equatable {
        case word(String)
        case string(String)
        case identifier(String)
        case symbol(Character)
    }

    let text: String
    private var tokens: [Token] = []
    private var position = 0

    init(_ text: String) throws(AccountParseError) {
        self.text = text
        var chars = Array(text)
        chars.append(" ")
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            if c == "'" || c == "\"" || c == "`" {
                var value = ""
                i += 1
                var closed = false
                while i < chars.count - 1 {
                    let d = chars[i]
                    if d == "\\" && c != "`" {
                        value.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    if d == c {
                        if chars[i + 1] == c {
                            value.append(c)
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    value.append(d)
                    i += 1
                }
                guard closed else { throw AccountParseError(statement: text, reason: "unterminated quote") }
                tokens.append(c == "`" ? .identifier(value) : .string(value))
                continue
            }
            if c.isLetter || c.isNumber || c == "_" || c == "$" || c == "%" {
                var word = ""
                while i < chars.count,
                    chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "$" || chars[i] == "%"
                {
                    word.append(chars[i])
                    i += 1
                }
                tokens.append(.word(word))
                continue
            }
            tokens.append(.symbol(c))
            i += 1
        }
    }

    var atEnd: Bool { position >= tokens.count || tokens[position] == .symbol(";") }

    func peekWord(_ offset: Int) -> String? {
        guard position + offset < tokens.count, case .word(let w) = tokens[position + offset] else { return nil }
        return w.uppercased()
    }

    mutating func skip(_ count: Int) { position = min(tokens.count, position + count) }

    mutating func accept(_ word: String) -> Bool {
        guard peekWord(0) == word else { return false }
        position += 1
        return true
    }

    mutating func acceptSymbol(_ symbol: Character) -> Bool {
        guard position < tokens.count, tokens[position] == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    /// The next token as SQL text (words as written, names and strings requoted).
    mutating func nextRaw() -> String {
        guard position < tokens.count else { return "" }
        defer { position += 1 }
        switch tokens[position] {
        case .word(let w): return w
        case .string(let s): return SQLText.quote(s)
        case .identifier(let s): return SQLQuoting.identifier(s)
        case .symbol(let c): return String(c)
        }
    }

    mutating func name() throws(AccountParseError) -> String {
        guard position < tokens.count else { throw AccountParseError(statement: text, reason: "a name is missing") }
        defer { position += 1 }
        switch tokens[position] {
        case .word(let w): return w
        case .string(let s), .identifier(let s): return s
        case .symbol(let c): throw AccountParseError(statement: text, reason: "'\(c)' where a name belongs")
        }
    }

    mutating func string() throws(AccountParseError) -> String {
        guard position < tokens.count, case .string(let s) = tokens[position] else {
            throw AccountParseError(statement: text, reason: "a quoted string is missing")
        }
        position += 1
        return s
    }

    mutating func integer() throws(AccountParseError) -> Int64 {
        guard position < tokens.count, case .word(let w) = tokens[position], let value = Int64(w) else {
            throw AccountParseError(statement: text, reason: "a number is missing")
        }
        position += 1
        return value
    }

    /// `user@host`, `'user'@'host'`, `` `user`@`host` ``, or a role name.
    mutating func account() throws(AccountParseError) -> AccountName {
        let user = try name()
        guard acceptSymbol("@") else { return AccountName(user: user, host: nil) }
        return AccountName(user: user, host: try name())
    }

    /// `db.table`, `db.*`, `*.*`, `table` → (database, table); `*` is nil.
    mutating func qualified() throws(AccountParseError) -> (String?, String?) {
        func part() throws(AccountParseError) -> String? { acceptSymbol("*") ? nil : try name() }
        let first = try part()
        guard acceptSymbol(".") else { return (nil, first) }
        return (first, try part())
    }
}
