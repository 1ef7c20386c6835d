import Foundation
import MariaDBClient

/// Which nodes of a Galera cluster refuse writes when the cluster gives them up at a switch (a cutover away from a
/// Galera source, a revert away from a Galera target). read_only is per node and an application may write through
/// any node, so refusing writes on the pointed node alone would let writes through the others miss the final
/// position, and the side taking the writes would never get them.
public enum GaleraNodes: Sendable, Equatable, CustomStringConvertible {
    /// The nodes the pointed node's `wsrep_incoming_addresses` lists.
    case discover
    /// The pointed node only: the applications write through it alone.
    case pointedOnly
    /// These nodes, as this machine reaches them.
    case given([Address])

    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `HOST:PORT`, `HOST` (port 3306) or `[IPv6]:PORT`; nil when it is none of them.
        public init?(parsing text: String) {
            let text = text.trimmingCharacters(in: .whitespaces)
            var host = text
            var port = 3306
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                host = String(text[text.index(after: text.startIndex)..<close])
                let rest = text[text.index(after: close)...]
                if !rest.isEmpty {
                    guard rest.hasPrefix(":"), let given = Int(rest.dropFirst()) else { return nil }
                    port = given
                }
            } else if let colon = text.lastIndex(of: ":") {
                guard let given = Int(text[text.index(after: colon)...]) else { return nil }
                host = String(text[..<colon])
                port = given
            }
            guard !host.isEmpty, !host.contains(" "), host.uppercased() != "AUTO", (1...65_535).contains(port)
            else { return nil }
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public static let discoverWord = "auto"
    public static let pointedOnlyWord = "none"

    /// `auto`, `none` or `HOST:PORT,…`; nil when a part is no address.
    public init?(parsing text: String) {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case Self.discoverWord: self = .discover
        case Self.pointedOnlyWord: self = .pointedOnly
        default:
            guard let addresses = Self.addresses(incoming: text) else { return nil }
            self = .given(addresses)
        }
    }

    public var description: String {
        switch self {
        case .discover: return Self.discoverWord
        case .pointedOnly: return Self.pointedOnlyWord
        case .given(let addresses): return addresses.map(\.description).joined(separator: ",")
        }
    }

    /// The addresses a `wsrep_incoming_addresses` value (or a given `HOST:PORT,…`) lists; nil when one of them is not
    /// an address (a node that could not tell its own says AUTO).
    public static func addresses(incoming: String) -> [Address]? {
        let parts = incoming.split(separator: ",").map { Address(parsing: String($0)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }

    /// Connections to the other nodes that refuse writes with `pointed` (an address that turns out to be `pointed`
    /// itself is left out). Empty when `pointed` is no Galera node or for `pointedOnly`. Throws `GaleraNodesError`
    /// before anything changed when a node cannot be told or reached, or is in another cluster.
    public func connect(
        pointed: MariaDBConnection, settings: ConnectionSettings, option: String = "--galera-nodes "
    ) async throws -> [MariaDBConnection] {
        guard self != .pointedOnly else { return [] }
        // A server built with wsrep but not in a cluster (wsrep_on OFF) is no Galera node.
        let wsrep = try await pointed.keyValues("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
        guard wsrep["wsrep_on"]?.uppercased() == "ON" else { return [] }
        let own = try await Self.identity(of: pointed)
        let incoming = own["wsrep_incoming_addresses"] ?? ""
        let addresses: [Address]
        switch self {
        case .pointedOnly: return []
        case .given(let given): addresses = given
        case .discover:
            guard let listed = Self.addresses(incoming: incoming) else {
                throw GaleraNodesError.cannotReach(
                    cluster: pointed.endpoint, detail: "its wsrep_incoming_addresses is '\(incoming)'", option: option)
            }
            addresses = listed
        }
        var connections: [MariaDBConnection] = []
        for address in addresses {
            var node = settings
            node.transport = .tcp(host: address.host, port: address.port)
            let connection: MariaDBConnection
            let identity: [String: String]
            do {
                connection = try await MariaDBConnection.connect(node)
                identity = try await Self.identity(of: connection)
            } catch {
                throw GaleraNodesError.cannotReach(
                    cluster: pointed.endpoint, detail: "node \(address): \(error.localizedDescription)", option: option)
            }
            guard identity["wsrep_cluster_state_uuid"] == own["wsrep_cluster_state_uuid"] else {
                throw GaleraNodesError.cannotReach(
                    cluster: pointed.endpoint, detail: "\(address) is not one of its nodes", option: option)
            }
            if identity["wsrep_gcomm_uuid"] != own["wsrep_gcomm_uuid"] { connections.append(connection) }
        }
        return connections
    }

    /// Which cluster a node is in, which node it is, and the nodes it lists.
    static func identity(of node: MariaDBConnection) async throws -> [String: String] {
        try await node.keyValues(
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_incoming_addresses', 'wsrep_cluster_state_uuid', "
                + "'wsrep_gcomm_uuid')")
    }
}

public enum GaleraNodesError: Error, LocalizedError, Equatable, Sendable {
    /// `option`: how the user names the nodes here, up to the value (`--galera-nodes `, `--set galera-nodes=`).
    case cannotReach(cluster: String, detail: String, option: String)

    public var errorDescription: String? {
        switch self {
        case .cannotReach(let cluster, let detail, let option):
            return "cannot refuse writes on every node of the Galera cluster at \(cluster) (\(detail)): give its "
                + "nodes as this machine reaches them with \(option)HOST:PORT,…, or \(option)none when the "
                + "applications write through \(cluster) only; nothing was changed"
        }
    }
}
