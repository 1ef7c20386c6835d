import Foundation
import Hashing
import SigV4
import TestSupport
import Testing
import UTCTime

@testable import ObjectStore

@Suite struct MultipartPlanTests {
    @Test func awsCapHoldsFiveTiB() throws {
        let plan = try MultipartPlan()
        #expect(plan.capacity >= 5 * 1024 * 1024 * 1024 * 1024)
        #expect(plan.partSize(number: 1) == 5 * 1024 * 1024)
        #expect(plan.partSize(number: 625) == 5 * 1024 * 1024)
        #expect(plan.partSize(number: 626) == 10 * 1024 * 1024)
        // 3 GiB (4× the benchmark's backup) still goes in 5 MiB parts: memory does not grow.
        #expect((1...615).reduce(0) { $0 + plan.partSize(number: $1) } >= 3 * 1024 * 1024 * 1024)
        #expect(plan.partSize(number: 10_000) <= MultipartPlan.maximumPartSize)
    }

    @Test func smallPartCapsStillGrow() throws {
        let plan = try MultipartPlan(maxParts: 1000)
        #expect(plan.capacity > 2 * 1024 * 1024 * 1024 * 1024)  // the operator stops at ~16 GiB there
        #expect(plan.partSize(number: 63) == 2 * plan.partSize(number: 62))
    }

    @Test func partSizesNeverShrinkAndStayInLimits() throws {
        let plan = try MultipartPlan(basePartSize: 5 * 1024 * 1024, maxParts: 10_000)
        var previous = 0
        for number in stride(from: 1, through: 10_000, by: 7) {
            let size = plan.partSize(number: number)
            #expect(size >= previous && size >= MultipartPlan.minimumPartSize && size <= MultipartPlan.maximumPartSize)
            previous = size
        }
    }

    @Test(arguments: [(4 * 1024 * 1024, 10_000), (8 * 1024 * 1024, 0), (8 * 1024 * 1024, 10_001)])
    func refusesOutOfRange(base: Int, maxParts: Int) {
        #expect(throws: ObjectStoreError.self) { try MultipartPlan(basePartSize: base, maxParts: maxParts) }
    }
}

@Suite struct S3SettingsTests {
    @Test(arguments: [
        (
            "minio.minio.svc.cluster.local:9000", Optional(true), "https://minio.minio.svc.cluster.local:9000",
            "minio.minio.svc.cluster.local:9000"
        ),
        ("minio:9000", Optional(false), "http://minio:9000", "minio:9000"),
        ("http://127.0.0.1:9000/", nil, "http://127.0.0.1:9000", "127.0.0.1:9000"),
        ("https://s3.eu-west-1.amazonaws.com", nil, "https://s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"),
        ("s3.amazonaws.com:443", nil, "https://s3.amazonaws.com", "s3.amazonaws.com"),
    ])
    func parsesEndpoints(text: String, tls: Bool?, url: String, host: String) throws {
        let endpoint = try S3Endpoint.parse(text, tlsEnabled: tls)
        #expect(endpoint.url == url)
        #expect(endpoint.hostHeader == host)
    }

    @Test(arguments: ["ftp://x", "host/path", "host:99999", ""])
    func refusesBadEndpoints(text: String) {
        #expect(throws: ObjectStoreError.self) { try S3Endpoint.parse(text, tlsEnabled: nil) }
    }

    @Test(arguments: [("mariadb", "mariadb/"), ("/a//b/", "a/b/"), ("", ""), ("/", "")])
    func normalizesPrefixes(input: String, expected: String) {
        #expect(S3Configuration.normalize(prefix: input) == expected)
    }

