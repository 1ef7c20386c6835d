import Foundation
import HTTPTransport
import SigV4
import UTCTime

public protocol CredentialsProvider: Sendable {
    /// Says where the credentials came from, for `storage check`; never the secret.
    var source: String { get }
    func credentials() async throws -> AWSCredentials
}

public struct StaticCredentials: CredentialsProvider {
    public let value: AWSCredentials
    public let source: String

    public init(_ value: AWSCredentials, source: String) {
        self.value = value
        self.source = source
    }

    public func credentials() async throws -> AWSCredentials { value }
}

/// `AssumeRoleWithWebIdentity` through STS (the IRSA / EKS Pod Identity case): the token file is
/// read on each refresh, credentials are kept until five minutes before they expire.
public actor WebIdentityCredentials: CredentialsProvider {
    public nonisolated let source: String
    let roleArn: String
    let tokenFile: String
    let sessionName: String
    let stsEndpoint: String
    let client: CurlClient
    private var cached: (AWSCredentials, UTCDateTime)?

    public init(roleArn: String, tokenFile: String, sessionName: String, stsEndpoint: String, tls: TLSOptions) {
        self.roleArn = roleArn
        self.tokenFile = tokenFile
        self.sessionName = sessionName
        self.stsEndpoint = stsEndpoint
        self.client = CurlClient(tls: tls)
        source = "web identity (role \(roleArn), token \(tokenFile))"
    }

    public func credentials() async throws -> AWSCredentials {
        let now = UTCDateTime.now()
        if let (credentials, expiry) = cached, expiry.epochSeconds - now.epochSeconds > 300 { return credentials }
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
        } catch {
            throw ObjectStoreError.io(
                path: tokenFile, reason: "cannot read the web identity token: \(error.localizedDescription)")
        }
        let form = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
            ("RoleSessionName", sessionName), ("WebIdentityToken", token),
        ]
        .map { "\($0.0)=\(SigV4Signer.uriEncode($0.1, encodeSlash: true))" }.joined(separator: "&")
        let response = try await client.send(
            HTTPRequest(
                method: .post, url: stsEndpoint.hasSuffix("/") ? stsEndpoint : stsEndpoint + "/",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8)))
        let body = response.bodyText
        guard response.status == 200,
            let keyId = XMLScanner.value("AccessKeyId", in: body),
            let secret = XMLScanner.value("SecretAccessKey", in: body)
        else {
            let message = XMLScanner.value("Message", in: body) ?? "status \(response.status)"
            throw ObjectStoreError.invalidConfiguration(
                "STS refused AssumeRoleWithWebIdentity for role '\(roleArn)' at \(stsEndpoint): \(message); check "
                    + "AWS_ROLE_ARN and the token"
            )
        }
        let credentials = AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: XMLScanner.value("SessionToken", in: body))
        let expiry =
            XMLScanner.value("Expiration", in: body).flatMap { UTCDateTime.parseRFC3339($0) }
            ?? UTCDateTime(epochSeconds: now.epochSeconds + 3600)
        cached = (credentials, expiry)
        return credentials
    }
}

/// The AWS shared config and credentials files (INI). Pure: text in, profile values out.
public enum AWSSharedFiles {
    /// Values of `profile` in a credentials file (`[name]`) or a config file (`[profile name]`,
    /// `[default]`).
    public static func profile(_ profile: String, in text: String, isConfigFile: Bool) -> [String: String] {
        var current: String?
        var values: [String: String] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                if isConfigFile, name.hasPrefix("profile ") {
                    name = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces)
                }
                current = name
                continue
            }
            guard current == profile, let eq = line.firstIndex(of: "=") else { continue }
            values[line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: eq)...]
                .trimmingCharacters(in: .whitespaces)
        }
        return values
    }
}

/// The settings the AWS tools read from the environment and the shared files, resolved the way
/// aws-cli does: explicit › environment › web identity › shared credentials › shared config.
public struct AWSEnvironment: Sendable {
    public var profile: String
    public var region: String?
    public var endpointURL: String?
    public var stsEndpointURL: String?
    public var caBundle: String?
    /// `when_supported` (the default) or `when_required`: whether uploads carry a checksum the
    /// service does not demand (AWS_REQUEST_CHECKSUM_CALCULATION, request_checksum_calculation).
    public var requestChecksumCalculation: String?
    var environment: [String: String]
    var credentialsFileValues: [String: String]
    var configFileValues: [String: String]
    var credentialsFilePath: String
    var configFilePath: String

    public init(environment: [String: String], profileOverride: String? = nil) {
        self.environment = environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        profile = profileOverride ?? environment["AWS_PROFILE"] ?? "default"
        credentialsFilePath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        configFilePath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let credentialsText = (try? String(contentsOfFile: credentialsFilePath, encoding: .utf8)) ?? ""
        let configText = (try? String(contentsOfFile: configFilePath, encoding: .utf8)) ?? ""
        credentialsFileValues = AWSSharedFiles.profile(profile, in: credentialsText, isConfigFile: false)
        configFileValues = AWSSharedFiles.profile(profile, in: configText, isConfigFile: true)
        region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? configFileValues["region"]
        endpointURL =
            environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"] ?? configFileValues["endpoint_url"]
        stsEndpointURL = environment["AWS_ENDPOINT_URL_STS"] ?? environment["AWS_ENDPOINT_URL"]
        caBundle = environment["AWS_CA_BUNDLE"] ?? configFileValues["ca_bundle"]
        requestChecksumCalculation =
            environment["AWS_REQUEST_CHECKSUM_CALCULATION"] ?? configFileValues["request_checksum_calculation"]
    }

    public func credentialsProvider(
        explicit: AWSCredentials?, region: String, tls: TLSOptions
    ) throws(ObjectStoreError) -> any CredentialsProvider {
        if let explicit { return StaticCredentials(explicit, source: "flags") }
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !id.isEmpty {
            return StaticCredentials(
                AWSCredentials(
                    accessKeyId: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"]),
                source: "environment (AWS_ACCESS_KEY_ID)")
        }
        let roleArn = environment["AWS_ROLE_ARN"] ?? configFileValues["role_arn"]
        let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"] ?? configFileValues["web_identity_token_file"]
        if let roleArn, let tokenFile {
            let sts = stsEndpointURL ?? "https://sts.\(region).amazonaws.com"
            return WebIdentityCredentials(
                roleArn: roleArn, tokenFile: tokenFile,
                sessionName: environment["AWS_ROLE_SESSION_NAME"]
                    ?? "mariadb-migrate-\(UInt32.random(in: 0...UInt32.max))",
                stsEndpoint: sts, tls: tls)
        }
        for (values, path) in [(credentialsFileValues, credentialsFilePath), (configFileValues, configFilePath)] {
            if let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] {
                return StaticCredentials(
                    AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: values["aws_session_token"]),
                    source: "profile '\(profile)' in \(path)")
            }
        }
        throw .invalidConfiguration(
            "no S3 credentials found: pass --s3-access-key-id with --s3-secret-access-key-file, set AWS_ACCESS_KEY_ID "
                + "and AWS_SECRET_ACCESS_KEY, set up profile '\(profile)' in \(credentialsFilePath), or set "
                + "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE"
        )
    }
}
