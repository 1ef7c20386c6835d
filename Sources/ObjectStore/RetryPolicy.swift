import Foundation
import UTCTime

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

/// Retries shared by all requests of a store, so a sick endpoint is given up on instead of being
/// hammered: a bucket of `retries` that refills one retry per `refillSeconds`, so a long-running
/// schedule does not use it up over the weeks.
public final class RetryBudget: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Double
    private let refillSeconds: Double
    private var tokens: Double
    private var last = ContinuousClock.now

    public init(retries: Int = 50, refillSeconds: Double = 1) {
        capacity = Double(retries)
        tokens = Double(retries)
        self.refillSeconds = refillSeconds
    }

    /// Takes one retry from the budget; false when none is left.
    public func take() -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            let elapsed = now - last
            last = now
            let seconds = elapsed.inSeconds
            tokens = min(capacity, tokens + seconds / refillSeconds)
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }
}
