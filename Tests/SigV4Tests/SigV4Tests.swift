import Foundation
import HTTPTransport
import Hashing
import TestSupport
import Testing

@testable import SigV4
@testable import UTCTime

let exampleCredentials = AWSCredentials(
    accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
let exampleTime = UTCDateTime(year: 2013, month: 5, day: 24)

/// The worked examples of AWS's "Signature Calculations for the Authorization Header" (S3) page.
@Suite struct AWSDocumentedExamples {
    func signature(_ request: SigV4Signer.Request) -> String {
        let headers = SigV4Signer(region: "us-east-1").signedHeaders(
            for: request, credentials: exampleCredentials, at: exampleTime)
        let authorization = headers.first { $0.name == "Authorization" }!.value
        return String(authorization.split(separator: "Signature=")[1])
    }

    @Test func getObject() {
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash)
        let headers = SigV4Signer(region: "us-east-1").signedHeaders(
            for: request, credentials: exampleCredentials, at: exampleTime)
        #expect(
            headers.first { $0.name == "Authorization" }?.value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func putObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let request = SigV4Signer.Request(
            method: "PUT", encodedPath: SigV4Signer.encodePath("/test$file.text"),
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            payloadHash: Digest.sha256(body).hexString)
        #expect(signature(request) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycle() {
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/", query: [("lifecycle", "")],
            headers: [("Host", "examplebucket.s3.amazonaws.com")], payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(signature(request) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjects() {
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/", query: [("max-keys", "2"), ("prefix", "J")],
            headers: [("Host", "examplebucket.s3.amazonaws.com")], payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(signature(request) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedURL() {
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com")],
            payloadHash: SigV4Signer.unsignedPayload)
        let query = SigV4Signer(region: "us-east-1").presignedQuery(
            for: request, credentials: exampleCredentials, at: exampleTime,
            expiresSeconds: 86_400)
        #expect(query.last?.value == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func sessionTokenIsSigned() {
        var credentials = exampleCredentials
        credentials.sessionToken = "token/with+chars"
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/", headers: [("Host", "h")], payloadHash: SigV4Signer.emptyPayloadHash)
        let headers = SigV4Signer(region: "us-east-1").signedHeaders(
            for: request, credentials: credentials, at: exampleTime)
        #expect(headers.contains { $0.name == "x-amz-security-token" && $0.value == "token/with+chars" })
        #expect(
            headers.last!.value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
    }

    @Test(arguments: [
        ("a b/c", false, "a%20b/c"), ("a/b", true, "a%2Fb"), ("~._-", true, "~._-"), ("é", true, "%C3%A9"),
        ("a+b=c", true, "a%2Bb%3Dc"),
    ])
    func uriEncoding(input: String, encodeSlash: Bool, expected: String) {
        #expect(SigV4Signer.uriEncode(input, encodeSlash: encodeSlash) == expected)
    }
}

@Suite struct UTCDateTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"),
        (1_724_675_074, "2024-08-26T12:24:34Z"),
        (-1, "1969-12-31T23:59:59Z"), (253_402_300_799, "9999-12-31T23:59:59Z"),
    ])
    func roundTripsEpochSeconds(seconds: Int64, text: String) {
        let time = UTCDateTime(epochSeconds: seconds)
        #expect(time.rfc3339 == text)
        #expect(time.epochSeconds == seconds)
        #expect(UTCDateTime.parseRFC3339(text) == time)
    }

    @Test(arguments: [
        ("2024-08-26T14:24:34+02:00", "2024-08-26T12:24:34Z"), ("2024-08-26T12:24:34.123Z", "2024-08-26T12:24:34Z"),
        ("2024-01-01T00:30:00-01:00", "2024-01-01T01:30:00Z"),
    ])
    func parsesOffsetsAndFractions(text: String, utc: String) {
        #expect(UTCDateTime.parseRFC3339(text)?.rfc3339 == utc)
    }

    @Test(arguments: [
        "2024-02-30T00:00:00Z", "2024-08-26 12:24:34Z", "2024-08-26T12:24:34", "2024-08-26T24:00:00Z",
        "20240826T122434Z", "",
    ])
    func refusesInvalidTimes(text: String) {
        #expect(UTCDateTime.parseRFC3339(text) == nil)
    }

    @Test func wholeSecondsOnlyRefusesFractions() {
        #expect(UTCDateTime.parseRFC3339("2024-08-26T12:24:34.5Z", wholeSecondsOnly: true) == nil)
    }
}

