import Blocking
import CCurl
import CShims
import Dispatch
import Foundation

/// An HTTP client on libcurl. Each request gets its own easy handle (owned by `CurlEasy`,
/// cleaned up in `deinit`) and runs `curl_easy_perform` on a dispatch queue, never on the
/// cooperative thread pool.
public final class CurlClient: Sendable {
    public let tls: TLSOptions
    public let timeouts: TransportTimeouts
    private let queue = DispatchQueue(label: "curl-client", attributes: .concurrent)
    /// Idle easy handles: each keeps its live connections (and TLS sessions), so the next
    /// request to the same endpoint skips the TCP and TLS handshakes.
    private let pool = HandlePool()

    private static let globalReady: Bool = { curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK }()

    public init(tls: TLSOptions = TLSOptions(), timeouts: TransportTimeouts = TransportTimeouts()) {
        _ = Self.globalReady
        self.tls = tls
        self.timeouts = timeouts
    }

    /// Sends the request and collects the response body in memory.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await perform(request, sink: nil)
    }

    /// Sends the request and hands the body to `sink` chunk by chunk, on the transfer's thread,
    /// only when the answer is a success (2xx); other bodies (S3 error XML) are collected.
    /// `sink` returning false stops the transfer.
    public func send(
        _ request: HTTPRequest, bodySink sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool
    ) async throws -> HTTPResponse {
        try await perform(request, sink: sink)
    }

    private func perform(
        _ request: HTTPRequest, sink: (@Sendable (UnsafeRawBufferPointer) -> Bool)?
    ) async throws -> HTTPResponse {
        let (tls, timeouts, pool) = (self.tls, self.timeouts, self.pool)
        return try await runBlocking(on: queue) {
            let easy = try pool.take() ?? CurlEasy(tls: tls, timeouts: timeouts)
            do {
                let response = try easy.perform(request, sink: sink)
                pool.give(easy)
                return response
            } catch {
                // A failed transfer's connection is suspect: drop the handle with it.
                throw error
            }
        }
    }
}

final class HandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [CurlEasy] = []
    private let limit = 16

    func take() -> CurlEasy? { lock.withLock { idle.popLast() } }

    func give(_ easy: CurlEasy) {
        lock.withLock { if idle.count < limit { idle.append(easy) } }
    }
}

