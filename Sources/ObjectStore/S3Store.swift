import Blocking
import Foundation
import HTTPTransport
import Hashing
import SigV4
import UTCTime

/// The operator's `storage.s3`: signed requests over libcurl, multipart streaming uploads,
/// ranged streaming downloads, retries with backoff, SSE-C and a custom CA.
public final class S3Store: ObjectStore, @unchecked Sendable {
    public let configuration: S3Configuration
    public let credentialsProvider: any CredentialsProvider
    let client: CurlClient
    let signer: SigV4Signer
    let budget = RetryBudget()

    public init(configuration: S3Configuration, credentials: any CredentialsProvider) {
        self.configuration = configuration
        credentialsProvider = credentials
        client = CurlClient(tls: configuration.tls, timeouts: configuration.timeouts)
        signer = SigV4Signer(region: configuration.region)
    }

    public var location: String { "s3://\(configuration.bucket)/\(configuration.prefix)" }

    func key(_ name: String) -> String { configuration.prefix + name }

    // MARK: requests

    struct Call {
        var method: HTTPRequest.Method
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        var sseC = false
        /// What error messages name.
        var location: String
    }

    /// Signs and sends, retrying transient faults; returns the answer for any status.
    func send(_ call: Call, sink: (@Sendable (UnsafeRawBufferPointer) -> Bool)? = nil) async throws -> HTTPResponse {
        let c = configuration
        // Path style: /bucket[/key]; virtual-hosted: /[key].
        let bucketPath = c.usesPathStyle ? "/\(c.bucket)" : ""
        let rawPath = call.key.map { "\(bucketPath)/\($0)" } ?? (bucketPath.isEmpty ? "/" : bucketPath)
        let host = c.usesPathStyle ? c.endpoint.hostHeader : "\(c.bucket).\(c.endpoint.hostHeader)"
        let encodedPath = SigV4Signer.encodePath(rawPath)
        let queryString = SigV4Signer.canonicalQuery(call.query)
        let url =
            "\(c.endpoint.secure ? "https" : "http")://\(host)\(encodedPath)"
            + (queryString.isEmpty ? "" : "?\(queryString)")
        var headers = call.headers
        if call.sseC, let key = c.sseCustomerKey { headers += key.headers }
        let payloadHash = Self.payloadHash(body: call.body, headers: headers, secure: c.endpoint.secure)

        var attempt = 1
        while true {
            let credentials = try await credentialsProvider.credentials()
            let now = UTCDateTime.now()
            let signed = signer.signedHeaders(
                for: .init(
                    method: call.method.rawValue, encodedPath: encodedPath, query: call.query,
                    headers: headers + [("host", host)], payloadHash: payloadHash),
                credentials: credentials, at: now)
            let request = HTTPRequest(method: call.method, url: url, headers: headers + signed, body: call.body)
            do {
                let response: HTTPResponse
                if let sink {
                    response = try await client.send(request, bodySink: sink)
                } else {
                    response = try await client.send(request)
                }
                if response.status >= 300, S3ErrorMapping.isRetryable(status: response.status, body: response.bodyText),
                    attempt < c.retry.maxAttempts, budget.take()
                {
                    await backoff(attempt)
                    attempt += 1
                    continue
                }
                return response
            } catch let error as TransportError
                where error.isTransient && sink == nil && attempt < c.retry.maxAttempts && budget.take()
            {
                // (With a sink, bytes may have been delivered already: the reader resumes instead.)
                await backoff(attempt)
                attempt += 1
            }
        }
    }

    /// What `x-amz-content-sha256` says. Over TLS a body that carries its CRC32 goes as
    /// `UNSIGNED-PAYLOAD`, as aws-cli sends parts over HTTPS: TLS keeps the bytes from being changed
    /// on the way, the server checks the CRC32, and each byte is hashed once less. Over plain HTTP
    /// the signature covers the body. Pure.
    static func payloadHash(body: [UInt8], headers: [(name: String, value: String)], secure: Bool) -> String {
        if secure, !body.isEmpty, headers.contains(where: { $0.name.lowercased() == crc32Header }) {
            return SigV4Signer.unsignedPayload
        }
        return Digest.sha256(body).hexString
    }