    @Test func addressingFollowsTheEndpoint() throws {
        #expect(
            try S3Configuration(bucket: "backups", endpoint: S3Endpoint.parse("minio:9000", tlsEnabled: false))
                .usesPathStyle)
        #expect(try !S3Configuration(bucket: "backups", region: "eu-west-1").usesPathStyle)
        #expect(throws: ObjectStoreError.self) { try S3Configuration(bucket: "Bad_Bucket!") }
    }

    @Test func sseCustomerKeyChecksLengthAndComputesMD5() throws {
        // The operator docs' example key.
        let key = try SSECustomerKey(base64: "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=")
        let headers = Dictionary(uniqueKeysWithValues: key.headers.map { ($0.name, $0.value) })
        #expect(headers["x-amz-server-side-encryption-customer-algorithm"] == "AES256")
        #expect(
            headers["x-amz-server-side-encryption-customer-key-MD5"]
                == Data(Digest.md5(Array("abcdefghijklmnopqrstuvwxyz123456".utf8))).base64EncodedString())
        #expect(throws: ObjectStoreError.invalidSSECustomerKey(reason: "it decodes to 3 bytes, not 32")) {
            try SSECustomerKey(base64: "YWJj")
        }
        #expect(throws: ObjectStoreError.self) { try SSECustomerKey(base64: "not base64!") }
    }

    @Test func retryDelaysGrowAndStayCapped() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.2, maxDelaySeconds: 1)
        #expect(policy.delay(beforeRetry: 1, random: 1) == 0.2)
        #expect(policy.delay(beforeRetry: 3, random: 1) == 0.8)
        #expect(policy.delay(beforeRetry: 9, random: 1) == 1)
        #expect(policy.delay(beforeRetry: 3, random: 0) == 0)
    }

    @Test func budgetRunsOut() {
        let budget = RetryBudget(retries: 2, refillSeconds: 3600)
        #expect(budget.take() && budget.take() && !budget.take())
        let refilling = RetryBudget(retries: 1, refillSeconds: 0.01)
        #expect(refilling.take())
        usleep(30_000)
        #expect(refilling.take(), "the budget refills with time")
    }
}

