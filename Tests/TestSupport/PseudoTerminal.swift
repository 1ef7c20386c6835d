import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built binary on a real pseudo-terminal, as a person at a terminal would. util-linux
/// `script` makes the terminal and its session (so ^C typed on it sends SIGINT to the program);
/// the test types into script's standard input and reads the screen from its output.
public final class PseudoTerminal: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    /// Everything the program wrote to the terminal so far, echoed input included.
    public private(set) var screen = ""
    private var consumed: String.Index

    public init(_ arguments: [String], environment: [String: String]) throws {
        let words =
            ["stty", "cols", "120", "rows", "40;", "exec"] + ([try CLI.binary.path] + arguments).map(Self.quote)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["--quiet", "--return", "--flush", "--command", words.joined(separator: " "), "/dev/null"]
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("MARIADB_") && !$0.key.hasPrefix("AWS_")
        }
        env["TERM"] = "vt100"
        env.merge(environment) { $1 }
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        consumed = screen.startIndex
    }

    static func quote(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Reads until `text` appears after what earlier `expect` calls matched; returns the new part.
    @discardableResult
    public func expect(_ text: String, seconds: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let range = screen.range(of: text, range: consumed..<screen.endIndex) {
                let part = String(screen[consumed..<range.upperBound])
                consumed = range.upperBound
                return part
            }
            guard Date() < deadline, readSome(timeoutMilliseconds: 200) || process.isRunning else {
                throw PseudoTerminalError(
                    message: "'\(text)' did not appear; the screen ends with: \(screen.suffix(600))")
            }
        }
    }

    /// Types `text` (add "\r" for Enter, "\u{03}" for ^C).
    public func type(_ text: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Waits for the program to end, reading the rest of the screen; returns its exit status.
    public func wait(seconds: Double = 60) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            guard Date() < deadline else {
                throw PseudoTerminalError(message: "the program did not end: \(screen.suffix(600))")
            }
            _ = readSome(timeoutMilliseconds: 100)
        }
        while readSome(timeoutMilliseconds: 50) {}
        return process.terminationStatus
    }

    private func readSome(timeoutMilliseconds: Int32) -> Bool {
        let fd = output.fileHandleForReading.fileDescriptor
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        let offset = screen.distance(from: screen.startIndex, to: consumed)
        screen += String(decoding: buffer[0..<count], as: UTF8.self)
        consumed = screen.index(screen.startIndex, offsetBy: offset)
        return true
    }
}

public struct PseudoTerminalError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
