import Dump
import Foundation
import Manifests
import MariaDBClient
import RestoreEngine
import TestSupport
import Testing
import Verification

@testable import Accounts

@Suite struct AccountParsingTests {
    static let statements = [
        "CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*6EC9BBD386F7FE3C703D5006EDDC09A63FE3B35A' REQUIRE SSL WITH "
            + "MAX_QUERIES_PER_HOUR 100 MAX_USER_CONNECTIONS 5",
        "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING '*33AD' OR unix_socket",
        "CREATE USER `ed`@`10.0.%` IDENTIFIED VIA ed25519 USING 'ZIgUREUg5PVg' REQUIRE ISSUER '/CN=ca' AND SUBJECT "
            + "'/CN=ed' PASSWORD EXPIRE INTERVAL 90 DAY ACCOUNT LOCK",
        "/*M!100005 CREATE ROLE 'reader' WITH ADMIN mariadb_dump_import_role */",
        "/*!80001 CREATE ROLE 'reader' */",
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*6EC9BBD386F7FE3C703D5006EDDC09A63FE3B35A' REQUIRE "
            + "SSL WITH MAX_QUERIES_PER_HOUR 100 MAX_USER_CONNECTIONS 5",
        "GRANT SELECT, INSERT, SHOW VIEW ON `shop`.* TO `app`@`%` WITH GRANT OPTION",
        "GRANT SELECT (`name`, `id`), UPDATE ON `shop`.`customers` TO `app`@`%`",
        "GRANT EXECUTE ON PROCEDURE `shop`.`report` TO `app`@`%`",
        "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
        "GRANT `reader` TO `app`@`%`",
        "GRANT SELECT ON `shop`.* TO `reader`",
        "/*M!100005 SET DEFAULT ROLE 'reader' FOR 'app'@'%' */",
        "SET ROLE mariadb_dump_import_role",
    ]

