import Foundation
import Hashing
import TestSupport
import Testing

@testable import HTTPTransport

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct CurlClientTests {
    @Test func talksToTheS3Server() async throws {
        let env = try TestEnvironment.require()
        let endpoint = try env["MM_TEST_S3_ENDPOINT"]
        let bucket = "curl-\(UInt32.random(in: 0...UInt32.max))"
        let client = CurlClient()
        let created = try await client.send(HTTPRequest(method: .put, url: "\(endpoint)/\(bucket)"))
        #expect(created.status == 200)
        let body = Array("hello from libcurl".utf8)
        let put = try await client.send(
            HTTPRequest(
                method: .put, url: "\(endpoint)/\(bucket)/greeting.txt",
                headers: [("x-amz-acl", "public-read")], body: body))
        #expect(put.status == 200)
        #expect(put.header("etag") != nil)
        let got = try await client.send(HTTPRequest(method: .get, url: "\(endpoint)/\(bucket)/greeting.txt"))
        #expect(got.status == 200)
        #expect(got.bodyText == "hello from libcurl")
        let listing = try await client.send(HTTPRequest(method: .get, url: "\(endpoint)/\(bucket)?list-type=2"))
        #expect(listing.bodyText.contains("<Key>greeting.txt</Key>"))
        let missing = try await client.send(HTTPRequest(method: .get, url: "\(endpoint)/\(bucket)/nothing"))
        #expect(missing.status == 404 && missing.bodyText.contains("NoSuchKey"))
    }

    @Test func streamsTheBodyToASink() async throws {
        let env = try TestEnvironment.require()
        let endpoint = try env["MM_TEST_S3_ENDPOINT"]
        let bucket = "sink-\(UInt32.random(in: 0...UInt32.max))"
        let client = CurlClient()
        _ = try await client.send(HTTPRequest(method: .put, url: "\(endpoint)/\(bucket)"))
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = try await client.send(
            HTTPRequest(
                method: .put, url: "\(endpoint)/\(bucket)/blob",
                headers: [("x-amz-acl", "public-read")], body: body))
        let collected = Collected()
        let response = try await client.send(HTTPRequest(method: .get, url: "\(endpoint)/\(bucket)/blob")) { chunk in
            collected.append(chunk)
            return true
        }
        #expect(response.status == 200 && response.body.isEmpty)
        #expect(collected.bytes.count == body.count)
        #expect(Digest.sha256(collected.bytes).hexString == Digest.sha256(body).hexString)
    }

    @Test func closedPortIsUnreachable() async throws {
        let client = CurlClient(timeouts: TransportTimeouts(connectSeconds: 3))
        let error = await #expect(throws: TransportError.self) {
            try await client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:1/bucket"))
        }
        #expect(error?.kind == .unreachable && error?.isTransient == true)
        #expect(error?.localizedDescription.contains("127.0.0.1:1") == true)
    }

    @Test func signedQueriesAreRedactedInErrors() {
        #expect(CurlEasy.redacted("https://h/b/k?X-Amz-Signature=abc") == "https://h/b/k?…")
    }
}

final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []
    func append(_ chunk: UnsafeRawBufferPointer) { lock.withLock { storage.append(contentsOf: chunk) } }
    var bytes: [UInt8] { lock.withLock { storage } }
}
