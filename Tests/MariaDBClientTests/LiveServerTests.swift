import Glibc
import TestSupport
import Testing

@testable import MariaDBClient

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct LiveServerTests {
    @Test func queriesOverTCPWithTypedRows() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceTCP())
        let result = try await connection.query(
            "SELECT 42 AS answer, CAST(18446744073709551615 AS UNSIGNED) AS big, 1.5e0 AS f, CAST(3.25 AS "
                + "DECIMAL(5,2)) AS d, 'héllo' AS s, NULL AS n, X'00FF' AS b"
        )
        let row = try #require(result.rows.first)
        #expect(row["answer"] == .int(42))
        #expect(row["big"] == .uint(UInt64.max))
        #expect(row["f"] == .double(1.5))
        #expect(row["d"] == .decimal("3.25"))
        #expect(row["s"] == .text("héllo"))
        #expect(row["n"] == .null)
        #expect(row["b"] == .bytes([0x00, 0xFF]))
    }

    @Test func queriesOverTheSocket() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceSocket())
        let value = try await connection.query("SELECT @@socket").scalar.string
        #expect(value == (try env["MM_TEST_MARIADB_SOCKET"]))
    }

    @Test func wrongPasswordIs1045NamingUserAndHost() async throws {
        let env = try TestEnvironment.require()
        let user = TestEnvironment.uniqueName("pw_user")
        let admin = try await MariaDBConnection.connect(try env.sourceTCP())
        try await admin.execute([
            "CREATE USER '\(user)'@'%' IDENTIFIED BY 'right'",
            "CREATE USER '\(user)'@'localhost' IDENTIFIED BY 'right'",
        ])
        defer { Task { try? await admin.execute(["DROP USER '\(user)'@'%'", "DROP USER '\(user)'@'localhost'"]) } }
        var settings = try env.sourceTCP()
        settings.user = user
        settings.password = "wrong"
        let error = await #expect(throws: MariaDBError.self) { try await MariaDBConnection.connect(settings) }
        #expect(error?.code == 1045)
        let message = error?.localizedDescription ?? ""
        #expect(message.contains(user))
        #expect(message.contains("localhost") || message.contains("127.0.0.1"))
        #expect(message.contains(settings.endpointDescription))
    }

    @Test func closedPortNamesHostAndPort() async throws {
        let port = try closedPort()
        let settings = ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: port), user: "root", password: "x",
            connectTimeoutSeconds: 3)
        let error = await #expect(throws: MariaDBError.self) { try await MariaDBConnection.connect(settings) }
        #expect(error?.isUnreachable == true)
        #expect(error?.localizedDescription.contains("127.0.0.1:\(port)") == true)
    }

    @Test func queryErrorsCarryCodeAndStatement() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceTCP())
        let error = await #expect(throws: MariaDBError.self) {
            try await connection.query("SELECT * FROM no_such_db.t")
        }
        #expect(error?.code == 1049 || error?.code == 1146)
        #expect(error?.localizedDescription.contains("no_such_db") == true)
    }

    @Test func serverFactsOfTheSource() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceTCP())
        let facts = try await connection.serverFacts()
        #expect(facts.flavour == .mariadb)
        #expect(facts.major >= 10)
        #expect(facts.galera.enabled == false)
        #expect(facts.binlog.enabled)
        #expect(facts.binlog.file?.hasPrefix("mysql-bin") == true)
    }

    @Test func quotesLiterals() async throws {
        let env = try TestEnvironment.require()
        let connection = try await MariaDBConnection.connect(try env.sourceTCP())
        let tricky = "it's a \"test\" \\ with\nnewline"
        let echoed = try await connection.query("SELECT \(connection.quote(tricky))").scalar.string
        #expect(echoed == tricky)
    }
}

/// A loopback port nothing listens on: bind, read the port, close.
func closedPort() throws -> Int { try ScratchServer.freePort() }