    /// Sleeps before a retry. Not cut short by cancellation: an abort must still be able to
    /// retry its own cleanup requests.
    private func backoff(_ attempt: Int) async {
        let seconds = configuration.retry.delay(beforeRetry: attempt, random: Double.random(in: 0...1))
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if Task.isCancelled {
                usleep(UInt32(max(0, seconds * 1_000_000)))
                break
            }
        }
    }

    /// Sends and turns any answer outside `ok` into an `ObjectStoreError`.
    func checked(
        _ call: Call, ok: Set<Int> = [200], sink: (@Sendable (UnsafeRawBufferPointer) -> Bool)? = nil
    ) async throws -> HTTPResponse {
        let response = try await send(call, sink: sink)
        guard ok.contains(response.status) else { throw try await mapError(response, call: call) }
        // CompleteMultipartUpload and CopyObject can answer 200 with an error inside.
        let copies = call.headers.contains { $0.name == "x-amz-copy-source" }
        if call.method == .post || copies, response.bodyText.contains("<Error>") {
            throw try await mapError(response, call: call)
        }
        return response
    }

    func mapError(_ response: HTTPResponse, call: Call) async throws -> ObjectStoreError {
        let keyId = (try? await credentialsProvider.credentials().accessKeyId) ?? "?"
        return S3ErrorMapping.map(
            status: response.status, body: response.bodyText, dateHeader: response.header("Date"),
            context: .init(
                location: call.location, bucket: configuration.bucket, endpoint: configuration.endpoint.url,
                accessKeyId: keyId, usesSSEC: configuration.sseCustomerKey != nil, method: call.method.rawValue,
                now: UTCDateTime.now(),
                sentChecksum: call.headers.contains {
                    $0.name.hasPrefix("x-amz-checksum-") || $0.name.hasPrefix("x-amz-sdk-checksum-")
                }))
    }

    // MARK: ObjectStore

    public func makeWriter(name: String) async throws -> any ObjectWriter {
        try validateObjectName(name)
        return S3Writer(store: self, name: name, key: key(name))
    }

    public func makeReader(name: String, from offset: UInt64) async throws -> any ObjectReader {
        guard let info = try await head(name: name) else { throw ObjectStoreError.notFound(location: location + name) }
        return S3Reader(
            store: self, key: key(name), location: location + name, size: info.size, etag: info.etag,
            from: min(offset, info.size))
    }

    public func head(name: String) async throws -> ObjectInfo? {
        try validateObjectName(name)
        let call = Call(method: .head, key: key(name), sseC: true, location: location + name)
        let response = try await send(call)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw try await mapError(response, call: call) }
        let size = response.header("Content-Length").flatMap { UInt64($0) } ?? 0
        let modified = response.header("Last-Modified").flatMap { S3ErrorMapping.parseHTTPDate($0) }
        return ObjectInfo(name: name, size: size, lastModified: modified, etag: response.header("ETag"))
    }

    public func list() async throws -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("delimiter", "/")]
            if !configuration.prefix.isEmpty { query.append(("prefix", configuration.prefix)) }
            if let token { query.append(("continuation-token", token)) }
            let body = try await checked(Call(method: .get, query: query, location: location)).bodyText
            for entry in XMLScanner.elements("Contents", in: body) {
                guard let key = XMLScanner.value("Key", in: entry), key.hasPrefix(configuration.prefix) else {
                    continue
                }
                let name = String(key.dropFirst(configuration.prefix.count))
                guard !name.isEmpty, !name.contains("/") else { continue }
                result.append(
                    ObjectInfo(
                        name: name, size: XMLScanner.value("Size", in: entry).flatMap { UInt64($0) } ?? 0,
                        lastModified: XMLScanner.value("LastModified", in: entry).flatMap {
                            UTCDateTime.parseRFC3339($0)
                        },
                        etag: XMLScanner.value("ETag", in: entry)))
            }
            token =
                XMLScanner.value("IsTruncated", in: body) == "true"
                ? XMLScanner.value("NextContinuationToken", in: body) : nil
        } while token != nil
        return result.sorted { $0.name < $1.name }
    }

    public func delete(name: String) async throws {
        try validateObjectName(name)
        _ = try await checked(Call(method: .delete, key: key(name), location: location + name), ok: [200, 204])
    }

    /// Objects up to this size are copied with one CopyObject (S3's limit is 5 GiB); larger ones part
    /// by part (UploadPartCopy), `copyPartBytes` at a time.
    public var singleCopyLimit: UInt64 = 5 << 30
    public var copyPartBytes: UInt64 = 1 << 30

    public func rename(_ name: String, to newName: String) async throws {
        try validateObjectName(name)
        try validateObjectName(newName)
        guard let source = try await head(name: name) else {
            throw ObjectStoreError.notFound(location: location + name)
        }
        guard try await head(name: newName) == nil else { throw ObjectStoreError.exists(location: location + newName) }
        let destination = key(newName)
        let target = location + newName
        // The source's key, as x-amz-copy-source names it: /bucket/key, URL-encoded like a path.
        var headers = [("x-amz-copy-source", SigV4Signer.encodePath("/\(configuration.bucket)/\(key(name))"))]
        if let etag = source.etag { headers.append(("x-amz-copy-source-if-match", etag)) }
        if let key = configuration.sseCustomerKey { headers += key.copySourceHeaders }
        if source.size <= singleCopyLimit {
            _ = try await checked(Call(method: .put, key: destination, headers: headers, sseC: true, location: target))
        } else {
            let uploadId = try await createMultipartUpload(key: destination, location: target, checksummed: false)
            do {
                let ranges = stride(from: UInt64(0), to: source.size, by: Int(copyPartBytes)).map {
                    ($0, min($0 + copyPartBytes, source.size) - 1)
                }
                // Parts copy on the server, `partsInFlight` at a time: a big backup's copy takes minutes alone.
                var parts: [UploadedPart] = []
                let copyHeaders = headers
                try await withThrowingTaskGroup(of: UploadedPart.self) { group in
                    for (index, range) in ranges.enumerated() {
                        if index >= configuration.partsInFlight, let done = try await group.next() {
                            parts.append(done)
                        }
                        group.addTask {
                            try await self.copyPart(
                                number: index + 1, range: range, headers: copyHeaders, key: destination,
                                uploadId: uploadId, location: target)
                        }
                    }
                    for try await done in group { parts.append(done) }
                }
                _ = try await completeMultipartUpload(
                    key: destination, uploadId: uploadId, parts: parts.sorted { $0.number < $1.number },
                    location: target)
            } catch {
                try? await abortMultipartUpload(key: destination, uploadId: uploadId, location: target)
                throw error
            }
        }
        try await delete(name: name)
    }

    /// UploadPartCopy of bytes `range` (inclusive) of the copy source in `headers`.
    func copyPart(
        number: Int, range: (UInt64, UInt64), headers: [(name: String, value: String)], key: String,
        uploadId: String, location: String
    ) async throws -> UploadedPart {
        let response = try await checked(
            Call(
                method: .put, key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                headers: headers + [("x-amz-copy-source-range", "bytes=\(range.0)-\(range.1)")], sseC: true,
                location: location))
        guard let etag = XMLScanner.value("ETag", in: response.bodyText) else {
            throw ObjectStoreError.server(
                location: location, status: response.status, code: "-", message: "no ETag for part \(number)")
        }
        return UploadedPart(number: number, etag: etag.replacingOccurrences(of: "&quot;", with: "\""))
    }

    // MARK: bucket-level

    /// HEAD on the bucket: does it exist and may we touch it?
    public func checkBucket() async throws {
        _ = try await checked(Call(method: .head, location: "s3://\(configuration.bucket)"))
    }

    /// Multipart uploads started under the prefix and never completed nor aborted.
    public func pendingMultipartUploads() async throws -> [(key: String, uploadId: String, initiated: UTCDateTime?)] {
        var query: [(name: String, value: String)] = [("uploads", "")]
        if !configuration.prefix.isEmpty { query.append(("prefix", configuration.prefix)) }
        let body = try await checked(Call(method: .get, query: query, location: location)).bodyText
        return XMLScanner.elements("Upload", in: body).compactMap { upload in
            guard let key = XMLScanner.value("Key", in: upload), let id = XMLScanner.value("UploadId", in: upload)
            else { return nil }
            return (key, id, XMLScanner.value("Initiated", in: upload).flatMap { UTCDateTime.parseRFC3339($0) })
        }
    }

    /// The unfinished multipart uploads of names directly in the prefix.
    public func unfinishedWrites() async throws -> [UnfinishedWrite] {
        try await pendingMultipartUploads().compactMap { upload in
            guard upload.key.hasPrefix(configuration.prefix) else { return nil }
            let name = String(upload.key.dropFirst(configuration.prefix.count))
            guard !name.isEmpty, !name.contains("/") else { return nil }
            return UnfinishedWrite(name: name, started: upload.initiated, id: upload.uploadId)
        }
    }

    public func discard(_ write: UnfinishedWrite) async throws {
        try await abortMultipartUpload(
            key: configuration.prefix + write.name, uploadId: write.id, location: location + write.name)
    }

    // MARK: multipart pieces

    /// The header that carries a body's CRC32 (a part's, or a single PUT's).
    static let crc32Header = "x-amz-checksum-crc32"

    /// The headers that carry a body's CRC, when uploads carry one, as botocore sends them (some
    /// servers keep a PUT's checksum only when the SDK header names its algorithm).
    func checksumHeaders(_ body: [UInt8]) -> [(name: String, value: String)] {
        guard configuration.checksum == .crc32 else { return [] }
        return [
            (Self.crc32Header, CRC32.base64(CRC32.checksum(body))), ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ]
    }

    /// `checksummed`: the parts will carry CRC32s (a copy's parts carry none).
    func createMultipartUpload(key: String, location: String, checksummed: Bool = true) async throws -> String {
        // Not retried blindly: a lost answer would leave an upload we cannot name. Only answers
        // that say the server did nothing (503 SlowDown, 5xx) are retried by `send`.
        let algorithm: [(name: String, value: String)] =
            checksummed && configuration.checksum == .crc32 ? [("x-amz-checksum-algorithm", "CRC32")] : []
        let response = try await checked(
            Call(method: .post, key: key, query: [("uploads", "")], headers: algorithm, sseC: true, location: location))
        guard let id = XMLScanner.value("UploadId", in: response.bodyText) else {
            throw ObjectStoreError.server(
                location: location, status: response.status, code: "-", message: "no UploadId in the answer")
        }
        return id
    }

    /// A finished part, as CompleteMultipartUpload lists it.
    struct UploadedPart: Sendable {
        var number: Int
        var etag: String
        /// The part's `x-amz-checksum-crc32`, when it carried one.
        var crc32: String? = nil
    }

    func uploadPart(
        key: String, uploadId: String, number: Int, body: [UInt8], location: String
    ) async throws
        -> UploadedPart
    {
        let checksum = checksumHeaders(body)
        let response = try await checked(
            Call(
                method: .put, key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                headers: checksum, body: body, sseC: true, location: location))
        guard let etag = response.header("ETag") else {
            throw ObjectStoreError.server(
                location: location, status: response.status, code: "-", message: "no ETag for part \(number)")
        }
        return UploadedPart(
            number: number, etag: etag, crc32: checksum.first { $0.name == Self.crc32Header }?.value)
    }

    func completeMultipartUpload(
        key: String, uploadId: String, parts: [UploadedPart], location: String
    ) async throws -> HTTPResponse {
        let xml =
            "<CompleteMultipartUpload>"
            + parts.map { part in
                "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(XMLScanner.escape(part.etag))</ETag>"
                    + (part.crc32.map { "<ChecksumCRC32>\($0)</ChecksumCRC32>" } ?? "") + "</Part>"
            }.joined() + "</CompleteMultipartUpload>"
        let call = Call(
            method: .post, key: key, query: [("uploadId", uploadId)], body: Array(xml.utf8), sseC: true,
            location: location)
        return try await checked(call)
    }

    func abortMultipartUpload(key: String, uploadId: String, location: String) async throws {
        _ = try await checked(
            Call(method: .delete, key: key, query: [("uploadId", uploadId)], location: location), ok: [200, 204, 404])
    }

    func putObject(key: String, body: [UInt8], location: String) async throws -> HTTPResponse {
        try await checked(
            Call(method: .put, key: key, headers: checksumHeaders(body), body: body, sseC: true, location: location))
    }

    /// Streams the object from `offset` into `bridge` (one GET, pinned to the ETag).
    func stream(key: String, from offset: UInt64, etag: String?, location: String, into bridge: StreamBridge) async {
        var headers: [(name: String, value: String)] = offset > 0 ? [("Range", "bytes=\(offset)-")] : []
        if let etag { headers.append(("If-Match", etag)) }
        let call = Call(method: .get, key: key, headers: headers, sseC: true, location: location)
        do {
            let response = try await send(call, sink: { bridge.push($0) })
            if response.status == 412 { throw ObjectStoreError.changedWhileReading(location: location) }
            guard response.status == 200 || response.status == 206 else {
                throw try await mapError(response, call: call)
            }
            bridge.finish(error: nil)
        } catch {
            bridge.finish(error: error)
        }
    }

}

