import Foundation
import HTTPTransport

/// `scripts/fault-proxy.py` in front of the test S3 server, started by the test that needs it
/// and stopped with it.
public final class FaultProxy: @unchecked Sendable {
    public let endpoint: String
    private let process: Process
    private let stdin: Pipe

    public init(upstream: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", TestEnvironment.repositoryRoot.appendingPathComponent("scripts/fault-proxy.py").path,
            "--upstream", upstream,
        ]
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw TestEnvironmentMissing(path: "scripts/fault-proxy.py", key: "PORT line (got '\(text)')")
        }
        endpoint = "http://127.0.0.1:\(port)"
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        process.terminate()
    }

    public struct Rule: Encodable, Sendable {
        public var method: String?
        public var query: String?
        public var path: String?
        public var times: Int
        public var action: String
        public var status: Int?
        public var code: String?
        public var message: String?
        public var seconds: Double?

        public init(
            method: String? = nil, query: String? = nil, path: String? = nil, times: Int = 1, action: String,
            status: Int? = nil, code: String? = nil, message: String? = nil, seconds: Double? = nil
        ) {
            self.method = method
            self.query = query
            self.path = path
            self.times = times
            self.action = action
            self.status = status
            self.code = code
            self.message = message
            self.seconds = seconds
        }
    }

    public func set(_ rules: [Rule]) async throws {
        let body = try JSONEncoder().encode(rules)
        _ = try await CurlClient().send(HTTPRequest(method: .post, url: "\(endpoint)/__proxy/rules", body: Array(body)))
    }

    public struct Logged: Decodable, Sendable {
        public var method: String
        public var path: String
        public var query: String
        public var headers: [String: String]
    }

    public func log() async throws -> [Logged] {
        let response = try await CurlClient().send(HTTPRequest(method: .get, url: "\(endpoint)/__proxy/log"))
        return try JSONDecoder().decode([Logged].self, from: Data(response.body))
    }
}