    @Test func readsUsersGrantsRolesAndDefaultRoles() throws {
        let inventory = try AccountInventory.parse(statements: Self.statements)
        #expect(inventory.users.count == 3)
        let app = inventory.users[0]
        #expect(app.account == AccountName(user: "app", host: "%"))
        #expect(app.authentication == .nativeHash("*6EC9BBD386F7FE3C703D5006EDDC09A63FE3B35A"))
        #expect(app.require.ssl && app.maxUserConnections == 5)
        #expect(app.otherLimits.map(\.0) == ["MAX_QUERIES_PER_HOUR"] && app.otherLimits.map(\.1) == [100])
        #expect(
            inventory.users[1].authentication
                == .alternatives([.nativeHash("*33AD"), .plugin(name: "unix_socket", argument: nil)]))
        let ed = inventory.users[2]
        #expect(ed.authentication == .plugin(name: "ed25519", argument: "ZIgUREUg5PVg"))
        #expect(ed.require.issuer == "/CN=ca" && ed.require.subject == "/CN=ed")
        #expect(ed.otherOptions == ["PASSWORD EXPIRE INTERVAL 90 DAY", "ACCOUNT LOCK"])
        #expect(inventory.roles == ["reader"])
        #expect(inventory.defaultRoles.map { "\($0.0) \($0.1)" } == ["app@% reader"])
        let grants = inventory.grants
        #expect(
            grants[1].privileges == ["SELECT", "INSERT", "SHOW VIEW"] && grants[1].grantOption
                && grants[1].object == .table(database: "shop", table: nil))
        #expect(grants[2].hasColumns && grants[2].object == .table(database: "shop", table: "customers"))
        #expect(grants[3].object == .routine(kind: "PROCEDURE", database: "shop", name: "report"))
        #expect(grants[4].object == .proxy(AccountName(user: "", host: "%")))
        #expect(grants[5].object == .role("reader") && grants[5].grantee == AccountName(user: "app", host: "%"))
        #expect(grants[6].grantee == AccountName(user: "reader", host: nil))
    }

    @Test func convertsWhatFitsAndSendsTheRestToSQL() throws {
        let plan = AccountPlan.convert(
            try AccountInventory.parse(statements: Self.statements),
            databases: [DatabaseDefinition(name: "shop", characterSet: "utf8mb4", collation: "utf8mb4_unicode_ci")],
            options: AccountOptions())
        for document in plan.documents {
            #expect(ManifestCatalog.validate(document.json) == [], "\(document.fileName)")
        }
        #expect(plan.documents.filter { $0.kind == "User" }.map(\.name) == ["app-any", "ed-10-0-any"])
        #expect(plan.skipped.map(\.subject) == ["root@localhost"])
        let grant = try #require(plan.documents.first { $0.kind == "Grant" })
        #expect(
            grant.json["spec"]?["privileges"] == .array([.string("SELECT"), .string("INSERT"), .string("SHOW VIEW")]))
        #expect(grant.json["spec"]?["grantOption"] == .bool(true))
        let user = try #require(plan.documents.first { $0.kind == "User" && $0.name == "app-any" })
        #expect(user.json["spec"]?["maxUserConnections"] == .int(5))
        #expect(user.json["spec"]?["passwordHashSecretKeyRef"]?["name"] == .string("app-any-password"))
        #expect(
            plan.fallbackSQL == [
                "CREATE ROLE IF NOT EXISTS `reader`",
                "GRANT SELECT ON `shop`.* TO `reader`",
                "ALTER USER 'app'@'%' WITH MAX_QUERIES_PER_HOUR 100",
                "ALTER USER 'ed'@'10.0.%' PASSWORD EXPIRE INTERVAL 90 DAY",
                "ALTER USER 'ed'@'10.0.%' ACCOUNT LOCK",
                "GRANT EXECUTE ON PROCEDURE `shop`.`report` TO `app`@`%`",
                "GRANT SELECT (`name`, `id`), UPDATE ON `shop`.`customers` TO `app`@`%`",
                "GRANT `reader` TO `app`@`%`",
                "SET DEFAULT ROLE 'reader' FOR 'app'@'%'",
            ])
        // Secrets hold hashes and plugin arguments, never a password.
        for secret in plan.documents where secret.isSecret {
            guard case .object(let values)? = secret.json["stringData"] else { continue }
            for value in values {
                #expect(
                    ["*6EC9BBD386F7FE3C703D5006EDDC09A63FE3B35A", "ed25519", "ZIgUREUg5PVg"].contains(
                        value.value.string ?? ""))
            }
        }
    }

    @Test func snapshotOfTheCRs() throws {
        let plan = AccountPlan.convert(
            try AccountInventory.parse(statements: Self.statements),
            databases: [DatabaseDefinition(name: "shop", characterSet: "utf8mb4", collation: "utf8mb4_unicode_ci")],
            options: AccountOptions())
        let yaml = try YAMLOutput.stream(plan.documents.map(\.json))
        // scripts/test validates this file with Python's jsonschema too.
        let snapshot = TestEnvironment.repositoryRoot.appendingPathComponent("fixtures/manifests/accounts.yaml")
        if ProcessInfo.processInfo.environment["MM_UPDATE_SNAPSHOTS"] == "1" {
            try yaml.write(to: snapshot, atomically: true, encoding: .utf8)
        }
        #expect(
            yaml == (try String(contentsOf: snapshot, encoding: .utf8)),
            "run with MM_UPDATE_SNAPSHOTS=1 after an intended change")
    }

    @Test func theCommandWritesFilesFromADump() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-\(UUID().uuidString)").path
        let dump = directory + ".sql"
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: dump)
        }
        try (Self.statements.joined(separator: ";\n") + ";\n").write(toFile: dump, atomically: true, encoding: .utf8)
        let result = try CLI.run([
            "users", "--from-dump", dump, "--output-dir", directory, "--mariadb-name", "mariadb-galera",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote 2 User, 1 Grant, 0 Database CRs and 2 Secrets"), "\(result.stdout)")
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let mode =
                ((try FileManager.default.attributesOfItem(atPath: "\(directory)/\(file)"))[.posixPermissions]
                as? NSNumber)?.intValue
            #expect(mode == (file.hasPrefix("secret-") || file == "after-bootstrap.sql" ? 0o600 : 0o644), "\(file)")
        }
        #expect(
            try String(contentsOfFile: "\(directory)/user-app-any.yaml", encoding: .utf8).contains(
                "name: mariadb-galera"))
        #expect(
            try String(contentsOfFile: "\(directory)/report.md", encoding: .utf8).contains("root@localhost: skipped"))
        let missing = try CLI.run(["users", "--from-dump", "/nonexistent/users.sql"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/users.sql"))
    }

    @Test(arguments: [
        ("app", "app"), ("Shop_App", "shop-app"), ("a@b", "a-b"), ("--x--", "x"), ("", "x"),
        (String(repeating: "a", count: 80), String(repeating: "a", count: 63)),
    ])
    func dnsNames(input: String, name: String) {
        #expect(AccountPlan.dnsName(input) == name)
    }
}

