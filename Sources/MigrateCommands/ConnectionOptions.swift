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

    @Option(help: ArgumentHelp("Read the password from this file (first line). Env: MARIADB_PASSWORD.", valueName: "path"))
    var passwordFile: String?

    @Flag(help: "Ask for the password (hidden on a terminal; one line read from a pipe otherwise).")
    var askPassword = false

    @Option(help: ArgumentHelp("Read [client] settings from this option file, as mariadb --defaults-file.", valueName: "path"))
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

    /// Layers flag › environment › option file; prompts for the password only when asked to.
    func resolve(prompter: Prompter?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConnectionSettings {
        let optionFile = try defaultsFile.map { try InputFiles.optionFile($0, option: "--defaults-file") } ?? OptionFile()
        let password = try passwordFile.map { try InputFiles.firstLine($0, option: "--password-file") }
        let inputs = ConnectionInputs(
            host: host, port: port, socket: socket, user: user, password: password, database: nil,
            ssl: ssl, sslCA: sslCa, sslCert: sslCert, sslKey: sslKey,
            verifyServerCertificate: skipSslVerifyServerCert ? false : nil)
        var settings = try ConnectionSettings.resolve(inputs: inputs, environment: environment, optionFile: optionFile)
        if askPassword {
            guard let prompter else { throw CommandError.cannotPrompt(what: "password") }
            settings.password = try prompter.askSecret(
                "Password for \(settings.user)@\(settings.endpointDescription)",
                hint: "pipe it to standard input, or use --password-file or MARIADB_PASSWORD")
        }
        guard (1...3600).contains(connectTimeout) else {
            throw CommandError.invalidValue(option: "--connect-timeout", value: String(connectTimeout), expected: "1 to 3600 seconds")
        }
        settings.connectTimeoutSeconds = connectTimeout
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
