import Foundation
import MariaDBClient
import Replication
import TestSupport
import Testing

/// Issue #30 on a Galera target: the live verify against the node the target replicates into, and the way back
/// from that node. The nodes keep a binlog with log_slave_updates, so what another node takes reaches the pointed
/// node's binlog and, through the reverse stream, the old source.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"), .serialized)
struct GaleraWayBackTests {
    static let binlogNodes = [
        "log_bin=mysql-bin", "log_slave_updates=ON", "wsrep_gtid_mode=ON", "wsrep_gtid_domain_id=7",
    ]

    @Test(.timeLimit(.minutes(30)))
    func aGaleraTargetIsVerifiedLiveAndItsWayBackComesFromThePointedNode() async throws {
        _ = try TestEnvironment.require()
        let source = try await FreshServer(options: ["--log-bin=mysql-bin", "--server-id=1001", "--binlog-format=ROW"])
        defer { source.stop() }
        let cluster = try await offTheCooperativePool { try FreshGalera(myCnf: Self.binlogNodes) }
        defer { cluster.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galway-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try await MariaDBConnection.connect(source.settings)
        try await old.execute([
            "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40))",
            "INSERT INTO shop.orders SELECT seq, 'before the backup' FROM shop.seq_1_to_20",
        ])
        let passwords = ["MARIADB_PASSWORD": FreshServer.password, "MARIADB_TARGET_PASSWORD": FreshServer.password]
        let from = ["--host", "127.0.0.1", "--port", String(source.server.port), "--user", "root"]
        let node = ["--target-host", "127.0.0.1", "--target-port", String(cluster.ports[0]), "--target-user", "root"]
        func run(_ arguments: [String]) async throws -> CLI.Result {
            let result = try await offTheCooperativePool { try CLI.run(arguments, environment: passwords) }
            #expect(result.status == 0, "\(arguments.first ?? ""): \(result.stdout) \(result.stderr)")
            return result
        }
        _ = try await run(["backup", "--database", "shop", "--galera", "--storage-dir", dir + "/store"] + from)
        _ = try await run(
            ["restore", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", String(cluster.ports[0]),
             "--user", "root"])
        let password = ["--replication-password-file", dir + "/repl.pw"]
        _ = try await run(
            ["replicate", "--storage-dir", dir + "/store", "--create-replication-user"] + password + from + node)
        try await old.execute(["INSERT INTO shop.orders SELECT seq, 'after the backup' FROM shop.seq_21_to_50"])

        let verify = try await run(
            ["verify", "--live", "--json", "--state-directory", dir + "/vl", "--database", "shop"] + from + node)
        struct Report: Decodable {
            var differences: Int
            var tables: [Table]
            struct Table: Decodable { var rows: Int }
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(verify.stdout.utf8))
        #expect(report.differences == 0 && report.tables.map(\.rows) == [50], "\(verify.stdout)")
        _ = try await run(
            ["cutover", "--yes", "--reversible", "--verify-state-directory", dir + "/vl"] + password + from + node)
        let reverse = try await old.query("SHOW ALL SLAVES STATUS").rows
        #expect(reverse.map { $0["Connection_name"].string } == ["mariadb_migrate_reverse"])
        #expect(reverse.first?["Master_Port"].int == cluster.ports[0], "the way back comes from the pointed node")

        // The application writes on the pointed node and on another one: both reach the old source.
        let nodes = try await (0..<3).asyncMap { try await MariaDBConnection.connect(cluster.settings(node: $0)) }
        try await nodes[0].execute(["INSERT INTO shop.orders VALUES (100, 'pointed node')"])
        try await nodes[1].execute(["INSERT INTO shop.orders VALUES (101, 'second node')"])
        try await nodes[2].execute(["UPDATE shop.orders SET note = 'third node' WHERE id = 1"])
        try await nodes[0].query("SET SESSION wsrep_sync_wait = 1")
        #expect(try await nodes[0].query("SELECT COUNT(*) FROM shop.orders").scalar.int == 52)

        // An application account (root ignores read_only) on each node, made on each alone.
        for connection in nodes {
            try await connection.execute([
                "SET SESSION wsrep_on = 0", "SET SESSION sql_log_bin = 0",
                "CREATE USER app@'127.0.0.1' IDENTIFIED BY 'app-pw'",
                "GRANT SELECT, INSERT ON shop.* TO app@'127.0.0.1'", "SET SESSION wsrep_on = 1",
            ])
        }
        // It keeps writing through the second node during the revert: the revert must refuse its writes there too,
        // and the old source must get every one that committed.
        var app = cluster.settings(node: 1)
        app.user = "app"
        app.password = "app-pw"
        let writer = try await MariaDBConnection.connect(app)
        let committed = Task { () -> (ids: [Int], error: String) in
            var ids: [Int] = []
            for id in 1_000..<200_000 {
                do {
                    try await writer.query("INSERT INTO shop.orders VALUES (\(id), 'during the revert')")
                    ids.append(id)
                } catch {
                    return (ids, "\(error)")
                }
            }
            return (ids, "")
        }
        while try await nodes[1].query("SELECT COUNT(*) FROM shop.orders WHERE id >= 1000").scalar.int ?? 0 < 20 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let revert = try await run(["cutover", "--yes", "--revert", "--json"] + password + from + node)
        let written = await committed.value
        #expect(written.error.contains("read-only") || written.error.contains("read_only"), "\(written.error)")
        for connection in nodes {
            #expect(try await connection.query("SELECT @@GLOBAL.read_only").scalar.int == 1, "\(connection.endpoint)")
        }
        // The pointed node's own address in its cluster list is the pointed node: only the two others are named.
        struct Switched: Decodable { var otherNodesLeftReadOnly: [String] }
        let switched = try JSONDecoder().decode(Switched.self, from: Data(revert.stdout.utf8))
        #expect(switched.otherNodesLeftReadOnly == cluster.ports[1...].map { "127.0.0.1:\($0)" }, "\(revert.stdout)")
        let ids = try await old.query("SELECT id FROM shop.orders ORDER BY id").rows.compactMap { $0[0].int }
        #expect(ids == Array(1...50) + [100, 101] + written.ids, "\(written.ids.count) rows written during the revert")
        #expect(try await old.query("SELECT note FROM shop.orders WHERE id = 1").scalar.string == "third node")
        #expect(try await old.query("SELECT @@GLOBAL.read_only").scalar.int == 0)
        let forward = try await nodes[0].query("SHOW ALL SLAVES STATUS").rows
        #expect(forward.map { $0["Connection_name"].string } == ["mariadb_migrate"])
        #expect(try await old.query("SHOW ALL SLAVES STATUS").rows.isEmpty)
    }
}

/// A switch away from a Galera cluster refuses writes on every node or not at all: a node it cannot reach stops it
/// before anything changed.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct GaleraNodesRefusalTests {
    @Test func aNodeThatCannotBeReachedStopsTheCutoverBeforeAnythingChanged() async throws {
        let env = try TestEnvironment.require()
        let galera = try env["MM_TEST_GALERA_PORT"]
        let arguments = [
            "cutover", "--yes", "--host", "127.0.0.1", "--port", galera, "--user", "root", "--target-host",
            "127.0.0.1", "--target-port", try env["MM_TEST_TARGET_PORT"], "--target-user", "root", "--galera-nodes",
            "127.0.0.1:1",
        ]
        let passwords = ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword]
        let refused = try await offTheCooperativePool { try CLI.run(arguments, environment: passwords) }
        ErrorCatalog.expect("galera-node-unreachable", refused)
        // A server of no cluster, or of another, is no node: it is left as it is.
        let standalone = "127.0.0.1:" + (try env["MM_TEST_TARGET_PORT"])
        let other = try await offTheCooperativePool {
            try CLI.run(arguments.dropLast() + [standalone], environment: passwords)
        }
        #expect(other.status == 1 && other.stderr.contains("is not one of its nodes"), "\(other.stderr)")
        let node = try await MariaDBConnection.connect(try env.galeraNodes()[0])
        #expect(try await node.query("SELECT @@GLOBAL.read_only").scalar.int == 0)
        // Its own list names every node as this machine reaches it (scripts/lib.sh sets the incoming addresses).
        let listed = try await node.keyValues("SHOW GLOBAL STATUS LIKE 'wsrep_incoming_addresses'")
        let addresses = try #require(GaleraNodes.addresses(incoming: listed["wsrep_incoming_addresses"] ?? ""))
        let ports = try ["MM_TEST_GALERA_PORT", "MM_TEST_GALERA2_PORT", "MM_TEST_GALERA3_PORT"].map { try env[$0] }
        #expect(Set(addresses.map { String($0.port) }) == Set(ports), "\(listed)")
    }
}

extension Range where Bound == Int {
    fileprivate func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for value in self { results.append(try await transform(value)) }
        return results
    }
}