/// The acceptance: accounts converted, applied to an empty server the way the operator would
/// (plus the SQL file), come out with equal grants and authentication strings.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct AccountRoundTripTests {
    /// SHOW GRANTS sorted, per account, and plugin + authentication string.
    static func canonical(_ connection: MariaDBConnection, prefix: String) async throws -> [String] {
        var lines: [String] = []
        for row in try await connection.query(
            "SELECT User, Host, is_role FROM mysql.user WHERE User LIKE '\(prefix)%' ORDER BY User, Host"
        ).rows {
            let user = row[0].string ?? ""
            let host = row[1].string ?? ""
            let account = row[2].string == "Y" ? "`\(user)`" : "\(connection.quote(user))@\(connection.quote(host))"
            // Column lists come in hash order: sorted, as pt-show-grants does.
            lines += try await connection.query("SHOW GRANTS FOR \(account)").rows.compactMap {
                $0[0].string.map(Inventory.sortingColumnLists)
            }.sorted().map { "\(user)@\(host): \($0)" }
            let auth =
                try await connection.query(
                    "SELECT CONCAT(IFNULL(JSON_VALUE(Priv, '$.plugin'), ''), ' ', IFNULL(JSON_VALUE(Priv, "
                        + "'$.authentication_string'), ''), ' ', IFNULL(JSON_VALUE(Priv, '$.max_user_connections'), "
                            + "'0')) FROM mysql.global_priv WHERE User = \(connection.quote(user)) AND Host = "
                                + "\(connection.quote(host))"
                ).scalar.string ?? ""
            lines.append("\(user)@\(host) auth: \(auth)")
        }
        return lines
    }

    @Test func convertedAccountsApplyToAnEqualServer() async throws {
        let env = try TestEnvironment.require()
        let source = try await MariaDBConnection.connect(try env.sourceTCP())
        let target = try await MariaDBConnection.connect(try env.targetTCP())
        let p = "a\(UInt32.random(in: 0...99_999))_"
        let db = "\(p)db"
        let ourAccounts = p.replacingOccurrences(of: "_", with: "\\_") + "%"
        let objects = [
            "CREATE DATABASE `\(db)` CHARACTER SET latin1 COLLATE latin1_swedish_ci",
            "CREATE TABLE `\(db)`.t (id INT PRIMARY KEY, name VARCHAR(20), secret VARCHAR(20))",
            "CREATE PROCEDURE `\(db)`.report() SELECT 1",
        ]
        for connection in [source, target] {
            _ = try? await connection.query("INSTALL SONAME 'auth_ed25519'")
        }
        try await source.execute(
            objects + [
                "CREATE USER '\(p)native'@'%' IDENTIFIED BY 'pw-one'",
                "CREATE USER '\(p)native'@'10.1.%' IDENTIFIED BY 'pw-two'",
                "CREATE USER '\(p)native'@'localhost' IDENTIFIED BY 'pw-three'",
                "CREATE USER '\(p)ed'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('pw-ed')",
                "CREATE USER '\(p)ssl'@'%' IDENTIFIED BY 'pw-ssl' REQUIRE SSL",
                "CREATE USER '\(p)max0'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 0",
                "CREATE USER '\(p)max25'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 25 MAX_QUERIES_PER_HOUR 1000",
                "GRANT SELECT, INSERT ON `\(db)`.* TO '\(p)native'@'%' WITH GRANT OPTION",
                "GRANT UPDATE ON `\(db)`.t TO '\(p)native'@'10.1.%'",
                "GRANT SELECT (id, name) ON `\(db)`.t TO '\(p)ssl'@'%'",
                "GRANT EXECUTE ON PROCEDURE `\(db)`.report TO '\(p)max25'@'%'",
                "GRANT PROCESS ON *.* TO '\(p)max0'@'%'",
                "CREATE ROLE '\(p)role'",
                "GRANT SELECT ON `\(db)`.* TO '\(p)role'",
                "GRANT '\(p)role' TO '\(p)ed'@'%'",
                "SET DEFAULT ROLE '\(p)role' FOR '\(p)ed'@'%'",
            ])
        defer {
            Task {
                for connection in [source, target] {
                    for row
                        in (try? await connection.query(
                            "SELECT User, Host, is_role FROM mysql.user WHERE User LIKE '\(p)%'"
                        ).rows) ?? []
                    {
                        let user = row[0].string ?? ""
                        let host = row[1].string ?? ""
                        _ = try? await connection.query(
                            row[2].string == "Y"
                                ? "DROP ROLE `\(user)`"
                                : "DROP USER \(connection.quote(user))@\(connection.quote(host))")
                    }
                    _ = try? await connection.query("DROP DATABASE IF EXISTS `\(db)`")
                }
            }
        }

        let inventory = try AccountInventory.parse(statements: try await AccountReader.statements(from: source)).only([
            ourAccounts
        ])
        let plan = AccountPlan.convert(
            inventory, databases: try await AccountReader.databases(from: source, only: [db]), options: AccountOptions()
        )
        for document in plan.documents {
            #expect(ManifestCatalog.validate(document.json) == [], "\(document.fileName)")
        }
        #expect(plan.documents.filter { $0.kind == "User" }.count == 7)
        #expect(plan.documents.filter { $0.kind == "Database" }.count == 1)

        // The target: the objects the restore would have brought (the Database CR makes the schema), then the
        // CRs' SQL and the SQL file.
        for statement in OperatorSQL.statements(for: plan.documents) where statement.hasPrefix("CREATE DATABASE") {
            try await target.query(statement)
        }
        try await target.execute(Array(objects.dropFirst()))
        for statement in OperatorSQL.statements(for: plan.documents) where !statement.hasPrefix("CREATE DATABASE") {
            try await target.query(statement)
        }
        for statement in plan.fallbackSQL { try await target.query(statement) }

        let expected = try await Self.canonical(source, prefix: p)
        let actual = try await Self.canonical(target, prefix: p)
        #expect(expected.count > 20)
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) where a != e { Issue.record("target: \(a)\nsource: \(e)") }
        // verify's own account comparison (roles by name, default roles, column grants, ed25519) finds them equal.
        var sourceInventory = try await Inventory.take(from: source, databases: [db], accounts: true)
        var targetInventory = try await Inventory.take(from: target, databases: [db], accounts: true)
        sourceInventory.accounts = sourceInventory.accounts?.filter { $0.key.contains(p) }
        targetInventory.accounts = targetInventory.accounts?.filter { $0.key.contains(p) }
        #expect(sourceInventory.accounts?.count == 8, "\(sourceInventory.accounts ?? [:])")
        #expect(sourceInventory.accounts?.keys.contains("role '\(p)role'") == true)
        #expect(Inventory.differences(source: sourceInventory, target: targetInventory) == [])
        let charset = try await target.query(
            "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(db)'"
        ).scalar.string
        #expect(charset == "latin1_swedish_ci")

        // The same accounts read from a --system=users dump convert to the same CRs.
        let credentials = try CLI.shell(
            "mariadb-dump --no-defaults -h127.0.0.1 -P\(try env["MM_TEST_MARIADB_PORT"]) -uroot --system=users",
            environment: ["MYSQL_PWD": env.rootPassword])
        #expect(credentials.status == 0, "\(credentials.stderr)")
        var splitter = SQLSplitter()
        let dumped = (splitter.consume(Array(credentials.stdout.utf8)) + (try splitter.finish())).map {
            String(decoding: $0, as: UTF8.self)
        }
        let fromDump = AccountPlan.convert(
            try AccountInventory.parse(statements: dumped).only([ourAccounts]),
            databases: try await AccountReader.databases(from: source, only: [db]), options: AccountOptions())
        let same =
            try YAMLOutput.stream(fromDump.documents.map(\.json)) == YAMLOutput.stream(plan.documents.map(\.json))
        #expect(same, "the dump's accounts converted differently from the live server's")
        #expect(fromDump.fallbackSQL.count == plan.fallbackSQL.count)
    }
}
