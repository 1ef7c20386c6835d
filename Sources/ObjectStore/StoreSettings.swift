import Foundation
import HTTPTransport
import SigV4

/// Everything that names a backup store, as a plain value: what `--s3-*`/`--storage-dir` flags,
/// a runbook step and a state file carry. Secrets are paths to files, never values, so the value
/// can be written to a state file as is.
public struct StoreSettings: Codable, Sendable, Equatable {
    /// The directory store (the PVC/volume case); used when `s3Bucket` is nil.
    public var directory: String = "migration-out/backups"
    public var s3Bucket: String?
    public var s3Prefix: String = ""
    /// host:port as in the operator's s3.endpoint, or a URL; nil: AWS_ENDPOINT_URL(_S3), else AWS.
    public var s3Endpoint: String?
    public var s3Region: String?
    public var s3TLS: Bool?
    public var s3CAFile: String?
    public var s3SkipTLSVerify = false
    public var s3Addressing = "auto"
    public var s3AccessKeyId: String?
    public var s3SecretAccessKeyFile: String?
    public var s3SessionTokenFile: String?
    public var awsProfile: String?
    public var s3SSECKeyFile: String?
    public var s3MaxParts = 10_000
    public var s3PartSizeMiB = 5
    public var s3Parallel = 4
    /// crc32 or none; nil: none when AWS_REQUEST_CHECKSUM_CALCULATION is when_required, else crc32.
    public var s3Checksum: String?
    /// A secret access key given by value (a prompt, the environment): used, never encoded.
    public var s3SecretAccessKey: String?

    private enum CodingKeys: String, CodingKey {
        case directory, s3Bucket, s3Prefix, s3Endpoint, s3Region, s3TLS, s3CAFile, s3SkipTLSVerify, s3Addressing,
            s3AccessKeyId
        case s3SecretAccessKeyFile, s3SessionTokenFile, awsProfile, s3SSECKeyFile, s3MaxParts, s3PartSizeMiB, s3Parallel
        case s3Checksum
    }

    public init() {}

    public var usesS3: Bool { s3Bucket != nil }

    /// Where backups go, for messages: `s3://bucket/prefix/` or the directory.
    public var summary: String {
        guard let s3Bucket else { return directory }
        return "s3://\(s3Bucket)/\(s3Prefix)" + (s3Endpoint.map { " at \($0)" } ?? "")
    }

    /// The store these settings name. `forWriting` creates the directory of a directory store.
    public func makeStore(
        forWriting: Bool, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any ObjectStore {
        guard let bucket = s3Bucket else { return try DirectoryStore(path: directory, create: forWriting) }
        let aws = AWSEnvironment(environment: environment, profileOverride: awsProfile)
        let region = s3Region ?? aws.region ?? "us-east-1"
        guard let addressing = S3Configuration.Addressing(rawValue: s3Addressing) else {
            throw ObjectStoreError.invalidConfiguration("S3 addressing '\(s3Addressing)' is not auto, path or virtual")
        }
        let tls = TLSOptions(caFile: s3CAFile ?? aws.caBundle, verifyPeer: !s3SkipTLSVerify)
        if let ca = tls.caFile, !FileManager.default.isReadableFile(atPath: ca) {
            throw ObjectStoreError.invalidConfiguration(
                "the S3 CA file '\(ca)' is not a readable file: give the PEM bundle that signs the endpoint")
        }
        let checksum = try Self.checksum(s3Checksum, calculation: aws.requestChecksumCalculation)
        let endpoint = try (s3Endpoint ?? aws.endpointURL).map { try S3Endpoint.parse($0, tlsEnabled: s3TLS) }
        let sseC = try s3SSECKeyFile.map { try SSECustomerKey(base64: try Self.readSecret($0, what: "SSE-C key file")) }
        let configuration = try S3Configuration(
            bucket: bucket, prefix: s3Prefix, endpoint: endpoint, region: region, addressing: addressing, tls: tls,
            sseCustomerKey: sseC, plan: MultipartPlan(basePartSize: s3PartSizeMiB * 1024 * 1024, maxParts: s3MaxParts),
            partsInFlight: s3Parallel, checksum: checksum)
        var explicit: AWSCredentials?
        if let id = s3AccessKeyId {
            let secret: String
            if let s3SecretAccessKey {
                secret = s3SecretAccessKey
            } else if let secretFile = s3SecretAccessKeyFile {
                secret = try Self.readSecret(secretFile, what: "S3 secret access key file")
            } else {
                throw ObjectStoreError.invalidConfiguration(
                    "the S3 access key id '\(id)' needs its secret access key (a file) too")
            }
            explicit = AWSCredentials(
                accessKeyId: id, secretAccessKey: secret,
                sessionToken: try s3SessionTokenFile.map { try Self.readSecret($0, what: "S3 session token file") })
        }
        let provider = try aws.credentialsProvider(explicit: explicit, region: region, tls: tls)
        return S3Store(configuration: configuration, credentials: provider)
    }

    /// The flag's choice, else the AWS SDKs' setting: `when_required` turns checksums off.
    static func checksum(_ value: String?, calculation: String?) throws -> S3Configuration.UploadChecksum {
        if let value {
            guard let checksum = S3Configuration.UploadChecksum(rawValue: value.lowercased()) else {
                throw ObjectStoreError.invalidConfiguration(
                    "S3 checksum '\(value)' is not crc32 or none: use none for servers that refuse checksum headers")
            }
            return checksum
        }
        switch calculation?.lowercased() {
        case nil, "when_supported": return .crc32
        case "when_required": return .none
        case let other?:
            throw ObjectStoreError.invalidConfiguration(
                "AWS_REQUEST_CHECKSUM_CALCULATION '\(other)' is not when_supported or when_required")
        }
    }

    /// A key or token file: the whole file without surrounding whitespace.
    static func readSecret(_ path: String, what: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw ObjectStoreError.invalidConfiguration(
                "cannot read the \(what) '\(path)': \(error.localizedDescription)")
        }
    }
}

