import Foundation
import MariaDBClient
import TestSupport
import Testing

@testable import Preflight

/// Makes a schema with a known set of objects and drops it afterwards.
func seedSchema(_ connection: MariaDBConnection, name: String) async throws {
    try await connection.execute([
        "CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        "CREATE TABLE `\(name)`.customers (id INT PRIMARY KEY, name VARCHAR(40)) ENGINE=InnoDB",
        "CREATE TABLE `\(name)`.orders (id INT PRIMARY KEY, customer INT, total DECIMAL(10,2)) ENGINE=InnoDB",
        "CREATE TABLE `\(name)`.audit (id INT PRIMARY KEY, note TEXT) ENGINE=Aria",
        "INSERT INTO `\(name)`.customers VALUES (1,'ann'),(2,'bob'),(3,'cy')",
        "INSERT INTO `\(name)`.orders VALUES (1,1,9.50),(2,2,20.00)",
        "CREATE VIEW `\(name)`.big_orders AS SELECT * FROM `\(name)`.orders WHERE total > 10",
        "CREATE PROCEDURE `\(name)`.touch() SELECT 1",
        "CREATE FUNCTION `\(name)`.twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
        "CREATE EVENT `\(name)`.nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM `\(name)`.audit",
        "CREATE TRIGGER `\(name)`.orders_ai AFTER INSERT ON `\(name)`.orders FOR EACH ROW INSERT INTO `\(name)`.audit "
            + "VALUES (NEW.id, 'new order')",
    ])
}

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct InspectTests {
    @Test func surveyCountsASeededSchema() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceTCP())
        let name = TestEnvironment.uniqueName("inspect")
        try await seedSchema(connection, name: name)
        defer { Task { try? await connection.query("DROP DATABASE `\(name)`") } }

        let survey = try await SourceSurvey.take(from: connection)
        let schema = try #require(survey.schemas.first { $0.name == name })
        #expect(schema.tables == 3)
        #expect(schema.views == 1)
        #expect(schema.routines == 2)
        #expect(schema.events == 1)
        #expect(schema.triggers == 1)
        #expect(schema.collation == "utf8mb4_unicode_ci")
        #expect(survey.engines.contains { $0.engine == "Aria" })
        #expect(!survey.schemas.contains { SourceSurvey.systemSchemas.contains($0.name) })
        #expect(survey.users >= 2)
    }

    @Test func inspectJSONFromTheBinary() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceTCP())
        let name = TestEnvironment.uniqueName("inspectcli")
        try await seedSchema(connection, name: name)
        defer { Task { try? await connection.query("DROP DATABASE `\(name)`") } }

        let result = try CLI.run(
            ["inspect", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root", "--json"],
            environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let survey = try JSONDecoder().decode(SourceSurvey.self, from: Data(result.stdout.utf8))
        let schema = try #require(survey.schemas.first { $0.name == name })
        let counts: [Int] = [schema.tables, schema.views, schema.routines, schema.events, schema.triggers]
        #expect(counts == [3, 1, 2, 1, 1])
        #expect(survey.server.binlog.enabled)
        #expect(!result.stdout.contains(env.rootPassword))
    }

    @Test func askPasswordReadsAPipeAndRefusesNothing() throws {
        let env = try TestEnvironment.require()
        let arguments = [
            "inspect", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
            "--ask-password", "--json",
        ]
        let piped = try CLI.run(arguments, stdin: env.rootPassword + "\n")
        #expect(piped.status == 0, "stderr: \(piped.stderr)")
        let empty = try CLI.run(arguments, stdin: "")
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("no answer to 'Password for root@127.0.0.1:"))
        #expect(empty.stdout.isEmpty)
    }

    @Test func wrongPasswordAndClosedPortFailWithOneLine() async throws {
        let env = try TestEnvironment.require()
        let user = TestEnvironment.uniqueName("cli_user")
        let admin = try await MariaDBConnection.connect(try env.sourceTCP())
        try await admin.execute([
            "CREATE USER '\(user)'@'localhost' IDENTIFIED BY 'right'",
            "CREATE USER '\(user)'@'%' IDENTIFIED BY 'right'",
        ])
        defer { Task { try? await admin.execute(["DROP USER '\(user)'@'localhost'", "DROP USER '\(user)'@'%'"]) } }
        let wrong = try CLI.run(
            ["inspect", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", user],
            environment: ["MARIADB_PASSWORD": "definitely-wrong"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("1045") && wrong.stderr.contains(user))
        #expect(!wrong.stderr.contains("definitely-wrong"))
        let closed = try CLI.run(["inspect", "--host", "127.0.0.1", "--port", "1", "--user", "root"])
        #expect(closed.status != 0 && closed.stderr.contains("127.0.0.1:1"))
        #expect(closed.stderr.split(separator: "\n").count == 1)
    }

    @Test func badPortValueNamesIt() throws {
        let result = try CLI.run(["inspect", "--user", "root"], environment: ["MARIADB_PORT": "33o6"])
        #expect(result.status != 0 && result.stderr.contains("'33o6'"))
    }
}
