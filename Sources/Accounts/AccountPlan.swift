import Hashing
import Manifests
import MariaDBClient

/// A database as the source defines it.
public struct DatabaseDefinition: Equatable, Sendable {
    public var name: String
    public var characterSet: String
    public var collation: String
    public init(name: String, characterSet: String, collation: String) {
        self.name = name
        self.characterSet = characterSet
        self.collation = collation
    }
}

public struct AccountOptions: Sendable {
    public var mariaDB = "mariadb"
    public var apiGroup = "enterprise.mariadb.com"
    public var namespace: String?
    public init() {}
}

/// Accounts → User, Grant and Database CRs with Secrets for the hashes, the SQL for what CRs
/// cannot say, and a report of every decision. Pure.
public struct AccountPlan: Sendable {
    public struct Note: Codable, Equatable, Sendable {
        public var subject: String
        public var decision: String
    }

    public var documents: [ManifestDocument] = []
    /// Statements to run after the CRs are reconciled (roles, column and routine grants, PROXY,
    /// other limits), in order.
    public var fallbackSQL: [String] = []
    public var converted: [Note] = []
    public var skipped: [Note] = []
    public var sqlOnly: [Note] = []

    /// Accounts a MariaDB CR or the server itself owns.
    public static var systemAccounts: [String: String] { SystemObjects.accounts }

