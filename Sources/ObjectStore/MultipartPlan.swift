/// Part sizes for a multipart upload of unknown length. Parts start at `basePartSize` (S3's
/// 5 MiB minimum by default) and double every sixteenth of the part cap, never above S3's 5 GiB:
/// with the AWS cap of 10,000 parts that holds more than 20 TiB (5 TiB is S3's object limit);
/// with a cap of 1,000 (Scaleway) about 2 TiB. Memory stays at (parts in flight + 1) × the
/// current part size: 25 MiB for any backup below 3 GiB with the defaults. Pure.
public struct MultipartPlan: Sendable, Equatable {
    public static let minimumPartSize = 5 * 1024 * 1024
    public static let maximumPartSize = 5 * 1024 * 1024 * 1024

    public var basePartSize: Int
    public var maxParts: Int

    public init(basePartSize: Int = 5 * 1024 * 1024, maxParts: Int = 10_000) throws(ObjectStoreError) {
        guard basePartSize >= Self.minimumPartSize, basePartSize <= Self.maximumPartSize else {
            throw .invalidConfiguration("part size \(basePartSize) bytes is outside S3's limits: use 5 MiB to 5 GiB")
        }
        guard (1...10_000).contains(maxParts) else {
            throw .invalidConfiguration("--s3-max-parts \(maxParts) is outside S3's limits: use 1 to 10000")
        }
        self.basePartSize = basePartSize
        self.maxParts = maxParts
    }

    /// Size of part `number` (1-based).
    public func partSize(number: Int) -> Int {
        let step = max(1, maxParts / 16)
        let doublings = min((number - 1) / step, 30)
        let size = Int64(basePartSize) << Int64(doublings)
        return Int(min(size, Int64(Self.maximumPartSize)))
    }

    /// The largest object the plan can hold.
    public var capacity: UInt64 {
        (1...maxParts).reduce(UInt64(0)) { $0 + UInt64(partSize(number: $1)) }
    }
}