/// Streams into S3: one PUT when the whole object fits in the first part, else a multipart
/// upload with at most `partsInFlight` parts uploading while the next one fills. The object
/// appears only at CompleteMultipartUpload; any failure aborts the upload.
final class S3Writer: ObjectWriter, @unchecked Sendable {
    private let store: S3Store
    private let name: String
    private let key: String
    private let location: String
    private var buffer: [UInt8] = []
    private var uploadId: String?
    private var partCount = 0
    private var inFlight: [(number: Int, task: Task<S3Store.UploadedPart, Error>)] = []
    private var finished: [S3Store.UploadedPart] = []
    private var total: UInt64 = 0
    private var closed = false
    /// Buffers of parts that were uploaded; one at most, so memory grows by a part at most.
    private let sent = BufferPool(limit: 1, largest: 64 << 20)

    init(store: S3Store, name: String, key: String) {
        self.store = store
        self.name = name
        self.key = key
        location = store.location + name
        buffer.reserveCapacity(store.configuration.plan.partSize(number: 1))
    }

    private var currentPartSize: Int { store.configuration.plan.partSize(number: partCount + 1) }

    func write(_ bytes: [UInt8]) async throws {
        guard !closed else { throw ObjectStoreError.invalidConfiguration("write after commit or abort of \(location)") }
        do {
            try Task.checkCancellation()
            var offset = 0
            while offset < bytes.count {
                let take = min(currentPartSize - buffer.count, bytes.count - offset)
                buffer.append(contentsOf: bytes[offset..<(offset + take)])
                offset += take
                total += UInt64(take)
                if buffer.count == currentPartSize { try await flushPart() }
            }
        } catch {
            await abort()
            throw error
        }
    }

