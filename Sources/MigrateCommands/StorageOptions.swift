import ArgumentParser
import Foundation
import ObjectStore

/// Where backups are stored: S3 (`--s3-bucket`) or a directory (the default). Names follow the
/// operator's `storage.s3` fields; the AWS environment variables and shared files fill the gaps.
public struct StorageOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Directory store (the PVC/volume case); the default when no --s3-bucket is given.", valueName: "path"))
    var storageDir = "migration-out/backups"

    @Option(help: "S3 bucket. Using it selects the S3 store.")
    var s3Bucket: String?

    @Option(help: "Key prefix inside the bucket (the operator's s3.prefix).")
    var s3Prefix = ""

    @Option(
        help: ArgumentHelp(
            "S3 endpoint: host:port as in the operator's s3.endpoint, or a URL. Env: AWS_ENDPOINT_URL_S3, "
                + "AWS_ENDPOINT_URL. Default: AWS.")
    )
    var s3Endpoint: String?

    @Option(help: "S3 region. Env: AWS_REGION, AWS_DEFAULT_REGION. Default us-east-1.")
    var s3Region: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Use TLS to an endpoint written without a scheme (the operator's s3.tls.enabled). Default: on.")
    var s3Tls: Bool?

    @Option(
        help: ArgumentHelp(
            "CA bundle for the S3 endpoint (the operator's s3.tls.caSecretKeyRef). Env: AWS_CA_BUNDLE.",
            valueName: "path"))
    var s3CaFile: String?

    @Flag(help: "Do not verify the S3 server's TLS certificate (verification is on by default).")
    var s3SkipTlsVerify = false

    @Option(help: "Addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.")
    var s3Addressing: String = "auto"

    @Option(help: "Access key id. Env: AWS_ACCESS_KEY_ID; else the shared files or web identity.")
    var s3AccessKeyId: String?

    @Option(help: ArgumentHelp("File with the secret access key (never on the command line).", valueName: "path"))
    var s3SecretAccessKeyFile: String?

    @Option(help: ArgumentHelp("File with a session token for temporary credentials.", valueName: "path"))
    var s3SessionTokenFile: String?

    @Option(help: "Profile of the AWS shared config and credentials files. Env: AWS_PROFILE.")
    var awsProfile: String?

    @Option(
        help: ArgumentHelp("File with the SSE-C key: 32 bytes in base64 (openssl rand -base64 32).", valueName: "path"))
    var s3SsecKeyFile: String?

    @Option(help: "Most parts of a multipart upload: 10000 on AWS; 1000 for providers such as Scaleway.")
    var s3MaxParts = 10_000

    @Option(help: "First part size in MiB (5 to 5120); parts grow as the upload goes.")
    var s3PartSizeMib = 5

    @Option(help: "Parts in flight at once during an upload.")
    var s3Parallel = 4

    @Option(
        help: ArgumentHelp(
            "Checksum each upload carries for S3 to check: crc32 (what aws-cli sends) or none, for S3-compatible "
                + "servers that refuse checksum headers. Default: crc32, or none when AWS_REQUEST_CHECKSUM_CALCULATION "
                + "is when_required.",
            valueName: "crc32|none"))
    var s3Checksum: String?

    public init() {}

    /// The flags as the engine's value.
    var settings: StoreSettings {
        var settings = StoreSettings()
        settings.directory = storageDir
        settings.s3Bucket = s3Bucket
        settings.s3Prefix = s3Prefix
        settings.s3Endpoint = s3Endpoint
        settings.s3Region = s3Region
        settings.s3TLS = s3Tls
        settings.s3CAFile = s3CaFile
        settings.s3SkipTLSVerify = s3SkipTlsVerify
        settings.s3Addressing = s3Addressing
        settings.s3AccessKeyId = s3AccessKeyId
        settings.s3SecretAccessKeyFile = s3SecretAccessKeyFile
        settings.s3SessionTokenFile = s3SessionTokenFile
        settings.awsProfile = awsProfile
        settings.s3SSECKeyFile = s3SsecKeyFile
        settings.s3MaxParts = s3MaxParts
        settings.s3PartSizeMiB = s3PartSizeMib
        settings.s3Parallel = s3Parallel
        settings.s3Checksum = s3Checksum
        return settings
    }

    func makeStore(
        forWriting: Bool, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any ObjectStore {
        try settings.makeStore(forWriting: forWriting, environment: environment)
    }
}
