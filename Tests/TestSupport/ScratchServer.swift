import Foundation
import MariaDBClient

/// A mariadbd started by a test on a data directory it filled (a physical restore), on a free
/// loopback port, with the InnoDB sizes of scripts/test-env; stopped with `stop()`.
public final class ScratchServer: @unchecked Sendable {
    public let dataDirectory: String
    public let port: Int
    let process = Process()
    let runDirectory: String

    /// `options`: more mariadbd options (`--log-bin`, `--server-id=…`), after the defaults, so they win.
    public init(dataDirectory: String, password: String, options: [String] = []) async throws {
        self.dataDirectory = dataDirectory
        runDirectory = NSTemporaryDirectory() + "mm-scratch-\(UUID().uuidString)"
        // Its own tmpdir: a starting mariadbd deletes every #sql* file in its tmpdir, which in a shared /tmp are
        // the temporary tables of the test servers already running.
        try FileManager.default.createDirectory(atPath: runDirectory + "/tmp", withIntermediateDirectories: true)
        port = try Self.freePort()
        let binary = ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let binary else { throw ScratchServerError(message: "mariadbd not found: install mariadb-server") }
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = [
            "--no-defaults", "--datadir=\(dataDirectory)", "--socket=\(runDirectory)/mysqld.sock", "--port=\(port)",
            "--tmpdir=\(runDirectory)/tmp", "--bind-address=127.0.0.1", "--pid-file=\(runDirectory)/mysqld.pid",
            "--log-error=\(runDirectory)/error.log", "--innodb-buffer-pool-size=128M", "--innodb-log-file-size=64M",
            "--skip-log-bin",
        ] + options
        if getuid() == 0 { arguments.append("--user=root") }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let settings = self.settings(password: password)
        for _ in 0..<240 {
            if (try? await MariaDBConnection.connect(settings)) != nil { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let log = (try? String(contentsOfFile: "\(runDirectory)/error.log", encoding: .utf8)) ?? ""
        stop()
        throw ScratchServerError(
            message: "mariadbd did not start on \(dataDirectory): "
                + log.split(separator: "\n").suffix(5).joined(
                    separator: " | "))
    }

    public func settings(password: String, database: String? = nil) -> ConnectionSettings {
        ConnectionSettings(
            transport: .tcp(host: "127.0.0.1", port: port), user: "root", password: password, database: database)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to be gone.
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: runDirectory)
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: runDirectory)
    }

    /// A loopback port nothing listens on: bind, read the port, close.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ScratchServerError(message: "no free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct ScratchServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
