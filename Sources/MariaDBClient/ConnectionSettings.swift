/// Where and how to reach a MariaDB server. A value: resolving it (flags, environment, option
/// file, prompt) is pure and lives in `ConnectionSettings.resolve`.
public struct ConnectionSettings: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    public var transport: Transport
    public var user: String
    public var password: String?
    public var database: String?
    public var tls: TLSSettings
    public var connectTimeoutSeconds: Int

    public init(
        transport: Transport, user: String, password: String? = nil, database: String? = nil,
        tls: TLSSettings = .disabled, connectTimeoutSeconds: Int = 10
    ) {
        self.transport = transport
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// `host:port` or the socket path: what error messages name.
    public var endpointDescription: String {
        switch transport {
        case .tcp(let host, let port): return "\(host):\(port)"
        case .socket(let path): return "socket \(path)"
        }
    }
}

/// TLS to the server. When it is on, the server certificate is verified unless the user opts out
/// (`--ssl-verify-server-cert` semantics).
public struct TLSSettings: Sendable, Equatable {
    public var enabled: Bool
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    public var verifyServerCertificate: Bool

    public init(
        enabled: Bool, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
        verifyServerCertificate: Bool = true
    ) {
        self.enabled = enabled
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.verifyServerCertificate = verifyServerCertificate
    }

    public static let disabled = TLSSettings(enabled: false)
}