/// One libcurl easy handle and the state its callbacks write into. Options are reset before
/// each request; the connection cache survives the reset.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private let tls: TLSOptions
    private let timeouts: TransportTimeouts

    init(tls: TLSOptions, timeouts: TransportTimeouts) throws {
        guard let handle = curl_easy_init() else {
            throw TransportError(
                kind: .other, curlCode: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed", url: "")
        }
        self.handle = handle
        self.tls = tls
        self.timeouts = timeouts
    }

    deinit { curl_easy_cleanup(handle) }

    /// What the callbacks see through their userdata pointer.
    final class Exchange {
        var body: [UInt8]
        var uploadOffset = 0
        var headers: [(name: String, value: String)] = []
        var received: [UInt8] = []
        var status = 0
        var sink: ((UnsafeRawBufferPointer) -> Bool)?
        var handle: UnsafeMutableRawPointer?

        init(body: [UInt8]) { self.body = body }
    }

    func perform(_ request: HTTPRequest, sink: ((UnsafeRawBufferPointer) -> Bool)?) throws -> HTTPResponse {
        curl_easy_reset(handle)
        let exchange = Exchange(body: request.body)
        exchange.sink = sink
        exchange.handle = handle
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            // "Name;" sends an empty header; "Name:" would remove it.
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            headerList = curl_slist_append(headerList, line)
        }
        // Bodies of a megabyte or more go with `Expect: 100-continue` (libcurl's default, and
        // aws-cli's): a refusal (wrong key, no bucket) comes before the body is sent, and S3-like
        // servers read such bodies faster. Small requests skip the extra round trip.
        if request.curlSigV4 == nil && request.body.count < 1 << 20 {
            headerList = curl_slist_append(headerList, "Expect:")
        }
        mm_curl_setopt_str(handle, CURLOPT_URL, request.url)
        mm_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)
        mm_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        mm_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, timeouts.connectSeconds)
        mm_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedBytesPerSecond)
        mm_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, timeouts.lowSpeedSeconds)
        mm_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        mm_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0)
        if let caFile = tls.caFile { mm_curl_setopt_str(handle, CURLOPT_CAINFO, caFile) }
        mm_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)

        if let sigv4 = request.curlSigV4 {
            mm_curl_setopt_str(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(sigv4.region):\(sigv4.service)")
            mm_curl_setopt_str(handle, CURLOPT_USERNAME, sigv4.accessKeyId)
            mm_curl_setopt_str(handle, CURLOPT_PASSWORD, sigv4.secretAccessKey)
        }
        mm_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
        mm_curl_setopt_header_function(handle) { buffer, size, count, userdata in
            let exchange = Unmanaged<CurlEasy.Exchange>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("HTTP/") {
                // A new status line (after a redirect or 100): start the header list again.
                exchange.headers.removeAll()
            } else if let colon = line.firstIndex(of: ":") {
                exchange.headers.append(
                    (
                        String(line[..<colon]),
                        String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                    ))
            }
            return length
        }
        mm_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
        mm_curl_setopt_write_function(handle) { buffer, size, count, userdata in
            let exchange = Unmanaged<CurlEasy.Exchange>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            if exchange.status == 0, let handle = exchange.handle {
                var code = 0
                mm_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
                exchange.status = code
                // Size the body once from Content-Length instead of growing it by doubling.
                var length: curl_off_t = -1
                mm_curl_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length)
                if exchange.sink == nil, length > 0, length < 1 << 31 { exchange.received.reserveCapacity(Int(length)) }
            }
            if let sink = exchange.sink, (200..<300).contains(exchange.status) {
                return sink(bytes) ? length : 0
            }
            exchange.received.append(contentsOf: bytes)
            return length
        }

        switch request.method {
        case .get:
            mm_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case .head:
            mm_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        case .delete:
            mm_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, "DELETE")
        case .put, .post:
            // UPLOAD sends the body from the read callback; CUSTOMREQUEST names the method.
            mm_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            mm_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count))
            if request.method == .post { mm_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, "POST") }
            mm_curl_setopt_ptr(handle, CURLOPT_READDATA, context)
            mm_curl_setopt_read_function(handle) { buffer, size, count, userdata in
                let exchange = Unmanaged<CurlEasy.Exchange>.fromOpaque(userdata!).takeUnretainedValue()
                let remaining = exchange.body.count - exchange.uploadOffset
                let length = min(size * count, remaining)
                guard length > 0, let buffer else { return 0 }
                exchange.body.withUnsafeBytes { body in
                    UnsafeMutableRawPointer(buffer).copyMemory(
                        from: body.baseAddress! + exchange.uploadOffset, byteCount: length)
                }
                exchange.uploadOffset += length
                return length
            }
        }

        let code = curl_easy_perform(handle)
        var status = 0
        mm_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw TransportError(
                kind: Self.kind(of: code), curlCode: Int(code.rawValue), message: message,
                url: Self.redacted(request.url), caFile: tls.caFile)
        }
        return HTTPResponse(status: status, headers: exchange.headers, body: exchange.received)
    }

    static func kind(of code: CURLcode) -> TransportError.Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .unreachable
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .tls
        // SEND_FAIL_REWIND: a reused connection died under a request with a body, which curl cannot
        // send again itself; a new attempt sends it whole (found by the fault matrix: complete, reset).
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
            CURLE_SEND_FAIL_REWIND:
            return .connectionLost
        case CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR: return .aborted
        default: return .other
        }
    }

    /// Presigned URLs carry a signature in the query: never print it.
    static func redacted(_ url: String) -> String {
        guard let query = url.firstIndex(of: "?") else { return url }
        return String(url[..<query]) + "?…"
    }
}