    public static func convert(
        _ inventory: AccountInventory, databases: [DatabaseDefinition], options: AccountOptions
    ) -> AccountPlan {
        var plan = AccountPlan()
        // Names are unique per kind; a clash (a@b-c vs a-b@c) gets a short hash of the account.
        var names: [String: Set<String>] = [:]
        func uniqueName(_ kind: String, _ base: String, salt: String) -> String {
            var name = dnsName(base)
            if names[kind, default: []].contains(name) {
                name = dnsName(
                    String(name.prefix(50)) + "-" + String(Digest.sha256(Array(salt.utf8)).hexString.prefix(6)))
            }
            names[kind, default: []].insert(name)
            return name
        }
        let apiVersion = JSON.string("\(options.apiGroup)/v1alpha1")
        func metadata(_ name: String) -> JSON {
            .object(["name": .string(name), "namespace": options.namespace.map(JSON.string)])
        }
        let mariaDbRef = JSON.object(["name": .string(options.mariaDB)])

        for database in databases.sorted(by: { $0.name < $1.name }) {
            let name = uniqueName("Database", database.name, salt: database.name)
            plan.documents.append(
                ManifestDocument(
                    kind: "Database", name: name, isSecret: false,
                    json: .object([
                        "apiVersion": apiVersion, "kind": .string("Database"), "metadata": metadata(name),
                        "spec": .object([
                            "mariaDbRef": mariaDbRef, "name": .string(database.name),
                            "characterSet": .string(database.characterSet), "collate": .string(database.collation),
                        ]),
                    ])))
        }

        var userNames: [AccountName: String] = [:]
        var roleSQL: [String] = []
        var userSQL: [String] = []
        for role in inventory.roles.sorted() {
            roleSQL.append("CREATE ROLE IF NOT EXISTS \(SQLQuoting.identifier(role))")
            plan.sqlOnly.append(
                Note(subject: "role \(role)", decision: "roles have no CR: CREATE ROLE in the SQL file"))
        }
        for user in inventory.users.sorted(by: { $0.account < $1.account }) {
            let account = user.account
            if let reason = systemAccounts[account.user] {
                plan.skipped.append(Note(subject: account.description, decision: "skipped: \(reason)"))
                continue
            }
            let name = uniqueName("User", "\(account.user)-\(hostLabel(account.host ?? ""))", salt: account.description)
            userNames[account] = name
            var spec: [JSON.Field] = [
                .init("mariaDbRef", mariaDbRef), .init("name", .string(account.user)),
                .init("host", .string(account.host ?? "%")),
            ]
            let secretName = "\(name)-password"
            var authentication = user.authentication
            if case .alternatives(let methods) = authentication {
                authentication = methods[0]
                userSQL.append(
                    "ALTER USER \(account.sql) IDENTIFIED \(methods.map(authenticationSQL).joined(separator: " OR "))")
                plan.sqlOnly.append(
                    Note(
                        subject: account.description,
                        decision: "several authentication methods: the User CR has the first, the SQL file all"))
            }
            switch authentication {
            case .nativeHash(let hash):
                plan.documents.append(secret(secretName, [("password-hash", hash)], metadata: metadata(secretName)))
                spec.append(
                    .init(
                        "passwordHashSecretKeyRef",
                        .object(["name": .string(secretName), "key": .string("password-hash")])))
            case .plugin(let plugin, let argument):
                var values = [("plugin-name", plugin)]
                if let argument { values.append(("plugin-arg", argument)) }
                plan.documents.append(secret(secretName, values, metadata: metadata(secretName)))
                spec.append(
                    .init(
                        "passwordPlugin",
                        .object([
                            "pluginNameSecretKeyRef": .object([
                                "name": .string(secretName), "key": .string("plugin-name"),
                            ]),
                            "pluginArgSecretKeyRef": argument.map { _ in
                                .object(["name": .string(secretName), "key": .string("plugin-arg")])
                            },
                        ])))
            case .none:
                // A User CR without a password is created locked; the source's account has an empty password.
                userSQL.append("ALTER USER \(account.sql) IDENTIFIED BY '' ACCOUNT UNLOCK")
                plan.sqlOnly.append(
                    Note(
                        subject: account.description,
                        decision: "no password: the CR would lock it; the SQL file sets the empty password"))
            case .plaintext:
                plan.sqlOnly.append(
                    Note(
                        subject: account.description,
                        decision:
                            "a plaintext password in the input was not copied: set one by hand (passwordSecretKeyRef)"))
            case .alternatives:
                break
            }
            let require = user.require
            if !require.isEmpty {
                spec.append(
                    .init(
                        "require",
                        .object([
                            "ssl": require.ssl ? .bool(true) : nil, "x509": require.x509 ? .bool(true) : nil,
                            "issuer": require.issuer.map(JSON.string), "subject": require.subject.map(JSON.string),
                        ])))
                if let cipher = require.cipher {
                    userSQL.append("ALTER USER \(account.sql) \(requireSQL(require, cipher: cipher))")
                    plan.sqlOnly.append(
                        Note(subject: account.description, decision: "REQUIRE CIPHER has no CR field: in the SQL file"))
                }
            }
            // Always set: the CRD's default of 10 would silently cap the account.
            spec.append(.init("maxUserConnections", .int(user.maxUserConnections)))
            if !user.otherLimits.isEmpty {
                userSQL.append(
                    "ALTER USER \(account.sql) WITH "
                        + user.otherLimits.map { "\($0.0) \($0.1)" }.joined(separator: " "))
                plan.sqlOnly.append(
                    Note(
                        subject: account.description,
                        decision:
                            "limits other than max connections (\(user.otherLimits.map(\.0).joined(separator: ", "))): "
                                + "in the SQL file"
                    ))
            }
            for option in user.otherOptions {
                userSQL.append("ALTER USER \(account.sql) \(option)")
                plan.sqlOnly.append(Note(subject: account.description, decision: "\(option): in the SQL file"))
            }
            plan.documents.append(
                ManifestDocument(
                    kind: "User", name: name, isSecret: false,
                    json: .object([
                        "apiVersion": apiVersion, "kind": .string("User"), "metadata": metadata(name),
                        "spec": .object(spec),
                    ])))
            plan.converted.append(Note(subject: account.description, decision: "User \(name)"))
        }

        var grantSQL: [String] = []
        // Input order differs between SHOW GRANTS and a dump: sort for the same output from both.
        for grant in inventory.grants.sorted(by: { ($0.grantee, $0.text) < ($1.grantee, $1.text) }) {
            let grantee = grant.grantee
            if systemAccounts[grantee.user] != nil && grantee.host != nil { continue }
            if grantee.host == nil {
                if !(grant.privileges == ["USAGE"]) { roleSQL.append(grant.text) }
                continue
            }
            guard let userName = userNames[grantee] else { continue }
            switch grant.object {
            case .table(let database, let table) where !grant.hasColumns:
                if grant.privileges == ["USAGE"] && !grant.grantOption { continue }
                let privileges = grant.privileges.filter { $0 != "USAGE" }
                guard !privileges.isEmpty else {
                    grantSQL.append(grant.text)
                    plan.sqlOnly.append(
                        Note(
                            subject: "\(grantee) on \(database ?? "*").\(table ?? "*")",
                            decision: "GRANT OPTION alone has no CR: in the SQL file"))
                    continue
                }
                let scope = [database.map(dnsPart) ?? "global", table.map(dnsPart)].compactMap { $0 }.joined(
                    separator: "-")
                let name = uniqueName("Grant", "\(userName)-\(scope)", salt: grant.text)
                plan.documents.append(
                    ManifestDocument(
                        kind: "Grant", name: name, isSecret: false,
                        json: .object([
                            "apiVersion": apiVersion, "kind": .string("Grant"), "metadata": metadata(name),
                            "spec": .object([
                                "mariaDbRef": mariaDbRef,
                                "privileges": .array(privileges.map(JSON.string)),
                                "database": .string(database ?? "*"),
                                "table": .string(table ?? "*"),
                                "username": .string(grantee.user),
                                "host": .string(grantee.host ?? "%"),
                                "grantOption": .bool(grant.grantOption),
                            ]),
                        ])))
                plan.converted.append(
                    Note(
                        subject:
                            "\(grantee) \(privileges.joined(separator: ", ")) on \(database ?? "*").\(table ?? "*")",
                        decision: "Grant \(name)"))
            case .table(let database, let table):
                grantSQL.append(grant.text)
                plan.sqlOnly.append(
                    Note(
                        subject: "\(grantee) on \(database ?? "*").\(table ?? "*")",
                        decision: "column-level privileges have no CR: in the SQL file"))
            case .routine(let kind, let database, let routine):
                grantSQL.append(grant.text)
                plan.sqlOnly.append(
                    Note(
                        subject: "\(grantee) on \(kind) \(database ?? "*").\(routine)",
                        decision: "routine privileges have no CR: in the SQL file"))
            case .proxy(let proxied):
                grantSQL.append(grant.text)
                plan.sqlOnly.append(
                    Note(subject: "\(grantee) PROXY on \(proxied)", decision: "PROXY has no CR: in the SQL file"))
            case .role(let role):
                grantSQL.append(grant.text)
                plan.sqlOnly.append(
                    Note(subject: "\(grantee) role \(role)", decision: "role grants have no CR: in the SQL file"))
            }
        }
        for (account, role, text) in inventory.defaultRoles.sorted(by: { $0.0 < $1.0 }) where userNames[account] != nil
        {
            grantSQL.append(text)
            plan.sqlOnly.append(
                Note(subject: "\(account) default role \(role)", decision: "default roles have no CR: in the SQL file"))
        }
        plan.fallbackSQL = roleSQL + userSQL + grantSQL
        // Secrets first, as kubectl should apply them.
        plan.documents.sort { ($0.isSecret ? 0 : 1) < ($1.isSecret ? 0 : 1) }
        return plan
    }

