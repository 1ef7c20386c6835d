import UTCTime

/// Turns an S3 error answer into a one-line `ObjectStoreError`, and says which answers are worth
/// another try. Pure.
public enum S3ErrorMapping {
    public struct Context: Sendable {
        public var location: String
        public var bucket: String
        public var endpoint: String
        public var accessKeyId: String
        public var usesSSEC: Bool
        public var method: String
        public var now: UTCDateTime
        /// The request carried `x-amz-checksum-*` or `x-amz-sdk-checksum-*` headers.
        public var sentChecksum: Bool

        public init(
            location: String, bucket: String, endpoint: String, accessKeyId: String, usesSSEC: Bool, method: String,
            now: UTCDateTime, sentChecksum: Bool = false
        ) {
            self.sentChecksum = sentChecksum
            self.location = location
            self.bucket = bucket
            self.endpoint = endpoint
            self.accessKeyId = accessKeyId
            self.usesSSEC = usesSSEC
            self.method = method
            self.now = now
        }
    }

    public static func errorCode(_ body: String) -> String? { XMLScanner.value("Code", in: body) }

    public static func isRetryable(status: Int, body: String) -> Bool {
        if [429, 500, 502, 503, 504].contains(status) { return true }
        return ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"].contains(
            errorCode(body) ?? "")
    }

    public static func map(status: Int, body: String, dateHeader: String?, context c: Context) -> ObjectStoreError {
        let code = errorCode(body) ?? ""
        let message = XMLScanner.value("Message", in: body) ?? ""
        let lowered = message.lowercased()
        let mentionsCustomerKey = lowered.contains("customer") || lowered.contains("encrypt") || lowered.contains("sse")
        switch code {
        case "NoSuchBucket":
            return .noSuchBucket(bucket: c.bucket, endpoint: c.endpoint)
        case "NoSuchKey":
            return .notFound(location: c.location)
        case "SignatureDoesNotMatch":
            return .signatureMismatch(location: c.location, clockSkewSeconds: skew(dateHeader: dateHeader, now: c.now))
        case "RequestTimeTooSkewed":
            return .signatureMismatch(
                location: c.location, clockSkewSeconds: skew(dateHeader: dateHeader, now: c.now) ?? 901)
        case "InvalidAccessKeyId":
            return .invalidAccessKeyId(keyId: c.accessKeyId, endpoint: c.endpoint)
        case "AccessDenied" where c.usesSSEC && mentionsCustomerKey:
            return .sseCustomerKeyWrong(location: c.location)
        case "InvalidRequest" where mentionsCustomerKey, "InvalidArgument" where mentionsCustomerKey:
            return c.usesSSEC
                ? .sseCustomerKeyWrong(location: c.location) : .sseCustomerKeyMissing(location: c.location)
        case "AccessDenied":
            return .accessDenied(location: c.location, message: message.isEmpty ? "AccessDenied" : message)
        default:
            break
        }
        // HEAD answers have no body.
        if status == 404 { return .notFound(location: c.location) }
        if status == 403 && c.method == "HEAD" && c.usesSSEC { return .sseCustomerKeyWrong(location: c.location) }
        if status == 400 && c.method == "HEAD" {
            return c.usesSSEC
                ? .sseCustomerKeyWrong(location: c.location) : .sseCustomerKeyMissing(location: c.location)
        }
        if status == 403 {
            return .accessDenied(location: c.location, message: message.isEmpty ? "403 Forbidden" : message)
        }
        // A server that does not know the checksum headers says so in a 400 or 501 (BadDigest is a part
        // that came in damaged, not a refusal).
        if c.sentChecksum, status == 400 || status == 501, code != "BadDigest",
            code == "NotImplemented" || lowered.contains("checksum") || code.lowercased().contains("checksum")
        {
            return .checksumRefused(
                location: c.location, status: status, code: code.isEmpty ? "-" : code,
                message: message.isEmpty ? "no message" : message)
        }
        return .server(
            location: c.location, status: status, code: code.isEmpty ? "-" : code,
            message: message.isEmpty ? "no message" : message)
    }

    /// Server time minus ours, from the answer's Date header (`Wed, 25 Nov 2026 14:38:49 GMT`).
    static func skew(dateHeader: String?, now: UTCDateTime) -> Int? {
        guard let dateHeader, let server = parseHTTPDate(dateHeader) else { return nil }
        return Int(server.epochSeconds - now.epochSeconds)
    }

    public static func parseHTTPDate(_ text: String) -> UTCDateTime? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int(parts[1]), let year = Int(parts[3])
        else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return UTCDateTime(
            year: year, month: monthIndex + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
    }
}