/// Our Authorization header against libcurl's CURLOPT_AWS_SIGV4 for the same requests: curl
/// signs and sends to a capture server; we sign what it sent with its x-amz-date. curl 7.88
/// signs the query in the order given (SigV4 wants it sorted; later curl sorts), so the list
/// request gives its query already sorted; curl 7.88 also leaves `:` unencoded in the canonical
/// path where SigV4 (and botocore) encode it, so these paths avoid it: keys with `:` (every
/// backup name) are proven against the signature-checking S3 server instead. curl writes ", "
/// between the parts, we write ",".
@Suite struct AgreesWithLibcurl {
    static let credentials = AWSCredentials(accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local/secret+key")

    @Test(arguments: [
        ("GET", "/bucket/backups/backup-20240826.sql.gz", "", [UInt8]()),
        ("PUT", "/bucket/mariadb/dump_2024-08.sql", "", Array("CREATE TABLE t (id INT);\n".utf8)),
        ("GET", "/bucket", "list-type=2&max-keys=1000&prefix=mariadb", [UInt8]()),
    ])
    func sameAuthorization(method: String, path: String, query: String, body: [UInt8]) async throws {
        let server = try CaptureServer()
        let payloadHash = Digest.sha256(body).hexString
        let url = "http://127.0.0.1:\(server.port)\(path)" + (query.isEmpty ? "" : "?\(query)")
        let request = HTTPRequest(
            method: method == "PUT" ? .put : .get, url: url, headers: [("x-amz-content-sha256", payloadHash)],
            body: body,
            curlSigV4: CurlSigV4(
                region: "us-east-1", accessKeyId: Self.credentials.accessKeyId,
                secretAccessKey: Self.credentials.secretAccessKey))
        _ = try await CurlClient().send(request)
        let captured = try #require(server.request())
        let curlAuthorization = try #require(captured.header("Authorization"))
        let amzDate = try #require(captured.header("x-amz-date"))
        let signedNames = curlAuthorization.components(separatedBy: "SignedHeaders=")[1].components(separatedBy: ",")[0]
            .split(separator: ";")
        let headers = signedNames.filter { $0 != "x-amz-date" && $0 != "x-amz-content-sha256" }
            .map { name in (name: String(name), value: captured.header(String(name)) ?? "") }
        let queryItems = query.split(separator: "&").map { item -> (name: String, value: String) in
            let parts = item.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        let time = try #require(parseBasic(amzDate))
        let ours = SigV4Signer(region: "us-east-1").signedHeaders(
            for: .init(
                method: method, encodedPath: SigV4Signer.encodePath(path), query: queryItems, headers: headers,
                payloadHash: payloadHash),
            credentials: Self.credentials, at: time)
        #expect(
            ours.first { $0.name == "Authorization" }?.value
                == curlAuthorization.replacingOccurrences(of: ", ", with: ","))
    }

    func parseBasic(_ text: String) -> UTCDateTime? {
        let c = Array(text)
        guard c.count == 16 else { return nil }
        func n(_ r: Range<Int>) -> Int { Int(String(c[r]))! }
        return UTCDateTime(
            year: n(0..<4), month: n(4..<6), day: n(6..<8), hour: n(9..<11), minute: n(11..<13), second: n(13..<15))
    }
}
