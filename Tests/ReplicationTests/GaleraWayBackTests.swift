import Foundation
import MariaDBClient
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

    @Test(.timeLimit(.minutes(10)))
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

        _ = try await run(["cutover", "--yes", "--revert"] + password + from + node)
        let ids = try await old.query("SELECT id FROM shop.orders ORDER BY id").rows.compactMap { $0[0].int }
        #expect(ids == Array(1...50) + [100, 101])
        #expect(try await old.query("SELECT note FROM shop.orders WHERE id = 1").scalar.string == "third node")
        #expect(try await old.query("SELECT @@GLOBAL.read_only").scalar.int == 0)
        let forward = try await nodes[0].query("SHOW ALL SLAVES STATUS").rows
        #expect(forward.map { $0["Connection_name"].string } == ["mariadb_migrate"])
        #expect(try await old.query("SHOW ALL SLAVES STATUS").rows.isEmpty)
    }
}

extension Range where Bound == Int {
    fileprivate func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for value in self { results.append(try await transform(value)) }
        return results
    }
}
