/// What a migration needs to know about a server before touching it.
public struct ServerFacts: Sendable, Equatable, Codable {
    public enum Flavour: String, Sendable, Codable {
        case mariadb = "MariaDB"
        case mysql = "MySQL"
    }

    public struct Galera: Sendable, Equatable, Codable {
        public var enabled: Bool
        public var clusterSize: Int?
        public var clusterStatus: String?
        public var localState: String?
    }

    public struct BinlogPosition: Sendable, Equatable, Codable {
        public var enabled: Bool
        public var file: String?
        public var position: UInt64?
        public var gtidCurrentPos: String?
        public var gtidBinlogPos: String?
    }

    public var version: String
    public var flavour: Flavour
    public var major: Int
    public var minor: Int
    public var galera: Galera
    public var binlog: BinlogPosition

    /// Splits `10.11.19-MariaDB-0+deb12u1` into flavour and major.minor.
    public static func parseVersion(_ version: String) -> (flavour: Flavour, major: Int, minor: Int) {
        let flavour: Flavour = version.lowercased().contains("mariadb") ? .mariadb : .mysql
        let numbers = version.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
        return (flavour, numbers.first ?? 0, numbers.dropFirst().first ?? 0)
    }
}

extension MariaDBConnection {
    /// Reads version, Galera state and the binlog/GTID position.
    public func serverFacts() async throws -> ServerFacts {
        let version = try await query("SELECT VERSION()").scalar.string ?? ""
        let parsed = ServerFacts.parseVersion(version)
        let variables = try await keyValues(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on','log_bin','gtid_current_pos','gtid_binlog_pos')")
        let status = try await keyValues(
            "SHOW GLOBAL STATUS WHERE Variable_name IN "
                + "('wsrep_cluster_size','wsrep_cluster_status','wsrep_local_state_comment')"
        )
        let galera = ServerFacts.Galera(
            enabled: variables["wsrep_on"].map { $0.uppercased() == "ON" } ?? false,
            clusterSize: status["wsrep_cluster_size"].flatMap { Int($0) },
            clusterStatus: status["wsrep_cluster_status"],
            localState: status["wsrep_local_state_comment"]
        )
        let binlogEnabled = variables["log_bin"].map { $0.uppercased() == "ON" } ?? false
        var file: String?
        var position: UInt64?
        if binlogEnabled, let row = try? await query("SHOW MASTER STATUS").rows.first {
            file = row["File"].string
            position = row["Position"].uint64
        }
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        return ServerFacts(
            version: version, flavour: parsed.flavour, major: parsed.major, minor: parsed.minor, galera: galera,
            binlog: .init(
                enabled: binlogEnabled, file: file, position: position,
                gtidCurrentPos: nonEmpty(variables["gtid_current_pos"]),
                gtidBinlogPos: nonEmpty(variables["gtid_binlog_pos"]))
        )
    }

    /// Two-column results (`SHOW VARIABLES`, `SHOW STATUS`) as a dictionary with lowercase keys.
    public func keyValues(_ sql: String) async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await query(sql).rows {
            if let key = row[0].string { result[key.lowercased()] = row[1].string ?? "" }
        }
        return result
    }
}
