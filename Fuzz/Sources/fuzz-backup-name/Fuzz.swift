import BackupEngine
import FuzzDriver

/// Any name either parses into one whose own name parses to the same time and compression, or is refused.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let name = BackupName(parsing: text) {
        let written = BackupName(time: name.time, compression: name.compression)
        guard let again = BackupName(parsing: written.fileName), again.time == name.time,
            again.compression == name.compression
        else { fatalError("'\(text)' parsed, but its canonical name '\(written.fileName)' does not") }
    }
    _ = BackupSelection.backups(in: text.split(separator: "\n").map(String.init))
    return 0
}

@main enum Main {
    static func main() { FuzzDriver.run(fuzz) }
}
