import BackupEngine
import FuzzDriver

/// Go durations: a value or nil, never a trap (overflow included).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = GoDuration.seconds(text)
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
