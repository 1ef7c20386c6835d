import FuzzDriver
import MariaDBClient

/// my.cnf text: settings or a typed error. Includes lead back to the same text (`self`, and every
/// directory lists only `self`), so nesting and the depth limit are fuzzed too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? OptionFile.parse(text)
    let includes = OptionFile.Includes(
        read: { path in path == "self" ? text : "[client]\nuser=included\n" }, list: { _ in ["self"] })
    _ = try? OptionFile.parse(text, file: "fuzz.cnf", includes: includes)
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
