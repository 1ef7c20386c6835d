import Foundation

/// The built CLI run in the background as a user would (a clean MARIADB_*/AWS_* environment plus `environment`),
/// its output in files: what a test interrupts.
public final class BackgroundRun: @unchecked Sendable {
    public let process = Process()
    private let output = NSTemporaryDirectory() + "mm-bg-\(UUID().uuidString)"

    public init(_ arguments: [String], environment: [String: String]) throws {
        _ = FileManager.default.createFile(atPath: output + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
        process.executableURL = try CLI.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("MARIADB_") && !$0.key.hasPrefix("AWS_")
        }.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: output + ".out")
        process.standardError = FileHandle(forWritingAtPath: output + ".err")
        try process.run()
    }

    /// Sends `signal` the moment `holds` is true, looking every `interval` microseconds on a thread of its own
    /// (under a full test run the cooperative threads were all blocked by other tests' child processes, and a
    /// watch on them missed a whole restore). False when the run ended first.
    public func signal(_ signal: Int32, interval: UInt32 = 5_000, when holds: @escaping @Sendable () -> Bool) async
        -> Bool
    {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                while self.process.isRunning {
                    if holds() {
                        kill(self.process.processIdentifier, signal)
                        return continuation.resume(returning: true)
                    }
                    usleep(interval)
                }
                continuation.resume(returning: false)
            }
        }
    }

    /// Its standard error so far.
    public var stderrSoFar: String {
        FileManager.default.contents(atPath: output + ".err").map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    public func wait() -> (status: Int32, stdout: String, stderr: String) {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: output + ".out")
            try? FileManager.default.removeItem(atPath: output + ".err")
        }
        return (
            process.terminationStatus, (try? String(contentsOfFile: output + ".out", encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
        )
    }
}
