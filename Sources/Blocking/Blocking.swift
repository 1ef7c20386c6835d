import Dispatch

/// Runs blocking work (a C library call, a file read) on `queue` and awaits it, so the
/// cooperative thread pool never blocks.
public func runBlocking<T: Sendable>(
    on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        queue.async { continuation.resume(with: Result { try body() }) }
    }
}
