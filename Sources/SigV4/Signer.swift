import Hashing
import UTCTime

public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4, pure: values in, headers or query items out.
public struct SigV4Signer: Sendable {
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public var region: String
    public var service: String

    public init(region: String, service: String = "s3") {
        self.region = region
        self.service = service
    }

    public struct Request: Sendable {
        public var method: String
        /// The path as sent, already URI-encoded (see `encodePath`).
        public var encodedPath: String
        /// Raw (unencoded) query items.
        public var query: [(name: String, value: String)]
        /// Must include `host`.
        public var headers: [(name: String, value: String)]
        public var payloadHash: String

        public init(
            method: String, encodedPath: String, query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)], payloadHash: String
        ) {
            self.method = method
            self.encodedPath = encodedPath
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The headers to add: `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with
    /// temporary credentials) and `Authorization`. They are signed along with the request's.
    public func signedHeaders(
        for request: Request, credentials: AWSCredentials, at time: UTCDateTime
    ) -> [(name: String, value: String)] {
        var added: [(name: String, value: String)] = [
            ("x-amz-date", time.basicISO8601), ("x-amz-content-sha256", request.payloadHash),
        ]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var all = request.headers.filter { header in !added.contains { $0.name == header.name.lowercased() } }
        all += added
        let canonical = Self.canonicalHeaders(all)
        let canonicalRequest = [
            request.method, request.encodedPath, Self.canonicalQuery(request.query),
            canonical.block, canonical.signedNames, request.payloadHash,
        ].joined(separator: "\n")
        let scope = "\(time.basicDate)/\(region)/\(service)/aws4_request"
        let signature = sign(
            canonicalRequest: canonicalRequest, scope: scope, time: time, secret: credentials.secretAccessKey)
        added.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope),"
                    + "SignedHeaders=\(canonical.signedNames),Signature=\(signature)"
            ))
        return added
    }

    /// Query-string signing (a presigned URL): the query items to append, signature last.
    public func presignedQuery(
        for request: Request, credentials: AWSCredentials, at time: UTCDateTime,
        expiresSeconds: Int
    ) -> [(name: String, value: String)] {
        let scope = "\(time.basicDate)/\(region)/\(service)/aws4_request"
        let canonical = Self.canonicalHeaders(request.headers)
        var query = request.query
        query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"))
        query.append(("X-Amz-Date", time.basicISO8601))
        query.append(("X-Amz-Expires", String(expiresSeconds)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        query.append(("X-Amz-SignedHeaders", canonical.signedNames))
        let canonicalRequest = [
            request.method, request.encodedPath, Self.canonicalQuery(query), canonical.block, canonical.signedNames,
            Self.unsignedPayload,
        ].joined(separator: "\n")
        let signature = sign(
            canonicalRequest: canonicalRequest, scope: scope, time: time, secret: credentials.secretAccessKey)
        return query + [("X-Amz-Signature", signature)]
    }

    func sign(canonicalRequest: String, scope: String, time: UTCDateTime, secret: String) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256", time.basicISO8601, scope, Digest.sha256(Array(canonicalRequest.utf8)).hexString,
        ]
        .joined(separator: "\n")
        var key = Digest.hmacSHA256(key: Array("AWS4\(secret)".utf8), data: Array(time.basicDate.utf8))
        for part in [region, service, "aws4_request"] { key = Digest.hmacSHA256(key: key, data: Array(part.utf8)) }
        return Digest.hmacSHA256(key: key, data: Array(stringToSign.utf8)).hexString
    }

    /// Lowercase names, trimmed values with inner runs of spaces folded, sorted by name,
    /// repeated names joined with commas.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (block: String, signedNames: String) {
        var merged: [String: [String]] = [:]
        for header in headers {
            let value = header.value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[header.name.lowercased(), default: []].append(value)
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        items.map { (uriEncode($0.name, encodeSlash: true), uriEncode($0.value, encodeSlash: true)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX
    /// (uppercase hex); `/` kept in paths.
    public static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where !encodeSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An S3 object path (`/bucket/key` or `/key`) encoded once, slashes kept.
    public static func encodePath(_ rawPath: String) -> String { uriEncode(rawPath, encodeSlash: false) }
}
