import Foundation

/// Polls every process's command line (`/proc/*/cmdline`) on its own thread while a run goes on,
/// and keeps any that holds one of `secrets`: a password handed to a child on argv shows there.
public final class ArgvWatch: @unchecked Sendable {
    private let secrets: [String]
    private let lock = NSLock()
    private var running = true
    private var found: [String] = []
    private var polls = 0
    private let done = DispatchSemaphore(value: 0)

    public init(secrets: [String]) {
        self.secrets = secrets.filter { !$0.isEmpty }
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                poll()
                usleep(2_000)
            }
            done.signal()
        }
    }

    private func poll() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries where pid.allSatisfy(\.isNumber) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                continue
            }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if secrets.contains(where: { line.contains($0) }) { lock.withLock { found.append(line) } }
        }
        lock.withLock { polls += 1 }
    }

    /// Stops polling: the command lines that held a secret, and how many times every process was read.
    public func stop() -> (offending: [String], polls: Int) {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { (found, polls) }
    }
}
