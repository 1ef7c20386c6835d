import Foundation

public enum ObjectStoreError: Error, LocalizedError, Equatable, Sendable {
    case invalidName(String)
    case notFound(location: String)
    case noSuchBucket(bucket: String, endpoint: String)
    case accessDenied(location: String, message: String)
    case signatureMismatch(location: String, clockSkewSeconds: Int?)
    case invalidAccessKeyId(keyId: String, endpoint: String)
    case sseCustomerKeyWrong(location: String)
    case sseCustomerKeyMissing(location: String)
    case invalidSSECustomerKey(reason: String)
    case tooLarge(location: String, maxParts: Int, capacityBytes: UInt64)
    case server(location: String, status: Int, code: String, message: String)
    /// A request with checksum headers refused for them (an S3-compatible server without them).
    case checksumRefused(location: String, status: Int, code: String, message: String)
    case changedWhileReading(location: String)
    case io(path: String, reason: String)
    case invalidConfiguration(String)
    case exists(location: String)

    public var errorDescription: String? {
        switch self {
        case .invalidName(let name):
            return "object name '\(name)' is not valid: use a plain file name without '/'"
        case .notFound(let location):
            return "\(location) does not exist: check the name with 'mariadb-migrate storage ls'"
        case .noSuchBucket(let bucket, let endpoint):
            return "bucket '\(bucket)' does not exist at \(endpoint): create it or check --s3-bucket and --s3-endpoint"
        case .accessDenied(let location, let message):
            return
                "access to \(location) was denied (\(message)): check the credentials' permissions on the bucket and "
                + "prefix"
        case .signatureMismatch(let location, let skew):
            if let skew, abs(skew) > 300 {
                return
                    "the S3 server refused the signature for \(location): this machine's clock is \(skew) s off the "
                    + "server's; fix the clock (NTP)"
            }
            return
                "the S3 server refused the signature for \(location): the secret access key is wrong (or the clock is "
                + "off); check the secret for this access key id"
        case .invalidAccessKeyId(let keyId, let endpoint):
            return
                "access key id '\(keyId)' is unknown to \(endpoint): check --s3-access-key-id / AWS_ACCESS_KEY_ID and "
                + "the profile"
        case .sseCustomerKeyWrong(let location):
            return "the SSE-C key does not match the one \(location) was stored with: pass the key it was written with"
        case .sseCustomerKeyMissing(let location):
            return "\(location) is encrypted with a customer key (SSE-C): pass it with --s3-ssec-key-file"
        case .invalidSSECustomerKey(let reason):
            return
                "the SSE-C key is not valid: \(reason); it must be 32 bytes, base64-encoded (openssl rand -base64 32)"
        case .tooLarge(let location, let maxParts, let capacity):
            return
                "\(location) is larger than \(capacity) bytes, the most \(maxParts) parts can hold: raise "
                + "--s3-max-parts or --s3-part-size"
        case .server(let location, let status, let code, let message):
            return "S3 answered \(status) \(code) for \(location): \(message)"
        case .checksumRefused(let location, let status, let code, let message):
            return "S3 answered \(status) \(code) for \(location): \(message); the server does not take S3's checksum "
                + "headers: run again with --s3-checksum none (or AWS_REQUEST_CHECKSUM_CALCULATION=when_required)"
        case .changedWhileReading(let location):
            return "\(location) changed while it was being read: read it again"
        case .io(let path, let reason) where reason == String(cString: strerror(ENOSPC)):
            let directory = (path as NSString).deletingLastPathComponent
            return "cannot write '\(path)': \(reason): free space in \(directory) or choose another directory; the "
                + "partial file was removed and nothing was published"
        case .io(let path, let reason):
            return "cannot write or read '\(path)': \(reason)"
        case .exists(let location):
            return "\(location) already exists: nothing was overwritten; wait a second and run again"
        case .invalidConfiguration(let message):
            return message
        }
    }
}