    private func flushPart() async throws {
        if uploadId == nil { uploadId = try await store.createMultipartUpload(key: key, location: location) }
        guard partCount < store.configuration.plan.maxParts else {
            throw ObjectStoreError.tooLarge(
                location: location, maxParts: store.configuration.plan.maxParts,
                capacityBytes: store.configuration.plan.capacity)
        }
        partCount += 1
        let body = buffer
        buffer = []
        while inFlight.count >= store.configuration.partsInFlight { try await finishOldest() }
        let (store, key, id, number, location) = (self.store, self.key, uploadId!, partCount, self.location)
        let sent = self.sent
        inFlight.append(
            (
                number,
                Task {
                    let part = try await store.uploadPart(
                        key: key, uploadId: id, number: number, body: body, location: location)
                    sent.give(body)
                    return part
                }
            ))
        // A sent part's buffer is filled again: a fresh 5 MiB is 1,280 page faults.
        buffer = sent.emptied(reserving: currentPartSize)
    }

    private func finishOldest() async throws {
        finished.append(try await inFlight.removeFirst().task.value)
    }

    func commit() async throws -> ObjectInfo {
        guard !closed else {
            throw ObjectStoreError.invalidConfiguration("commit after commit or abort of \(location)")
        }
        do {
            try Task.checkCancellation()
            let etag: String?
            if uploadId == nil {
                etag = try await store.putObject(key: key, body: buffer, location: location).header("ETag")
            } else {
                if !buffer.isEmpty { try await flushPart() }
                while !inFlight.isEmpty { try await finishOldest() }
                let response = try await store.completeMultipartUpload(
                    key: key, uploadId: uploadId!, parts: finished, location: location)
                etag = XMLScanner.value("ETag", in: response.bodyText)
            }
            closed = true
            buffer = []
            return ObjectInfo(name: name, size: total, lastModified: UTCDateTime.now(), etag: etag)
        } catch {
            await abort()
            throw error
        }
    }

