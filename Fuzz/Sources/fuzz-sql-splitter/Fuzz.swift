import Dump
import FuzzDriver
import RestoreEngine

/// Statements do not depend on how the script is cut into chunks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func split(_ chunks: [ArraySlice<UInt8>]) -> [[UInt8]]? {
        var splitter = SQLSplitter()
        var statements: [[UInt8]] = []
        for chunk in chunks { statements += splitter.consume(Array(chunk)) }
        guard let rest = try? splitter.finish() else { return nil }
        return statements + rest
    }
    let whole = split([bytes[...]])
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let pieces = split([bytes[..<cut], bytes[cut...]])
    let bytewise = split(bytes.indices.map { bytes[$0...$0] })
    guard whole == pieces, whole == bytewise else { fatalError("chunking changed the statements") }
    if let whole {
        var scanner = DumpHazardScanner()
        for statement in whole { scanner.consume(statement) }
        _ = scanner.findings()
    }
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
