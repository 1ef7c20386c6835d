import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import ObjectStore

/// The fault matrix of the S3 store: each fault (500, 503 SlowDown, a reset connection, a stalled
/// answer) injected at each request (create, a part, complete, list, get), once as a passing
/// hiccup and once for good. A hiccup is retried and the data arrives intact; a lasting fault is a
/// clean failure: no object under the name and no multipart upload left. No cell asserts a time.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct FaultMatrixTests {
    enum Fault: String, CaseIterable, Sendable { case status500, slowDown503, reset, stall }
    enum Request: String, CaseIterable, Sendable { case create, part, complete, list, get }

    struct Cell: Sendable, CustomTestStringConvertible {
        var fault: Fault
        var request: Request
        var lasting: Bool
        var testDescription: String { "\(fault.rawValue) at \(request.rawValue)\(lasting ? ", lasting" : ", once")" }
    }

    /// Every cell; a lasting stall is left out (it is a timeout like a lasting reset, only slower).
    static let cells: [Cell] = Fault.allCases.flatMap { fault in
        Request.allCases.flatMap { request in
            [false, true].compactMap { lasting in
                fault == .stall && lasting ? nil : Cell(fault: fault, request: request, lasting: lasting)
            }
        }
    }

    static func rule(_ cell: Cell, object: String) -> FaultProxy.Rule {
        let (method, query, path): (String, String?, String?) =
            switch cell.request {
            case .create: ("POST", "uploads", nil)
            case .part: ("PUT", "partNumber=2", nil)
            case .complete: ("POST", "uploadId", nil)
            case .list: ("GET", "list-type", nil)
            // The object's own GETs (its name's ':' is percent-encoded in the path), not the bucket's.
            case .get: ("GET", nil, String(object.prefix(17)))
            }
        let times = cell.lasting ? 1000 : 2
        return switch cell.fault {
        case .status500:
            .init(
                method: method, query: query, path: path, times: times, action: "status", status: 500,
                code: "InternalError")
        case .slowDown503:
            .init(
                method: method, query: query, path: path, times: times, action: "status", status: 503,
                code: "SlowDown", message: "Please reduce your request rate.")
        case .reset: .init(method: method, query: query, path: path, times: times, action: "drop")
        case .stall: .init(method: method, query: query, path: path, times: 1, action: "stall", seconds: 8)
        }
    }

    @Test(arguments: cells)
    func cell(_ cell: Cell) async throws {
        let env = try TestEnvironment.require()
        let proxy = try FaultProxy(upstream: try env["MM_TEST_S3_ENDPOINT"])
        let store = try await testS3Store(
            endpoint: proxy.endpoint,
            timeouts: TransportTimeouts(connectSeconds: 3, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 2))
        let name = "backup.2024-08-26T12:24:34Z.sql"
        let data = randomBytes(12 * 1024 * 1024, seed: 5)
        let readsAfterUpload = cell.request == .list || cell.request == .get
        if readsAfterUpload { _ = try await upload(data, as: name, to: store) }
        try await proxy.set([Self.rule(cell, object: name)])

        func run() async throws {
            switch cell.request {
            case .create, .part, .complete: _ = try await upload(data, as: name, to: store)
            case .list: #expect(try await store.list().map(\.name) == [name])
            case .get: #expect(sha(try await store.getAll(name: name)) == sha(data))
            }
        }
        if cell.lasting {
            // An S3 error (ObjectStoreError) or a transport one (TransportError), each with its message.
            await #expect(throws: (any Error).self) { try await run() }
        } else {
            try await run()
        }
        try await proxy.set([])
        if cell.fault == .stall {
            // The stalled request still reaches the server once the stall ends, after the client gave
            // up on it and retried: a create made then is an upload nobody owns, as with any S3 client.
            // The next backup or `storage gc` discards it (here: at once).
            try await Task.sleep(for: .seconds(9))
            for write in try await store.unfinishedWrites() { try await store.discard(write) }
        }
        if readsAfterUpload {
            #expect(sha(try await store.getAll(name: name)) == sha(data))
        } else if cell.lasting {
            #expect(try await store.head(name: name) == nil, "\(cell.testDescription): an object was published")
        } else {
            #expect(sha(try await store.getAll(name: name)) == sha(data))
        }
        #expect(try await store.pendingMultipartUploads().isEmpty, "\(cell.testDescription): an upload was left")
    }
}
