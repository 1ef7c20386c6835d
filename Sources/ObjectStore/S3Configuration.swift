import Foundation
import HTTPTransport
import Hashing

/// An S3 endpoint: `host:port` as the operator writes it (scheme from the TLS setting), or a URL.
public struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int?

    public init(secure: Bool, host: String, port: Int? = nil) {
        self.secure = secure
        self.host = host
        self.port = port
    }

    /// `tlsEnabled` decides the scheme when the text has none (the operator's `tls.enabled`);
    /// nil means HTTPS.
    public static func parse(_ text: String, tlsEnabled: Bool?) throws(ObjectStoreError) -> S3Endpoint {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var secure = tlsEnabled ?? true
        if rest.lowercased().hasPrefix("https://") {
            secure = true
            rest = rest.dropFirst(8)
        } else if rest.lowercased().hasPrefix("http://") {
            secure = false
            rest = rest.dropFirst(7)
        } else if rest.contains("://") {
            throw .invalidConfiguration(
                "S3 endpoint '\(text)' has a scheme other than http or https: write host:port or an http(s) URL")
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("?") else {
            throw .invalidConfiguration(
                "S3 endpoint '\(text)' is not host[:port] or a URL without a path: write e.g. "
                    + "minio.minio.svc.cluster.local:9000"
            )
        }
        var host = String(rest)
        var port: Int?
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65535).contains(value) else {
                throw .invalidConfiguration("S3 endpoint '\(text)' has an invalid port: use 1 to 65535")
            }
            port = value
            host = String(rest[..<colon])
        }
        return S3Endpoint(secure: secure, host: host, port: port)
    }

    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(secure: true, host: "s3.\(region).amazonaws.com")
    }

    /// What the Host header carries (the port only when it is not the scheme's default).
    public var hostHeader: String {
        guard let port, port != (secure ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    public var url: String { "\(secure ? "https" : "http")://\(hostHeader)" }
    public var description: String { url }
    public var isAWS: Bool { host.hasSuffix(".amazonaws.com") }
}

/// SSE-C: the operator's `ssec.customerKeySecretKeyRef`, a 32-byte key in base64.
public struct SSECustomerKey: Sendable, Equatable {
    let keyBase64: String
    let keyMD5Base64: String

    public init(base64: String) throws(ObjectStoreError) {
        let trimmed = base64.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: trimmed) else { throw .invalidSSECustomerKey(reason: "it is not base64") }
        guard raw.count == 32 else { throw .invalidSSECustomerKey(reason: "it decodes to \(raw.count) bytes, not 32") }
        keyBase64 = trimmed
        keyMD5Base64 = Data(Digest.md5(Array(raw))).base64EncodedString()
    }

    public var headers: [(name: String, value: String)] {
        [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", keyBase64),
            ("x-amz-server-side-encryption-customer-key-MD5", keyMD5Base64),
        ]
    }

    /// The same key for the source of a server-side copy.
    public var copySourceHeaders: [(name: String, value: String)] {
        [
            ("x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-copy-source-server-side-encryption-customer-key", keyBase64),
            ("x-amz-copy-source-server-side-encryption-customer-key-MD5", keyMD5Base64),
        ]
    }
}

public struct S3Configuration: Sendable {
    public enum Addressing: String, Sendable, CaseIterable { case auto, path, virtual }

    /// What an upload carries for the server to check: S3's CRC32 of each part and whole object, as
    /// aws-cli sends it, or nothing, for S3-compatible servers that refuse checksum headers. The CRC
    /// also spares the server computing one of its own (S3 and moto now make a full-object CRC when
    /// an upload names none).
    public enum UploadChecksum: String, Sendable, CaseIterable { case crc32, none }

    public var bucket: String
    /// Normalized: empty, or ending with exactly one `/`.
    public var prefix: String
    public var endpoint: S3Endpoint
    public var region: String
    public var addressing: Addressing
    public var tls: TLSOptions
    public var sseCustomerKey: SSECustomerKey?
    public var plan: MultipartPlan
    public var partsInFlight: Int
    public var checksum: UploadChecksum
    public var retry: RetryPolicy
    public var timeouts: TransportTimeouts

    public init(
        bucket: String, prefix: String = "", endpoint: S3Endpoint? = nil, region: String = "us-east-1",
        addressing: Addressing = .auto, tls: TLSOptions = TLSOptions(), sseCustomerKey: SSECustomerKey? = nil,
        plan: MultipartPlan? = nil, partsInFlight: Int = 4, checksum: UploadChecksum = .crc32,
        retry: RetryPolicy = RetryPolicy(), timeouts: TransportTimeouts = TransportTimeouts()
    ) throws(ObjectStoreError) {
        guard Self.isValidBucketName(bucket) else {
            throw .invalidConfiguration(
                "bucket name '\(bucket)' is not valid: use 3-63 lowercase letters, digits, dots and hyphens")
        }
        guard (1...64).contains(partsInFlight) else {
            throw .invalidConfiguration("parts in flight \(partsInFlight) is not valid: use 1 to 64")
        }
        self.bucket = bucket
        self.prefix = Self.normalize(prefix: prefix)
        self.endpoint = endpoint ?? .aws(region: region)
        self.region = region
        self.addressing = addressing
        self.tls = tls
        self.sseCustomerKey = sseCustomerKey
        if let plan { self.plan = plan } else { self.plan = try MultipartPlan() }
        self.partsInFlight = partsInFlight
        self.checksum = checksum
        self.retry = retry
        self.timeouts = timeouts
    }

    /// The operator joins prefix and file name with one `/`.
    public static func normalize(prefix: String) -> String {
        let trimmed = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        return trimmed.isEmpty ? "" : trimmed + "/"
    }

    public static func isValidBucketName(_ name: String) -> Bool {
        guard (3...63).contains(name.count) else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-_")
        return name.allSatisfy { allowed.contains($0) } && name.first != "." && name.first != "-"
            && !name.hasSuffix("-") && !name.hasSuffix(".")
    }

    /// Virtual-hosted on AWS (what it recommends), path-style elsewhere (MinIO and friends).
    public var usesPathStyle: Bool {
        switch addressing {
        case .path: return true
        case .virtual: return false
        case .auto: return !endpoint.isAWS || bucket.contains(".")
        }
    }
}