    func abort() async {
        guard !closed else { return }
        closed = true
        buffer = []
        for (_, task) in inFlight {
            task.cancel()
            _ = try? await task.value
        }
        inFlight = []
        if let uploadId {
            try? await store.abortMultipartUpload(key: key, uploadId: uploadId, location: location)
        }
    }
}

/// Streams out of S3 with one GET and backpressure (a few MiB buffered at most). A transfer
/// that breaks (reset, stall, short body) resumes with `Range: bytes=<delivered>-`, pinned to the
/// object's ETag (If-Match) so a replaced object is noticed instead of spliced.
final class S3Reader: ObjectReader, @unchecked Sendable {
    private let store: S3Store
    private let key: String
    private let location: String
    let size: UInt64
    private let etag: String?
    private var delivered: UInt64 = 0
    private var bridge: StreamBridge?
    private var resumes = 0

    init(store: S3Store, key: String, location: String, size: UInt64, etag: String?, from offset: UInt64) {
        self.store = store
        delivered = offset
        self.key = key
        self.location = location
        self.size = size
        self.etag = etag
    }

    deinit { bridge?.cancel() }

    func read() async throws -> [UInt8]? {
        while delivered < size {
            let bridge = self.bridge ?? start()
            do {
                if let chunk = try await bridge.next() {
                    delivered += UInt64(chunk.count)
                    guard delivered <= size else { throw ObjectStoreError.changedWhileReading(location: location) }
                    return chunk
                }
                throw TransportError(
                    kind: .connectionLost, curlCode: 18, message: "the body ended after \(delivered) of \(size) bytes",
                    url: location)
            } catch let error as TransportError
                where error.isTransient && resumes + 1 < store.configuration.retry.maxAttempts && store.budget.take()
            {
                bridge.cancel()
                self.bridge = nil
                resumes += 1
                try await Task.sleep(
                    for: .milliseconds(
                        Int(store.configuration.retry.delay(beforeRetry: resumes, random: .random(in: 0...1)) * 1000)))
            }
        }
        return nil
    }

    func recycle(_ chunk: consuming [UInt8]) { bridge?.recycle(chunk) }

    private func start() -> StreamBridge {
        let bridge = StreamBridge()
        self.bridge = bridge
        let (store, key, etag, location, offset) = (self.store, self.key, self.etag, self.location, delivered)
        Task { await store.stream(key: key, from: offset, etag: etag, location: location, into: bridge) }
        return bridge
    }
}