    static func secret(_ name: String, _ values: [(String, String)], metadata: JSON) -> ManifestDocument {
        ManifestDocument(
            kind: "Secret", name: name, isSecret: true,
            json: .object([
                "apiVersion": .string("v1"), "kind": .string("Secret"), "metadata": metadata, "type": .string("Opaque"),
                "stringData": .object(values.map { JSON.Field($0.0, .string($0.1)) }),
            ]))
    }

    static func authenticationSQL(_ authentication: Authentication) -> String {
        switch authentication {
        case .nativeHash(let hash): return "VIA mysql_native_password USING \(SQLText.quote(hash))"
        case .plugin(let name, let argument):
            return "VIA \(name)" + (argument.map { " USING \(SQLText.quote($0))" } ?? "")
        default: return "VIA mysql_native_password"
        }
    }

    static func requireSQL(_ require: TLSRequirement, cipher: String?) -> String {
        var parts: [String] = []
        if require.ssl { parts.append("SSL") }
        if require.x509 { parts.append("X509") }
        if let issuer = require.issuer { parts.append("ISSUER \(SQLText.quote(issuer))") }
        if let subject = require.subject { parts.append("SUBJECT \(SQLText.quote(subject))") }
        if let cipher { parts.append("CIPHER \(SQLText.quote(cipher))") }
        return "REQUIRE " + parts.joined(separator: " AND ")
    }

    /// `%` → any, `10.0.%` → 10-0-any, `localhost` → localhost. Pure.
    static func hostLabel(_ host: String) -> String {
        host == "%" ? "any" : host.replacingOccurrences(of: "%", with: "any").replacingOccurrences(of: "_", with: "x")
    }

