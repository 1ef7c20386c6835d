/// Watches a dump stream go by without holding it: whether it ended with mariadb-dump's
/// completion trailer (`-- Dump completed`), which a killed or failed dump never writes. Pure.
public struct DumpScanner: Sendable {
    private var tail: [UInt8] = []
    public private(set) var bytes: UInt64 = 0
    static let trailer = Array("-- Dump completed".utf8)

    public init() {}

    public mutating func consume(_ chunk: [UInt8]) {
        bytes += UInt64(chunk.count)
        tail += chunk.suffix(256)
        if tail.count > 256 { tail.removeFirst(tail.count - 256) }
    }

    /// The last line starts with the trailer.
    public var sawTrailer: Bool {
        var end = tail.count
        while end > 0, tail[end - 1] == UInt8(ascii: "\n") || tail[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end > 0 else { return false }
        let start = (tail[..<end].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        return tail[start..<end].starts(with: Self.trailer)
    }
}