@Suite struct XMLAndErrorMappingTests {
    @Test func scansListings() {
        let xml = """
            <ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/a&amp;b.sql</Key><Size>12</Size>\
            <LastModified>2024-08-26T12:24:34.000Z</LastModified></Contents>\
            <Contents><Key>p/c</Key><Size>3</Size></Contents>\
            <NextContinuationToken>tok/1+=</NextContinuationToken></ListBucketResult>
            """
        let contents = XMLScanner.elements("Contents", in: xml)
        #expect(contents.count == 2)
        #expect(XMLScanner.value("Key", in: contents[0]) == "p/a&b.sql")
        #expect(
            XMLScanner.value("LastModified", in: contents[0]).flatMap { UTCDateTime.parseRFC3339($0) }?.rfc3339
                == "2024-08-26T12:24:34Z")
        #expect(XMLScanner.value("NextContinuationToken", in: xml) == "tok/1+=")
        #expect(XMLScanner.unescape("&lt;&#65;&#x42;&gt;") == "<AB>")
        #expect(XMLScanner.escape("\"a\"&<b>") == "&quot;a&quot;&amp;&lt;b&gt;")
    }

    static func context(sseC: Bool = false, method: String = "GET", checksum: Bool = false) -> S3ErrorMapping.Context {
        .init(
            location: "s3://b/p/x", bucket: "b", endpoint: "http://h:9000", accessKeyId: "AKIDX", usesSSEC: sseC,
            method: method,
            now: UTCDateTime(year: 2026, month: 11, day: 25, hour: 12), sentChecksum: checksum)
    }

    /// A refusal of the checksum headers names the way out; the same answer to a request without
    /// them, and a damaged part (BadDigest), stay plain server errors.
    @Test(arguments: [
        (400, "InvalidArgument", "x-amz-checksum-crc32 is not supported", true, true),
        (501, "NotImplemented", "A header you provided implies functionality that is not implemented", true, true),
        (400, "InvalidRequest", "Checksum algorithm CRC32 is not supported", true, true),
        (400, "InvalidArgument", "x-amz-checksum-crc32 is not supported", false, false),
        (400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.", true, false),
        (400, "InvalidArgument", "Part number must be an integer", true, false),
    ])
    func checksumRefusalsSayHowToTurnThemOff(status: Int, code: String, message: String, sent: Bool, refused: Bool) {
        let error = S3ErrorMapping.map(
            status: status, body: Self.xml(code, message), dateHeader: nil,
            context: Self.context(method: "PUT", checksum: sent))
        #expect(
            error == .checksumRefused(location: "s3://b/p/x", status: status, code: code, message: message) || !refused)
        #expect(error == .server(location: "s3://b/p/x", status: status, code: code, message: message) || refused)
    }

    static func xml(_ code: String, _ message: String = "m") -> String {
        "<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
    }

    @Test func mapsTheCommonFailures() {
        #expect(
            S3ErrorMapping.map(status: 404, body: Self.xml("NoSuchBucket"), dateHeader: nil, context: Self.context())
                == .noSuchBucket(bucket: "b", endpoint: "http://h:9000"))
        #expect(
            S3ErrorMapping.map(
                status: 403, body: Self.xml("SignatureDoesNotMatch"), dateHeader: "Wed, 25 Nov 2026 12:00:03 GMT",
                context: Self.context())
                == .signatureMismatch(location: "s3://b/p/x", clockSkewSeconds: 3))
        #expect(
            S3ErrorMapping.map(
                status: 403, body: Self.xml("InvalidAccessKeyId"), dateHeader: nil, context: Self.context())
                == .invalidAccessKeyId(keyId: "AKIDX", endpoint: "http://h:9000"))
        #expect(
            S3ErrorMapping.map(
                status: 403, body: Self.xml("AccessDenied", "Access Denied"), dateHeader: nil, context: Self.context())
                == .accessDenied(location: "s3://b/p/x", message: "Access Denied"))
        let stored =
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to "
            + "retrieve the object."
        #expect(
            S3ErrorMapping.map(
                status: 400, body: Self.xml("InvalidRequest", stored), dateHeader: nil, context: Self.context())
                == .sseCustomerKeyMissing(location: "s3://b/p/x"))
        ErrorCatalog.expect(
            "sse-c-key-missing", status: 1,
            output: ObjectStoreError.sseCustomerKeyMissing(location: "s3://b/p/x").localizedDescription)
        ErrorCatalog.expect(
            "s3-checksum-refused", status: 1,
            output: ObjectStoreError.checksumRefused(
                location: "s3://b/p/backup.2024-08-26T12:24:34Z.sql.gz", status: 400, code: "InvalidArgument",
                message: "x-amz-checksum-crc32 is not supported"
            ).localizedDescription)
        ErrorCatalog.expect(
            "sse-c-key-wrong", status: 1,
            output: ObjectStoreError.sseCustomerKeyWrong(location: "s3://b/p/x").localizedDescription)
        #expect(
            S3ErrorMapping.map(
                status: 403,
                body: Self.xml(
                    "AccessDenied",
                    "The calculated MD5 hash of the key did not match the hash that was provided. (customer key)"),
                dateHeader: nil, context: Self.context(sseC: true)) == .sseCustomerKeyWrong(location: "s3://b/p/x"))
        #expect(
            S3ErrorMapping.map(
                status: 403, body: "", dateHeader: nil, context: Self.context(sseC: true, method: "HEAD"))
                == .sseCustomerKeyWrong(location: "s3://b/p/x"))
    }

    @Test func clockSkewIsNamed() {
        let error = S3ErrorMapping.map(
            status: 403, body: Self.xml("SignatureDoesNotMatch"), dateHeader: "Wed, 25 Nov 2026 12:20:00 GMT",
            context: Self.context())
        #expect(error.localizedDescription.contains("1200 s off"))
        ErrorCatalog.expect("clock-skew", status: 1, output: error.localizedDescription)
        let wrongSecret = S3ErrorMapping.map(
            status: 403, body: Self.xml("SignatureDoesNotMatch"), dateHeader: nil, context: Self.context())
        #expect(wrongSecret.localizedDescription.contains("secret access key is wrong"))
    }

    @Test(arguments: [
        (503, "SlowDown", true), (500, "InternalError", true), (429, "", true), (400, "RequestTimeout", true),
        (403, "AccessDenied", false), (404, "NoSuchKey", false), (400, "InvalidRequest", false),
    ])
    func retriesOnlyTransientAnswers(status: Int, code: String, retry: Bool) {
        #expect(S3ErrorMapping.isRetryable(status: status, body: code.isEmpty ? "" : Self.xml(code)) == retry)
    }
}