    static func dnsPart(_ text: String) -> String { dnsName(text) }

    /// Lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit. Pure.
    public static func dnsName(_ text: String) -> String {
        var out = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                out.append(character)
            } else if out.last != "-" {
                out.append("-")
            }
        }
        var trimmed = Substring(out.prefix(63))
        while trimmed.last == "-" { trimmed = trimmed.dropLast() }
        while trimmed.first == "-" { trimmed = trimmed.dropFirst() }
        return trimmed.isEmpty ? "x" : String(trimmed)
    }
}

/// What the operator runs for User, Grant and Database CRs (its pkg/sql statements), so a test
/// can apply the CRs' meaning to a server without a cluster. Pure.
public enum OperatorSQL {
    public static func statements(for documents: [ManifestDocument]) -> [String] {
        var secrets: [String: [String: String]] = [:]
        for document in documents where document.isSecret {
            if case .object(let fields)? = document.json["stringData"] {
                secrets[document.name] = Dictionary(
                    fields.compactMap { field in field.value.string.map { (field.key, $0) } },
                    uniquingKeysWith: { a, _ in a })
            }
        }
        func secretValue(_ ref: JSON?) -> String? {
            guard let name = ref?["name"]?.string, let key = ref?["key"]?.string else { return nil }
            return secrets[name]?[key]
        }
        func account(_ user: String, _ host: String) -> String { "\(SQLText.quote(user))@\(SQLText.quote(host))" }
        var databases: [String] = []
        var users: [String] = []
        var grants: [String] = []
        for document in documents where !document.isSecret {
            guard let spec = document.json["spec"] else { continue }
            switch document.kind {
            case "Database":
                let name = spec["name"]?.string ?? document.name
                var sql = "CREATE DATABASE IF NOT EXISTS \(SQLQuoting.identifier(name))"
                if let charset = spec["characterSet"]?.string { sql += " CHARACTER SET = \(SQLText.quote(charset))" }
                if let collation = spec["collate"]?.string { sql += " COLLATE = \(SQLText.quote(collation))" }
                databases.append(sql)
            case "User":
                var sql =
                    "CREATE USER IF NOT EXISTS "
                        + "\(account(spec["name"]?.string ?? document.name, spec["host"]?.string ?? "%")) "
                let plugin = spec["passwordPlugin"]
                var identified = false
                if let name = secretValue(plugin?["pluginNameSecretKeyRef"]) {
                    sql += "IDENTIFIED VIA \(name) "
                    if let argument = secretValue(plugin?["pluginArgSecretKeyRef"]) {
                        sql += "USING \(SQLText.quote(argument)) "
                    }
                    identified = true
                } else if let hash = secretValue(spec["passwordHashSecretKeyRef"]) {
                    sql += "IDENTIFIED BY PASSWORD \(SQLText.quote(hash)) "
                    identified = true
                }
                let require = spec["require"]
                if let require {
                    var requirement = TLSRequirement()
                    requirement.ssl = require["ssl"] == .bool(true)
                    requirement.x509 = require["x509"] == .bool(true)
                    requirement.issuer = require["issuer"]?.string
                    requirement.subject = require["subject"]?.string
                    if !requirement.isEmpty { sql += AccountPlan.requireSQL(requirement, cipher: nil) + " " }
                }
                let maxConnections: Int64 = if case .int(let n)? = spec["maxUserConnections"] { n } else { 10 }
                sql += "WITH MAX_USER_CONNECTIONS \(maxConnections)"
                if !identified && require == nil { sql += " ACCOUNT LOCK PASSWORD EXPIRE" }
                users.append(sql)
            case "Grant":
                guard case .array(let privileges)? = spec["privileges"] else { continue }
                func scope(_ value: String?) -> String {
                    let v = value ?? "*"
                    return v == "*" ? v : "`\(v)`"
                }
                var sql =
                    "GRANT \(privileges.compactMap(\.string).joined(separator: ",")) ON "
                        + "\(scope(spec["database"]?.string)).\(scope(spec["table"]?.string)) TO "
                            + "\(account(spec["username"]?.string ?? "", spec["host"]?.string ?? "%"))"
                if spec["grantOption"] == .bool(true) { sql += " WITH GRANT OPTION" }
                grants.append(sql)
            default:
                continue
            }
        }
        return databases + users + grants
    }
}
