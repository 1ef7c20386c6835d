import FuzzDriver
import Replication

/// GTID positions: parsed ones print back to themselves.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let position = try? GTIDPosition(parsing: text) else { return 0 }
    guard (try? GTIDPosition(parsing: position.description)) == position else {
        fatalError("'\(text)' parsed as \(position), which does not read back")
    }
    _ = position.transactions(after: position.merging(position))
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
