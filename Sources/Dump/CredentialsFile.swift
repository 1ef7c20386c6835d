import Foundation
import MariaDBClient

/// The connection and credentials for a child `mariadb-dump`/`mariadb`, in a mode-0600 option
/// file (`--defaults-extra-file`), so nothing secret is on argv. Removed by `remove()` or deinit.
public final class CredentialsFile: @unchecked Sendable {
    public let path: String
    private let directory: String

    public init(settings: ConnectionSettings) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mariadb-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: base, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        directory = base.path
        path = base.appendingPathComponent("client.cnf").path
        let text = Self.render(settings)
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            try? FileManager.default.removeItem(atPath: directory)
            throw CocoaError(.fileWriteUnknown)
        }
    }

    deinit { remove() }

    public func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// `[client]` with quoted values (backslash and double quote escaped). Pure.
    public static func render(_ settings: ConnectionSettings) -> String {
        func quoted(_ value: String) -> String {
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        var lines = ["[client]", "user=\(quoted(settings.user))"]
        if let password = settings.password { lines.append("password=\(quoted(password))") }
        switch settings.transport {
        case .tcp(let host, let port):
            lines += ["host=\(quoted(host))", "port=\(port)", "protocol=TCP"]
        case .socket(let path):
            lines += ["socket=\(quoted(path))", "protocol=SOCKET"]
        }
        if settings.tls.enabled {
            lines.append("ssl")
            if let ca = settings.tls.caFile { lines.append("ssl-ca=\(quoted(ca))") }
            if let cert = settings.tls.certFile { lines.append("ssl-cert=\(quoted(cert))") }
            if let key = settings.tls.keyFile { lines.append("ssl-key=\(quoted(key))") }
            lines.append(
                settings.tls.verifyServerCertificate ? "ssl-verify-server-cert" : "disable-ssl-verify-server-cert")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
