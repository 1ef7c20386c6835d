import ArgumentParser
import Dispatch
import Foundation
import Terminal

/// Runs `body` in a task that SIGINT and SIGTERM cancel, so writers abort their uploads and
/// temp files instead of leaving them behind. A cancelled run ends with `Interrupted`; a second
/// signal exits at once (status 130), as impatient users expect.
func runCancellingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    do {
        return try await watchingSignals({ count in
            if count > 1 { exit(130) }
            task.cancel()
        }, during: { try await task.value })
    } catch is CancellationError {
        Console.error("Error: \(Interrupted().localizedDescription)\n")
        throw ExitCode(130)
    }
}

/// Calls `handle` with the number of SIGINT and SIGTERM signals received so far, for each one that arrives
/// while `body` runs; the default handling comes back after. The one signal watch of the commands.
func watchingSignals<T>(
    _ handle: @escaping @Sendable (Int) -> Void, during body: () async throws -> T
) async rethrows -> T {
    let received = SignalCount()
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { handle(received.increment()) }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
    return try await body()
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
