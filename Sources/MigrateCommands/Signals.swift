import ArgumentParser
import Dispatch
import Foundation
import Terminal

/// Runs `body` in a task that SIGINT and SIGTERM cancel, so writers abort their uploads and
/// temp files instead of leaving them behind. A cancelled run ends with `Interrupted`; a second
/// signal exits at once (status 130), as impatient users expect.
func runCancellingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    let received = SignalCount()
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            if received.increment() > 1 { exit(130) }
            task.cancel()
        }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
    do {
        return try await task.value
    } catch is CancellationError {
        Console.error("Error: \(Interrupted().localizedDescription)\n")
        throw ExitCode(130)
    }
}

struct Interrupted: Error, LocalizedError {
    var errorDescription: String? { "interrupted: the work was stopped and cleaned up; nothing was published" }
}

final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
}
