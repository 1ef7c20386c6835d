import Foundation

/// Hands bytes from a blocking producer thread (a libcurl transfer, a child's pipe) to an async
/// reader with backpressure: the producer blocks while `capacity` chunks wait unread, so memory
/// stays at about capacity × chunk size however fast the producer is.
public final class StreamBridge: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    /// The chunk being filled, producer-side only: `chunkSize` bytes long while in use, of which the
    /// first `filled` are data.
    private var current: [UInt8] = []
    private var filled = 0
    /// Chunks the consumer gave back (`recycle`), to be filled again: fresh ones were a fifth of a
    /// physical backup's CPU.
    private let spares: BufferPool
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private var waiter: CheckedContinuation<[UInt8]?, Error>?
    private let capacity: Int
    private let chunkSize: Int

    public init(capacity: Int = 4, chunkSize: Int = 1 << 20) {
        self.capacity = capacity
        self.chunkSize = chunkSize
        spares = BufferPool(limit: 2, largest: 2 * chunkSize)
    }

    /// Called on the producer thread; false stops the producer.
    public func push(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let copied = fill { free in
                let count = min(free.count, bytes.count - offset)
                free.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
                return count
            }
            guard let copied else { return false }
            offset += copied
        }
        return true
    }

    /// Called on the producer thread: `read` writes into the free end of the chunk being filled and
    /// returns how many bytes it wrote; a count of zero or less is handed back as it is. No copy: a
    /// pipe's bytes land in the chunk the consumer gets. nil: cancelled.
    public func fill(_ read: (UnsafeMutableRawBufferPointer) -> Int) -> Int? {
        if current.isEmpty {
            // Only the `filled` bytes are ever read.
            current = spares.chunk(of: chunkSize)
            filled = 0
        }
        let start = filled
        let count = current.withUnsafeMutableBytes { read(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
        guard count > 0 else { return count }
        filled += count
        guard filled == chunkSize else { return count }
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled, handOnCurrent() else { return nil }
        return count
    }

    /// Gives a chunk from `next` back to be filled again. Pass it with `consume`: a chunk still
    /// referenced elsewhere is copied on its next fill instead of reused.
    public func recycle(_ chunk: consuming [UInt8]) {
        // A whole chunk only: a shorter one would need growing (the last one of a stream).
        guard chunk.count == chunkSize else { return }
        spares.give(chunk)
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
        if filled > 0 { enqueueCurrent() }
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

    /// Must hold the lock. Queues the data of the chunk being filled (its capacity goes with it).
    private func enqueueCurrent() {
        current.removeLast(current.count - filled)
        queue.append(current)
        current = []
        filled = 0
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
