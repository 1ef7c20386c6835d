import Blocking
import Dispatch
import Foundation

/// A child process (mariadb-dump, mariadb) with its standard output read as a stream of chunks
/// and its standard error kept (the last 64 KiB) for error messages.
public final class ChildProcess: @unchecked Sendable {
    public let executable: String
    public let arguments: [String]
    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let stdinPipe: Pipe?
    private let queue = DispatchQueue(label: "child-process", attributes: .concurrent)
    private let lock = NSLock()
    private var errorTail = Data()
    private let errorReaderDone = DispatchSemaphore(value: 0)
    /// Standard output read ahead on its own thread (up to 8 MiB), so the child keeps running
    /// while the consumer works on what came before.
    private let output = StreamBridge(capacity: 4)

    /// Linux's F_SETPIPE_SZ, which Glibc's module does not export.
    static let setPipeSize: Int32 = 1031

    public init(executable: String, arguments: [String], standardInput: Bool = false) {
        self.executable = executable
        self.arguments = arguments
        stdinPipe = standardInput ? Pipe() : nil
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    public func start() throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = stdinPipe ?? FileHandle.nullDevice
        // A 1 MiB pipe into the child instead of 64 KiB: a child that reads megabytes (mbstream -x, the
        // mariadb client) then runs about half as many context switches. Measured: `cat | mbstream -x`
        // of 1.1 GB took 7.2 s through a 64 KiB pipe, 3.7 s through 1 MiB (on the output side it did
        // not help a backup). Best effort: the kernel may refuse.
        if let input = stdinPipe?.fileHandleForReading.fileDescriptor {
            _ = fcntl(input, Self.setPipeSize, Int32(1 << 20))
        }
        try process.run()
        let stdout = stdoutPipe.fileHandleForReading
        let output = self.output
        Thread.detachNewThread {
            // read(2) straight into the bridge's chunks: `availableData` made a Data per read, and
            // a copy out of one buffer faulted in a fresh megabyte per chunk.
            let descriptor = stdout.fileDescriptor
            while true {
                guard let count = output.fill({ Glibc.read(descriptor, $0.baseAddress, $0.count) }) else { break }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
            }
            output.finish(error: nil)
        }
        let handle = stderrPipe.fileHandleForReading
        queue.async { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.withLock {
                    errorTail.append(data)
                    if errorTail.count > 65_536 { errorTail.removeFirst(errorTail.count - 65_536) }
                }
            }
            errorReaderDone.signal()
        }
    }

    /// About 1 MiB of standard output; nil at its end.
    public func read() async throws -> [UInt8]? {
        try await output.next()
    }

    /// Gives a chunk from `read` back for reuse (see `StreamBridge.recycle`).
    public func recycle(_ chunk: consuming [UInt8]) { output.recycle(chunk) }

    public func write(_ bytes: [UInt8]) async throws {
        guard let handle = stdinPipe?.fileHandleForWriting else { return }
        try await runBlocking(on: queue) { try handle.write(contentsOf: bytes) }
    }

    public func closeInput() throws { try stdinPipe?.fileHandleForWriting.close() }

    /// Starts the child, reads all of its standard output and waits for it: for short tools
    /// (`mariadb-backup --version`, `--prepare`). A failed read stops the child.
    public func runToEnd() async throws -> (output: [UInt8], status: Int32, stderr: String) {
        try start()
        var output: [UInt8] = []
        do {
            while let chunk = try await read() { output += chunk }
        } catch {
            kill()
            _ = await wait()
            throw error
        }
        let exit = await wait()
        return (output, exit.status, exit.stderr)
    }

    /// Waits for the exit; returns the status (128 + n for a signal) and the end of stderr. May be
    /// called again (a failed write waits, then the abort that follows waits once more).
    public func wait() async -> (status: Int32, stderr: String) {
        let process = self.process
        let semaphore = errorReaderDone
        let status: Int32 =
            (try? await runBlocking(on: queue) { [self] in
                process.waitUntilExit()
                lock.withLock { exited = true }
                // Left signalled for the next wait: a second wait on a taken semaphore never returned.
                semaphore.wait()
                semaphore.signal()
                return process.terminationReason == .uncaughtSignal
                    ? 128 + process.terminationStatus : process.terminationStatus
            }) ?? -1
        let text = lock.withLock { String(decoding: errorTail, as: UTF8.self) }
        return (status, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Stops the child with SIGKILL. SIGTERM would not do: the child inherits this process's ignored
    /// SIGTERM and SIGINT (ignored here while signals are handled), so a mariadb-dump blocked on a pipe
    /// nobody reads any more (the store failed: disk full) lived on and the wait never ended. A dump
    /// only reads; the server ends its snapshot when the connection drops.
    public func terminate() {
        output.cancel()
        let pid = process.processIdentifier
        if pid > 0 && !reaped { Glibc.kill(pid, SIGKILL) }
    }

    private var reaped: Bool { lock.withLock { exited } }
    private var exited = false

    /// The same for the mariadb client: the server rolls back the statement of a connection that drops.
    public func kill() { terminate() }

    /// A child whose standard output goes out in 1 MiB writes: through coreutils' `stdbuf -o 1M` when it
    /// is there, for tools that write through stdio. mariadb-dump writes a pipe 4 KiB at a time (98,043
    /// writes for 385 MiB of SQL); through stdbuf it made 386, and its system time fell from 1.5-1.9 to
    /// 0.8-0.9 CPU-seconds (`| cat`, three alternating runs). stdbuf execs the tool: same process.
    public static func buffered(executable: String, arguments: [String]) -> ChildProcess {
        guard let stdbuf = locate(["stdbuf"]) else { return ChildProcess(executable: executable, arguments: arguments) }
        return ChildProcess(executable: stdbuf, arguments: ["-o", "1M", executable] + arguments)
    }

    /// Finds a tool on PATH (and /usr/bin, /usr/sbin).
    public static func locate(_ names: [String]) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/usr/sbin:/usr/local/bin"
        for name in names {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}
