import FuzzDriver
import Runbook

/// Runbook YAML: a checked runbook or an error with file and line; references parse either way.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Runbook.load(yaml: text, file: "fuzz.yaml", actions: nil)
    _ = References.parse(text)
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
