import Foundation

/// A connection as a person states it (flags, runbook inputs, a state file): files by path and
/// the environment prefix to read, never a password value, so it can be stored as is. `resolve`
/// layers it flag › environment › option file › defaults into `ConnectionSettings`.
public struct ConnectionRequest: Codable, Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var socket: String?
    public var user: String?
    public var passwordFile: String?
    public var defaultsFile: String?
    public var ssl: Bool?
    public var sslCA: String?
    public var sslCert: String?
    public var sslKey: String?
    public var skipVerifyServerCertificate = false
    public var connectTimeoutSeconds = 10
    /// `MARIADB_` for a source; `MARIADB_TARGET_` for the second server of a restore or compare.
    public var environmentPrefix = "MARIADB_"
    /// A password given by a prompt: used, never encoded.
    public var password: String?

    private enum CodingKeys: String, CodingKey {
        case host, port, socket, user, passwordFile, defaultsFile, ssl, sslCA, sslCert, sslKey
        case skipVerifyServerCertificate, connectTimeoutSeconds, environmentPrefix
    }

    public init(environmentPrefix: String = "MARIADB_") {
        self.environmentPrefix = environmentPrefix
    }

    public func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ConnectionSettings {
        let optionFile =
            try defaultsFile.map { path in
                try OptionFile.parse(try Self.read(path, what: "option file"), file: path, includes: .fileSystem)
            } ?? OptionFile()
        let filePassword = try passwordFile.map { path in
            try Self.read(path, what: "password file").split(separator: "\n", omittingEmptySubsequences: false).first
                .map(String.init) ?? ""
        }
        // MARIADB_TARGET_X plays the part MARIADB_X plays for the source.
        var mapped: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix(environmentPrefix) {
            mapped["MARIADB_" + key.dropFirst(environmentPrefix.count)] = value
        }
        let inputs = ConnectionInputs(
            host: host, port: port, socket: socket, user: user, password: password ?? filePassword, database: nil,
            ssl: ssl, sslCA: sslCA, sslCert: sslCert, sslKey: sslKey,
            verifyServerCertificate: skipVerifyServerCertificate ? false : nil)
        guard (1...3600).contains(connectTimeoutSeconds) else {
            throw ConnectionRequestError.invalid(
                "connect timeout '\(connectTimeoutSeconds)' is outside 1 to 3600 seconds")
        }
        var settings = try ConnectionSettings.resolve(inputs: inputs, environment: mapped, optionFile: optionFile)
        settings.connectTimeoutSeconds = connectTimeoutSeconds
        return settings
    }

    static func read(_ path: String, what: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConnectionRequestError.invalid("cannot read the \(what) '\(path)': \(error.localizedDescription)")
        }
    }
}

public enum ConnectionRequestError: Error, LocalizedError, Equatable {
    case invalid(String)

    public var errorDescription: String? {
        switch self {
        case .invalid(let message): return message
        }
    }
}
