import Foundation

/// Runs the built `mariadb-migrate` binary as a user would.
public enum CLI {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static var binary: URL {
        get throws {
            var candidates: [URL] = []
            if let override = ProcessInfo.processInfo.environment["MM_BINARY"] {
                candidates.append(URL(fileURLWithPath: override))
            }
            let testBundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            candidates.append(testBundle.appendingPathComponent("mariadb-migrate"))
            candidates.append(TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/mariadb-migrate"))
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw CLIMissing(candidates: candidates.map(\.path))
            }
            return found
        }
    }

    /// Runs with a clean MARIADB_* environment plus `environment`, and `stdin` piped in.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String = ""
    ) throws -> Result {
        try launch(try binary, arguments, environment: environment, stdin: stdin)
    }

    /// A shell command (`mariadb -e …` to set up a test), with the same clean environment.
    /// `stdin`: what the command reads (SQL that holds a password goes there, not on argv);
    /// `arguments`: `$0`, `$1`… of the command, so paths need no quoting.
    public static func shell(
        _ command: String, environment: [String: String] = [:], stdin: String = "", arguments: [String] = []
    ) throws -> Result {
        try launch(
            URL(fileURLWithPath: "/bin/sh"), ["-c", command] + arguments, environment: environment, stdin: stdin)
    }

    public static func launch(
        _ executable: URL, _ arguments: [String], environment: [String: String], stdin: String
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("MARIADB_") && !$0.key.hasPrefix("AWS_")
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        // Read stderr on its own thread so neither pipe fills up and blocks the child.
        let errorData = LockedData()
        let reader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: errorData.value, as: UTF8.self))
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.withLock { data = d } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

public struct CLIMissing: Error, CustomStringConvertible {
    public let candidates: [String]
    public var description: String {
        "mariadb-migrate is not built (looked at \(candidates.joined(separator: ", "))): run swift build"
    }
}

/// Runs blocking work (a child process awaited, a cluster started) on a thread of its own: on the cooperative
/// pool it would hold one of its few threads, and the other suites running meanwhile would starve.
public func offTheCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