@Suite struct SharedFilesTests {
    @Test func readsProfilesFromBothFiles() {
        let credentials =
            "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = "
            + "s1\n[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=s2\n"
        #expect(AWSSharedFiles.profile("work", in: credentials, isConfigFile: false)["aws_access_key_id"] == "AKIDWORK")
        let config =
            "[default]\nregion = eu-west-1\n[profile work]\nregion = us-west-2\nrole_arn = arn:aws:iam::1:role/r\n"
        #expect(AWSSharedFiles.profile("work", in: config, isConfigFile: true)["region"] == "us-west-2")
        #expect(AWSSharedFiles.profile("default", in: config, isConfigFile: true)["region"] == "eu-west-1")
    }

    @Test func crc32IsTheGzipAndS3Checksum() {
        let check = Array("123456789".utf8)
        #expect(CRC32.checksum(check) == 0xCBF4_3926)  // the CRC-32/ISO-HDLC check value
        #expect(CRC32.base64(0xCBF4_3926) == "y/Q5Jg==")
        #expect(CRC32.checksum([]) == 0 && CRC32.base64(0) == "AAAAAA==")
        let data = randomBytes(100_003, seed: 5)
        let whole = CRC32.checksum(data)
        let split = data.withUnsafeBytes { all in
            CRC32.checksum(
                UnsafeRawBufferPointer(rebasing: all[777...]),
                continuing: CRC32.checksum(
                    UnsafeRawBufferPointer(rebasing: all[..<777])))
        }
        #expect(split == whole)
    }

    @Test(
        arguments: [
            (nil, nil, "crc32"), (nil, "when_supported", "crc32"), (nil, "WHEN_REQUIRED", "none"),
            ("none", nil, "none"), ("CRC32", "when_required", "crc32"),
        ] as [(String?, String?, String)])
    func uploadChecksumFromTheFlagElseTheAWSSetting(flag: String?, setting: String?, expected: String) throws {
        #expect(try StoreSettings.checksum(flag, calculation: setting).rawValue == expected)
    }

    /// A value that is not a checksum is refused, naming it; the flag wins over the AWS setting.
    @Test(
        arguments: [
            ("md5", nil, "S3 checksum 'md5' is not crc32 or none"),
            (nil, "sometimes", "AWS_REQUEST_CHECKSUM_CALCULATION 'sometimes' is not when_supported or when_required"),
            ("md5", "when_required", "S3 checksum 'md5'"),
        ] as [(String?, String?, String)])
    func anUnknownChecksumIsRefusedByName(flag: String?, setting: String?, message: String) {
        #expect {
            _ = try StoreSettings.checksum(flag, calculation: setting)
        } throws: { error in
            error.localizedDescription.contains(message)
        }
    }

    @Test func awsChecksumSettingReachesTheStore() throws {
        var settings = StoreSettings()
        settings.s3Bucket = "backups"
        let environment = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "x", "HOME": "/nonexistent"]
        let plain = try #require(try settings.makeStore(forWriting: false, environment: environment) as? S3Store)
        #expect(plain.configuration.checksum == .crc32)
        let required = environment.merging(["AWS_REQUEST_CHECKSUM_CALCULATION": "when_required"]) { $1 }
        let off = try #require(try settings.makeStore(forWriting: false, environment: required) as? S3Store)
        #expect(off.configuration.checksum == .none)
    }

    @Test func environmentChainOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("credentials")
        try "[ci]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n".write(
            to: file, atomically: true, encoding: .utf8)
        let fromFile = AWSEnvironment(environment: [
            "AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "ci", "HOME": dir.path,
        ])
        #expect(
            try fromFile.credentialsProvider(explicit: nil, region: "us-east-1", tls: .init()).source.contains(
                "profile 'ci'"))
        let fromEnv = AWSEnvironment(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "x", "AWS_SHARED_CREDENTIALS_FILE": file.path,
            "AWS_PROFILE": "ci", "AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL": "http://h:1", "HOME": dir.path,
        ])
        #expect(
            try fromEnv.credentialsProvider(explicit: nil, region: "us-east-1", tls: .init()).source.contains(
                "environment"))
        #expect(fromEnv.region == "eu-central-1" && fromEnv.endpointURL == "http://h:1")
        let none = AWSEnvironment(environment: ["HOME": dir.path])
        #expect(throws: ObjectStoreError.self) {
            try none.credentialsProvider(explicit: nil, region: "us-east-1", tls: .init())
        }
    }
}
