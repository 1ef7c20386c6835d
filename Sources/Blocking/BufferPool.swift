import Foundation

/// Byte buffers given back after use, to be filled again: a fresh megabyte costs 256 page faults
/// and the kernel's zeroing each time. Holds at most `limit` buffers of at most `largest` bytes'
/// capacity, so what it keeps stays small (an array's capacity is its allocation's usable size,
/// often a little more than was asked: give `largest` some room). Thread-safe.
public final class BufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var spares: [[UInt8]] = []
    private let limit: Int
    private let largest: Int

    public init(limit: Int, largest: Int) {
        self.limit = limit
        self.largest = largest
    }

    /// The buffer given back longest ago, with its contents as they were; nil when none is. The
    /// oldest, so that a reference still held for a moment after `give` (a finished task's closure)
    /// is gone by the time the buffer is written again.
    public func take() -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        return spares.isEmpty ? nil : spares.removeFirst()
    }

    /// A buffer given back, emptied, else a new one; with room for `capacity` bytes either way.
    public func emptied(reserving capacity: Int) -> [UInt8] {
        var buffer = take() ?? []
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// A chunk of `size` bytes to be overwritten: one given back with its old contents, else a new one
    /// left uninitialised (no memset: only bytes written after are read). Give back whole chunks only.
    public func chunk(of size: Int) -> [UInt8] {
        take() ?? [UInt8](unsafeUninitializedCapacity: size) { _, count in count = size }
    }

    /// Pass the buffer with `consume`: one still referenced elsewhere is copied when next written to
    /// instead of reused (correct, only slower).
    public func give(_ buffer: consuming [UInt8]) {
        guard buffer.capacity <= largest else { return }
        lock.lock()
        defer { lock.unlock() }
        if spares.count < limit { spares.append(buffer) }
    }
}
