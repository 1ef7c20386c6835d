import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A one-shot HTTP server on loopback: accepts one connection, records the request head and
/// body, answers `200 OK` with an empty body. For checking what a client really sent.
public final class CaptureServer: @unchecked Sendable {
    public struct Captured: Sendable {
        public var requestLine: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private var captured: Captured?

    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serveOnce() }
        thread.start()
    }

    deinit { close(listener) }

    /// Waits for the request (up to `seconds`).
    public func request(timeoutSeconds: Int = 10) -> Captured? {
        guard done.wait(timeout: .now() + .seconds(timeoutSeconds)) == .success else { return nil }
        return captured
    }

    private func serveOnce() {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else {
            done.signal()
            return
        }
        defer { close(connection) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var headEnd: Int?
        var contentLength = 0
        while true {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { break }
            data += buffer[0..<n]
            if headEnd == nil, let range = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                headEnd = range.upperBound
                let head = String(decoding: data[0..<range.lowerBound], as: UTF8.self)
                for line in head.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headEnd, data.count >= headEnd + contentLength { break }
        }
        let end = headEnd ?? data.count
        let lines = String(decoding: data[0..<max(0, end - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (
                String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            )
        }
        captured = Captured(
            requestLine: lines.first ?? "", headers: headers, body: Array(data[min(end, data.count)...]))
        let reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = reply.withCString { write(connection, $0, strlen($0)) }
        done.signal()
    }
}
