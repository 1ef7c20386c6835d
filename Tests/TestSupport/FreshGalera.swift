import Foundation
import MariaDBClient

/// A three-node Galera cluster of its own, started by `scripts/galera-cluster` (the cluster scripts/test-env
/// starts, made again) for a test that replaces a whole server's content; root's password is
/// `FreshServer.password`. Stopped with `stop()`.
public final class FreshGalera: @unchecked Sendable {
    public let directory: String
    public let ports: [Int]

    /// `myCnf`: more [mysqld] lines for every node.
    public init(myCnf: [String] = []) throws {
        directory = NSTemporaryDirectory() + "mm-galera-\(UUID().uuidString.prefix(8))"
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/galera-cluster").path
        // Foundation's Process learns that a child ended when a socket it inherited closes; the cluster's
        // mariadbd daemons would inherit it too and keep it open, so the test would wait forever. Closed first.
        let up = try CLI.shell(
            "exec bash -c 'for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; "
                + "done 2>/dev/null; exec \"$0\" up \"$1\"' \"$0\" \"$1\"",
            environment: [
                "MM_GALERA_ROOT_PASSWORD": FreshServer.password, "MM_GALERA_MYCNF": myCnf.joined(separator: "\n"),
            ], arguments: [script, directory])
        ports = up.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard up.status == 0, ports.count == 3 else {
            stop()
            throw ScratchServerError(message: "scripts/galera-cluster up failed: \(up.stderr.suffix(800))")
        }
    }

    public func settings(node: Int) -> ConnectionSettings {
        ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: ports[node]), user: "root", password: FreshServer.password)
    }

    public func stop() {
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/galera-cluster").path
        _ = try? CLI.shell("'\(script)' down '\(directory)'")
    }
}
