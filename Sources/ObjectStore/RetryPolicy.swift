import Foundation

/// Exponential backoff with full jitter, bounded per request and by a shared budget. Pure
/// apart from the random draw, which the caller passes in.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxAttempts: Int = 5, baseDelaySeconds: Double = 0.2, maxDelaySeconds: Double = 8) {
        self.maxAttempts = maxAttempts
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The wait before retry `attempt` (1 = first retry): uniform in [0, min(cap, base·2^(attempt−1))].
    public func delay(beforeRetry attempt: Int, random unit: Double) -> Double {
        let ceiling = min(maxDelaySeconds, baseDelaySeconds * Double(1 << min(attempt - 1, 30)))
        return ceiling * min(max(unit, 0), 1)
    }

    public static let none = RetryPolicy(maxAttempts: 1)
}

/// Retries left for a whole operation, shared by its requests, so a sick endpoint is given up
/// on instead of being hammered.
public final class RetryBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int

    public init(retries: Int = 50) { remaining = retries }

    /// Takes one retry from the budget; false when none is left.
    public func take() -> Bool {
        lock.withLock {
            guard remaining > 0 else { return false }
            remaining -= 1
            return true
        }
    }
}
