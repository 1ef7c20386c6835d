import Accounts
import FuzzDriver

/// SHOW GRANTS / SHOW CREATE USER output: an inventory or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? AccountInventory.parse(statements: text.split(separator: "\n").map(String.init))
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
