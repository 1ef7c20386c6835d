import Foundation

/// Set once from any thread (a signal handler, a task's cancellation handler), read from blocking work that
/// cannot see Swift's cancellation.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    public init() {}

    public func set() { lock.withLock { value = true } }
    public var isSet: Bool { lock.withLock { value } }
}
