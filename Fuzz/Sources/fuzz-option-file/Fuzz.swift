import FuzzDriver
import MariaDBClient

/// my.cnf text: settings or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? OptionFile.parse(text)
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
