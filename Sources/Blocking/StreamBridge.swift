import Foundation

/// Hands bytes from a blocking producer thread (a libcurl transfer, a child's pipe) to an async
/// reader with backpressure: the producer blocks while `capacity` chunks wait unread, so memory
/// stays at about capacity × chunk size however fast the producer is.
public final class StreamBridge: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var current: [UInt8] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private var waiter: CheckedContinuation<[UInt8]?, Error>?
    private let capacity: Int
    private let chunkSize: Int

    public init(capacity: Int = 4, chunkSize: Int = 1 << 20) {
        self.capacity = capacity
        self.chunkSize = chunkSize
    }

    /// Called on the producer thread; false stops the producer.
    public func push(_ bytes: UnsafeRawBufferPointer) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled else { return false }
        // A chunk never outgrows its reserved capacity: growing it copied the megabyte again.
        if !current.isEmpty && current.count + bytes.count > chunkSize {
            guard handOnCurrent() else { return false }
        }
        if current.capacity < chunkSize { current.reserveCapacity(chunkSize) }
        current.append(contentsOf: bytes)
        guard current.count >= chunkSize else { return true }
        return handOnCurrent()
    }

    /// Must hold the lock. Queues the chunk being filled and waits for room; false when cancelled.
    private func handOnCurrent() -> Bool {
        enqueueCurrent()
        while queue.count >= capacity && !cancelled { condition.wait() }
        return !cancelled
    }

    /// The transfer ended (with `error` if it failed).
    public func finish(error: Error?) {
        condition.lock()
        defer { condition.unlock() }
        guard !finished else { return }
        if !current.isEmpty { enqueueCurrent() }
        finished = true
        failure = error
        resumeWaiter()
    }

    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, nil at the end, or the transfer's error once the queue is drained.
    public func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            waiter = continuation
            resumeWaiter()
        }
    }

    private func enqueueCurrent() {
        queue.append(current)
        current = []
        current.reserveCapacity(chunkSize)
        resumeWaiter()
    }

    /// Must hold the lock.
    private func resumeWaiter() {
        guard let waiter else { return }
        if !queue.isEmpty {
            self.waiter = nil
            waiter.resume(returning: queue.removeFirst())
            condition.broadcast()
        } else if finished {
            self.waiter = nil
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
        }
    }
}
