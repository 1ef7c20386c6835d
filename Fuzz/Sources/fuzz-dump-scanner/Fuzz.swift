import Dump
import FuzzDriver

/// The completion trailer and the binlog position do not depend on the chunking.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var whole = DumpScanner()
    whole.consume(bytes)
    var pieces = DumpScanner()
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    pieces.consume(Array(bytes[..<cut]))
    pieces.consume(Array(bytes[cut...]))
    guard whole.sawTrailer == pieces.sawTrailer, whole.position == pieces.position, whole.bytes == pieces.bytes
    else { fatalError("chunking changed what the scanner saw") }
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