/// `storage check`: credentials, bucket, write, read back, delete, stale multipart uploads.
public enum StoreCheck {
    public struct Step: Codable, Sendable, Equatable {
        public var step: String
        public var ok: Bool
        public var detail: String
    }

    public struct Report: Codable, Sendable, Equatable {
        public var store: String
        public var steps: [Step]
        public var ok: Bool
    }

    public static func run(_ store: any ObjectStore) async -> Report {
        var steps: [Step] = []
        func record(_ step: String, _ work: () async throws -> String) async -> Bool {
            do {
                steps.append(Step(step: step, ok: true, detail: try await work()))
                return true
            } catch {
                steps.append(Step(step: step, ok: false, detail: error.localizedDescription))
                return false
            }
        }
        var ok = true
        if let s3 = store as? S3Store {
            ok = await record("credentials") {
                _ = try await s3.credentialsProvider.credentials()
                return "from \(s3.credentialsProvider.source)"
            }
            if ok {
                ok = await record("bucket") {
                    try await s3.checkBucket()
                    return "s3://\(s3.configuration.bucket) at \(s3.configuration.endpoint)"
                }
            }
        }
        // The probe's name has more than four dot-separated parts: the operator ignores it.
        let probe = ".mariadb-migrate.check.\(UInt32.random(in: 0...UInt32.max)).probe"
        let payload = Array("mariadb-migrate storage check \(Date())\n".utf8)
        if ok {
            ok = await record("write") {
                _ = try await store.put(name: probe, bytes: payload)
                return "\(store.location)\(probe)"
            }
        }
        if ok {
            ok = await record("read back") {
                let back = try await store.getAll(name: probe)
                guard back == payload else {
                    throw ObjectStoreError.invalidConfiguration(
                        "read back \(back.count) bytes, not the \(payload.count) bytes written")
                }
                return "\(back.count) bytes, equal"
            }
        }
        if ok {
            ok = await record("delete") {
                try await store.delete(name: probe)
                return "removed"
            }
        }
        if ok, let s3 = store as? S3Store {
            ok = await record("multipart uploads") {
                let pending = try await s3.pendingMultipartUploads()
                return pending.isEmpty
                    ? "none left open under the prefix"
                    : "\(pending.count) left open under the prefix (abort them or set a lifecycle rule)"
            }
        }
        return Report(store: store.location, steps: steps, ok: ok)
    }
}

extension ObjectStore {
    /// Discards the unfinished writes of one object name (an interrupted run's), and says how
    /// many there were. Other names are left alone: they may be another run's.
    public func discardUnfinishedWrites(name: String) async throws -> Int {
        var discarded = 0
        for write in try await unfinishedWrites() where write.name == name {
            try await discard(write)
            discarded += 1
        }
        return discarded
    }
}
