import Foundation
import MariaDBClient

/// A MariaDB server as `mariadb-install-db` leaves it, root's password set, on a free loopback port:
/// a copy of one template data directory made once per test process (so every fresh server has the
/// same install time in sys.sys_config and the same system tables), started with `ScratchServer`.
public final class FreshServer: @unchecked Sendable {
    public static let password = "fresh-root-pw"
    public private(set) var server: ScratchServer
    let dataDirectory: String
    let options: [String]

    public var settings: ConnectionSettings { server.settings(password: Self.password) }

    /// `options`: more mariadbd options, e.g. a binlog and a server id for a live migration's source.
    public init(options: [String] = []) async throws {
        let template = try await Self.template.value
        dataDirectory = NSTemporaryDirectory() + "mm-fresh-\(UUID().uuidString)"
        try Self.run("/bin/cp", ["-a", template, dataDirectory])
        self.options = options
        server = try await ScratchServer(dataDirectory: dataDirectory, password: Self.password, options: options)
    }

    /// A crash: mariadbd killed (SIGKILL, no shutdown), then started again on the same data (on
    /// another port), through InnoDB's crash recovery.
    public func crashAndRestart() async throws {
        server.kill()
        server = try await ScratchServer(dataDirectory: dataDirectory, password: Self.password, options: options)
    }

    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Made on first use: install, start once to set root's password for TCP, stop cleanly.
    static let template = Task<String, any Error> {
        let directory = NSTemporaryDirectory() + "mm-fresh-template-\(UUID().uuidString)"
        var arguments = [
            "--no-defaults", "--datadir=\(directory)", "--skip-test-db", "--auth-root-authentication-method=normal",
        ]
        if getuid() == 0 { arguments.append("--user=root") }
        try run("/usr/bin/mariadb-install-db", arguments)
        let first = try await ScratchServer(dataDirectory: directory, password: "")
        let root = try await MariaDBConnection.connect(first.settings(password: ""))
        try await root.execute([
            "ALTER USER root@localhost IDENTIFIED BY '\(password)'",
            "CREATE OR REPLACE USER root@'127.0.0.1' IDENTIFIED BY '\(password)'",
            "GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION",
        ])
        first.stop()
        return directory
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ScratchServerError(
                message: "\(executable) failed: " + String(decoding: message.suffix(500), as: UTF8.self))
        }
    }
}
