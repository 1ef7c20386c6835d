import ArgumentParser
import Foundation
import MariaDBClient
import Terminal

/// How to reach the source server; shared by every command that connects.
public struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server host (default localhost: the default socket unless --port is given). Env: MARIADB_HOST.")
    var host: String?

    @Option(help: "Server TCP port (default 3306). Env: MARIADB_PORT.")
    var port: Int?

    @Option(help: "Unix socket path. Env: MARIADB_SOCKET.")
    var socket: String?

    @Option(help: "User name. Env: MARIADB_USER.")
    var user: String?

    @Option(
        help: ArgumentHelp("Read the password from this file (first line). Env: MARIADB_PASSWORD.", valueName: "path"))
    var passwordFile: String?

    @Flag(help: "Ask for the password (hidden on a terminal; one line read from a pipe otherwise).")
    var askPassword = false

    @Option(
        help: ArgumentHelp(
            "Read [client] settings from this option file, as mariadb --defaults-file.", valueName: "path"))
    var defaultsFile: String?

    @Flag(inversion: .prefixedNo, help: "Use TLS to the server (on when --ssl-ca is given).")
    var ssl: Bool?

    @Option(help: ArgumentHelp("CA bundle that signs the server certificate.", valueName: "path"))
    var sslCa: String?

    @Option(help: ArgumentHelp("Client certificate for TLS.", valueName: "path"))
    var sslCert: String?

    @Option(help: ArgumentHelp("Client key for TLS.", valueName: "path"))
    var sslKey: String?

    @Flag(help: "Do not verify the server certificate (verification is on by default whenever TLS is).")
    var skipSslVerifyServerCert = false

    @Option(help: "Seconds to wait for the connection.")
    var connectTimeout = 10

    public init() {}

    /// The flags as the engine's value (no password: files and the environment are read by `resolve`).
    var request: ConnectionRequest {
        var request = ConnectionRequest()
        request.host = host
        request.port = port
        request.socket = socket
        request.user = user
        request.passwordFile = passwordFile
        request.defaultsFile = defaultsFile
        request.ssl = ssl
        request.sslCA = sslCa
        request.sslCert = sslCert
        request.sslKey = sslKey
        request.skipVerifyServerCertificate = skipSslVerifyServerCert
        request.connectTimeoutSeconds = connectTimeout
        return request
    }

    /// Layers flag › environment › option file; prompts for the password only when asked to.
    func resolve(
        prompter: Prompter?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ConnectionSettings {
        var settings = try request.resolve(environment: environment)
        if askPassword {
            guard let prompter else { throw CommandError.cannotPrompt(what: "password") }
            settings.password = try prompter.askSecret(
                "Password for \(settings.user)@\(settings.endpointDescription)",
                hint: "pipe it to standard input, or use --password-file or MARIADB_PASSWORD")
        }
        return settings
    }
}

/// Errors of the command layer: each names the value and what to do.
public enum CommandError: Error, LocalizedError, Equatable {
    case unreadableFile(path: String, option: String, reason: String)
    case cannotPrompt(what: String)
    case invalidValue(option: String, value: String, expected: String)

    public var errorDescription: String? {
        switch self {
        case .unreadableFile(let path, let option, let reason):
            return "cannot read \(option) '\(path)': \(reason)"
        case .cannotPrompt(let what):
            return "cannot ask for the \(what) here: pass it another way"
        case .invalidValue(let option, let value, let expected):
            return "\(option) '\(value)' is not valid: expected \(expected)"
        }
    }
}
