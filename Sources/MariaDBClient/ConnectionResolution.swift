/// What the user said about the connection, before defaults: each field is what a flag gave.
public struct ConnectionInputs: Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var socket: String?
    public var user: String?
    /// A password read from `--password-file` (never from argv).
    public var password: String?
    public var database: String?
    public var ssl: Bool?
    public var sslCA: String?
    public var sslCert: String?
    public var sslKey: String?
    public var verifyServerCertificate: Bool?

    public init(
        host: String? = nil, port: Int? = nil, socket: String? = nil, user: String? = nil,
        password: String? = nil, database: String? = nil, ssl: Bool? = nil, sslCA: String? = nil,
        sslCert: String? = nil, sslKey: String? = nil, verifyServerCertificate: Bool? = nil
    ) {
        self.host = host
        self.port = port
        self.socket = socket
        self.user = user
        self.password = password
        self.database = database
        self.ssl = ssl
        self.sslCA = sslCA
        self.sslCert = sslCert
        self.sslKey = sslKey
        self.verifyServerCertificate = verifyServerCertificate
    }
}

public enum ConnectionResolutionError: Error, Equatable, Sendable {
    case missingUser
    case invalidPort(value: String, source: String)
}

extension ConnectionSettings {
    /// The default socket of Debian's MariaDB packages, used for `localhost` without a port.
    public static let defaultSocketPath = "/run/mysqld/mysqld.sock"

    /// Layers the connection: flag › environment (`MARIADB_HOST`, `MARIADB_PORT`, `MARIADB_USER`,
    /// `MARIADB_PASSWORD`, `MARIADB_SOCKET`, the runbook's variables) › option file › defaults.
    /// `localhost` with no port and no socket means the default socket, as for `mariadb`; any
    /// other host, or a port, means TCP. The password may stay nil: the caller decides to prompt.
    public static func resolve(
        inputs: ConnectionInputs, environment: [String: String], optionFile: OptionFile = OptionFile()
    ) throws(ConnectionResolutionError) -> ConnectionSettings {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        func port(_ text: String?, source: String) throws(ConnectionResolutionError) -> Int? {
            guard let text = nonEmpty(text) else { return nil }
            guard let value = Int(text), (1...65535).contains(value) else {
                throw .invalidPort(value: text, source: source)
            }
            return value
        }

        let host = nonEmpty(inputs.host) ?? nonEmpty(environment["MARIADB_HOST"]) ?? nonEmpty(optionFile["host"])
        let resolvedPort: Int?
        if let flagPort = inputs.port {
            guard (1...65535).contains(flagPort) else { throw .invalidPort(value: String(flagPort), source: "--port") }
            resolvedPort = flagPort
        } else if let envPort = try port(environment["MARIADB_PORT"], source: "MARIADB_PORT") {
            resolvedPort = envPort
        } else {
            resolvedPort = try port(optionFile["port"], source: "the option file")
        }
        let socket =
            nonEmpty(inputs.socket) ?? nonEmpty(environment["MARIADB_SOCKET"]) ?? nonEmpty(optionFile["socket"])

        let transport: Transport
        let effectiveHost = host ?? "localhost"
        if let socket, effectiveHost == "localhost" {
            transport = .socket(path: socket)
        } else if effectiveHost == "localhost", resolvedPort == nil {
            transport = .socket(path: defaultSocketPath)
        } else {
            // libmariadb turns "localhost" into a socket connection; a port asks for TCP.
            transport = .tcp(
                host: effectiveHost == "localhost" ? "127.0.0.1" : effectiveHost, port: resolvedPort ?? 3306)
        }

        guard let user = nonEmpty(inputs.user) ?? nonEmpty(environment["MARIADB_USER"]) ?? nonEmpty(optionFile["user"])
        else {
            throw .missingUser
        }
        let password = inputs.password ?? environment["MARIADB_PASSWORD"] ?? optionFile["password"]

        let caFile = nonEmpty(inputs.sslCA) ?? nonEmpty(optionFile["ssl-ca"])
        let certFile = nonEmpty(inputs.sslCert) ?? nonEmpty(optionFile["ssl-cert"])
        let keyFile = nonEmpty(inputs.sslKey) ?? nonEmpty(optionFile["ssl-key"])
        let fileSSL = optionFile["ssl"].map(Self.isTrue)
        let enabled = inputs.ssl ?? fileSSL ?? (caFile != nil || certFile != nil)
        let fileVerify = optionFile["ssl-verify-server-cert"].map(Self.isTrue)
        let verify = inputs.verifyServerCertificate ?? fileVerify ?? true

        return ConnectionSettings(
            transport: transport, user: user, password: password,
            database: nonEmpty(inputs.database) ?? nonEmpty(optionFile["database"]),
            tls: TLSSettings(
                enabled: enabled, caFile: caFile, certFile: certFile, keyFile: keyFile,
                verifyServerCertificate: verify)
        )
    }

    /// Option-file booleans: a bare key (`ssl`) or 1/on/true/yes.
    static func isTrue(_ value: String) -> Bool {
        ["", "1", "on", "true", "yes"].contains(value.lowercased())
    }
}
