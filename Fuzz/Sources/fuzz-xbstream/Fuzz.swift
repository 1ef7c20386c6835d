import Dump
import FuzzDriver

/// Whether a stream is whole, its files, chunks, faults and kept files do not depend on the chunking.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var whole = XBStreamScanner()
    whole.consume(bytes)
    var pieces = XBStreamScanner()
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    pieces.consume(Array(bytes[..<cut]))
    pieces.consume(Array(bytes[cut...]))
    guard whole.complete == pieces.complete, whole.files == pieces.files, whole.chunks == pieces.chunks,
        (whole.fault == nil) == (pieces.fault == nil), whole.kept == pieces.kept,
        whole.binlogPosition == pieces.binlogPosition, whole.bytes == pieces.bytes
    else { fatalError("chunking changed what the scanner saw") }
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
