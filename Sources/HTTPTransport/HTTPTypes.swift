import Foundation

public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case put = "PUT"
        case post = "POST"
        case delete = "DELETE"
        case head = "HEAD"
    }

    public var method: Method
    public var url: String
    /// In the order given; names are sent as written.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Let libcurl sign the request itself (`CURLOPT_AWS_SIGV4`): used to cross-check our signer.
    public var curlSigV4: CurlSigV4?

    public init(
        method: Method, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        curlSigV4: CurlSigV4? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.curlSigV4 = curlSigV4
    }
}

/// libcurl's own SigV4 signing parameters.
public struct CurlSigV4: Sendable {
    public var region: String
    public var service: String
    public var accessKeyId: String
    public var secretAccessKey: String

    public init(region: String, service: String = "s3", accessKeyId: String, secretAccessKey: String) {
        self.region = region
        self.service = service
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// Empty when the body went to a sink.
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The last value of a header, names compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// TLS as the operator's `tls` block says it: on with the system trust store, or with a CA
/// bundle of one's own; verification is never off unless asked for.
public struct TLSOptions: Sendable, Equatable {
    public var caFile: String?
    public var verifyPeer: Bool

    public init(caFile: String? = nil, verifyPeer: Bool = true) {
        self.caFile = caFile
        self.verifyPeer = verifyPeer
    }
}

public struct TransportTimeouts: Sendable, Equatable {
    public var connectSeconds: Int
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds` is a stall.
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Int

    public init(connectSeconds: Int = 10, lowSpeedBytesPerSecond: Int = 1, lowSpeedSeconds: Int = 60) {
        self.connectSeconds = connectSeconds
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.lowSpeedSeconds = lowSpeedSeconds
    }
}

/// A request that never got an HTTP answer: names the URL and what libcurl said.
public struct TransportError: Error, LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case unreachable, timeout, tls, connectionLost, aborted, other }

    public var kind: Kind
    public var curlCode: Int
    public var message: String
    public var url: String
    public var caFile: String?

    public init(kind: Kind, curlCode: Int, message: String, url: String, caFile: String? = nil) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
        self.url = url
        self.caFile = caFile
    }

    /// Worth another try: the network may answer next time.
    public var isTransient: Bool { [.unreachable, .timeout, .connectionLost].contains(kind) }

    public var errorDescription: String? {
        switch kind {
        case .unreachable:
            return "cannot reach \(url): \(message); check the endpoint and that the server runs"
        case .timeout:
            return "\(url) timed out: \(message)"
        case .tls:
            let ca = caFile.map { "the CA file \($0)" } ?? "the system CA store"
            return "TLS verification of \(url) failed: \(message); check \(ca) and the server's certificate"
        case .connectionLost:
            return "the connection to \(url) broke: \(message)"
        case .aborted:
            return "the transfer to \(url) was stopped: \(message)"
        case .other:
            return "request to \(url) failed: \(message) (curl code \(curlCode))"
        }
    }
}
